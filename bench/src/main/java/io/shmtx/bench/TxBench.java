package io.shmtx.bench;

import io.shmtx.consistency.SharedMemory;
import io.shmtx.consistency.SharedMemoryConfig;
import io.shmtx.consistency.TxFunction;
import io.shmtx.consistency.TxRunnable;
import io.shmtx.pool.PoolConfig;
import io.shmtx.region.Region;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.AtomicBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One thread, one process: a RELEASE read-modify-write transaction of one 8-byte field, a
 * transfer between two objects, a read-only transaction of one field, and the floor of a bare
 * getAndAdd on a word of the same mapped region. {@link ScalaStmBench} runs the same operations
 * with ScalaSTM.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {BenchFiles.ADD_EXPORTS, "-Xmn64m"})
@State(Scope.Thread)
public class TxBench
{
    private Path file;
    private SharedMemory shm;
    private long handle;
    private AtomicBuffer buffer;
    private int word;
    private long sink;
    /** Built once: the benchmark measures the transaction, not a lambda allocation. */
    private TxRunnable increment;
    private TxRunnable transfer;
    private TxFunction<Object> read;
    private long from;
    private long to;

    /** A region with three reference-counted 8-byte objects. */
    @Setup
    public void setUp()
    {
        file = BenchFiles.newPath("tx");
        shm = SharedMemory.open(file, SharedMemoryConfig.builder().processSlots(8)
            .pool(PoolConfig.builder().tier(64, 1024).build()).build());
        handle = shm.allocate(8);
        buffer = shm.region().buffer();
        word = shm.pool().payloadOffset(handle) + 56; // a word of the same block, for the floor
        increment = tx -> tx.putLong(handle, 0, tx.getLong(handle, 0) + 1);
        from = shm.allocate(8);
        to = shm.allocate(8);
        transfer = tx ->
        {
            tx.putLong(from, 0, tx.getLong(from, 0) - 1);
            tx.putLong(to, 0, tx.getLong(to, 0) + 1);
        };
        read = tx ->
        {
            sink = tx.getLong(handle, 0);
            return null;
        };
    }

    /** Closes and deletes the region. */
    @TearDown
    public void tearDown()
    {
        shm.close();
        Region.delete(file);
    }

    /** RELEASE: read, write and commit one 8-byte field (lock, clock, COMMITTING, apply, release). */
    @Benchmark
    public void releaseIncrement()
    {
        shm.transact(increment);
    }

    /** RELEASE: move 1 from one object's 8-byte field to another's (two objects locked, applied, released). */
    @Benchmark
    public void releaseTransfer()
    {
        shm.transact(transfer);
    }

    /** RELEASE read-only transaction of one 8-byte field (snapshot, validated read; no store to shared memory). */
    @Benchmark
    public long releaseReadOnly()
    {
        shm.readOnly(read);
        return sink;
    }

    /** The floor: one getAndAdd on a word of the same block. */
    @Benchmark
    public long getAndAdd()
    {
        return buffer.getAndAddLong(word, 1);
    }
}
