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
 * One thread, one process, one object: a RELEASE read-modify-write transaction of one 8-byte
 * field, a read-only transaction of it, and the floor of a bare getAndAdd on a word of the same
 * mapped region.
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
    private TxFunction<Object> read;

    /** A region with one reference-counted 8-byte object. */
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
