package io.shmtx.bench;

import io.shmtx.consistency.ConsistencyModel;
import io.shmtx.consistency.SharedMemory;
import io.shmtx.consistency.SharedMemoryConfig;
import io.shmtx.consistency.TxFunction;
import io.shmtx.consistency.TxRunnable;
import io.shmtx.pool.PoolConfig;
import io.shmtx.region.Region;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One thread, one process, one object, under each consistency model: a read-modify-write
 * transaction of one 8-byte field, a read-only transaction of it, and a model switch (one
 * process attached, nothing running: the switch's own cost).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {BenchFiles.ADD_EXPORTS, "-Xmn64m"})
@State(Scope.Thread)
public class ModelBench
{
    /** The model the region runs. */
    @Param({"SEQUENTIAL", "RELEASE", "CAUSAL"})
    public String model;

    private Path file;
    private SharedMemory shm;
    private long handle;
    private long sink;
    private TxRunnable increment;
    private TxRunnable incrementForUpdate;
    private TxFunction<Object> read;
    private ConsistencyModel target;

    /** A region under {@link #model} with one reference-counted 8-byte object. */
    @Setup
    public void setUp()
    {
        file = BenchFiles.newPath("model");
        target = ConsistencyModel.valueOf(model);
        shm = SharedMemory.open(file, SharedMemoryConfig.builder().processSlots(8).model(target)
            .pool(PoolConfig.builder().tier(64, 1024).build()).build());
        handle = shm.allocate(8);
        increment = tx -> tx.putLong(handle, 0, tx.getLong(handle, 0) + 1);
        incrementForUpdate = tx -> tx.putLong(handle, 0, tx.getForUpdate(handle, 0) + 1);
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

    /** Read, write and commit one 8-byte field. */
    @Benchmark
    public void increment()
    {
        shm.transact(increment);
    }

    /** The same with {@code getForUpdate} (SEQUENTIAL: one exclusive lock instead of a shared lock and an upgrade). */
    @Benchmark
    public void incrementForUpdate()
    {
        shm.transact(incrementForUpdate);
    }

    /** A read-only transaction of one 8-byte field. */
    @Benchmark
    public long readOnly()
    {
        shm.readOnly(read);
        return sink;
    }

    /** A switch to the model in force (a new epoch: publish, drain the logs, complete). */
    @Benchmark
    public long switchModel()
    {
        shm.switchModel(target);
        return shm.epoch();
    }
}
