package io.shmtx.bench;

import io.shmtx.pool.PoolConfig;
import io.shmtx.pool.TieredPool;
import io.shmtx.refcount.RefCountConfig;
import io.shmtx.refcount.RefCounts;
import io.shmtx.region.Region;
import io.shmtx.region.RegionConfig;

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
 * A retain+release pair on one shared handle (count stays at 1 or more) against the floor: a
 * bare getAndAdd +1 / -1 pair on a word of the same mapped region.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {BenchFiles.ADD_EXPORTS, "-Xmn64m"})
@State(Scope.Thread)
public class RefCountBench
{
    private Path file;
    private Region region;
    private TieredPool pool;
    private RefCounts refs;
    private long handle;
    private AtomicBuffer buffer;
    private int word;

    /** A region with a pool and reference counts; one shared block held by this process. */
    @Setup
    public void setUp()
    {
        final PoolConfig poolConfig = PoolConfig.defaults();
        file = BenchFiles.newPath("refcount");
        Region.create(file, RegionConfig.builder().processSlots(8)
            .section(TieredPool.section(poolConfig, 8))
            .section(RefCounts.section(poolConfig, RefCountConfig.defaults(), 8)).build()).close();
        region = Region.open(file);
        pool = TieredPool.open(region);
        refs = RefCounts.open(region, pool);
        region.attach();
        handle = refs.allocate(64);
        buffer = region.buffer();
        word = pool.payloadOffset(handle) + 8; // a word of the same mapped memory, for the floor
    }

    /** Releases, closes and deletes the region. */
    @TearDown
    public void tearDown()
    {
        region.close();
        Region.delete(file);
    }

    /** retain then release: the crash-resistant protocol (lock the count word, intent, ledger, store). */
    @Benchmark
    public void retainRelease()
    {
        refs.retain(handle);
        refs.release(handle);
    }

    /** The floor: getAndAdd(+1) then getAndAdd(-1) on a word in the same region. */
    @Benchmark
    public long getAndAddPair()
    {
        buffer.getAndAddLong(word, 1);
        return buffer.getAndAddLong(word, -1);
    }
}
