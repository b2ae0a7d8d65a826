package io.shmtx.bench;

import io.shmtx.pool.PoolConfig;
import io.shmtx.pool.TieredPool;
import io.shmtx.region.Region;
import io.shmtx.region.RegionConfig;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Allocating and freeing a block of a {@link TieredPool} with the default configuration (tiers
 * 32 B .. 64 KiB, 32-block thread caches): the steady state is served by the thread's cache, plus
 * the block header CAS of a free and the per-thread counters. One thread on its own pool, and two
 * threads of one process on one pool.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {BenchFiles.ADD_EXPORTS, "-Xmn64m"})
public class PoolBench
{
    /** A region with a default pool in /dev/shm, attached, shared by every benchmark thread. */
    @State(Scope.Benchmark)
    public static class SharedPool
    {
        private Path file;
        private Region region;
        TieredPool pool;

        /** Creates the region and attaches this process. */
        @Setup
        public void setUp()
        {
            file = BenchFiles.newPath("pool");
            Region.create(file, RegionConfig.builder().processSlots(8).section(TieredPool.section(PoolConfig.defaults(), 8)).build())
                .close();
            region = Region.open(file);
            pool = TieredPool.open(region);
            region.attach();
        }

        /** Closes the pool, then the region, and deletes the region file. */
        @TearDown
        public void tearDown()
        {
            pool.close();
            region.close();
            Region.delete(file);
        }
    }

    /** The same, one per benchmark thread. */
    @State(Scope.Thread)
    public static class OwnPool extends SharedPool
    {
    }

    /** allocate(64) then free: the 64-byte tier. */
    @Benchmark
    public void allocateFree64(final OwnPool s)
    {
        s.pool.free(s.pool.allocate(64));
    }

    /** tryAllocate(64) (no exception path) then free. */
    @Benchmark
    public void tryAllocateFree64(final OwnPool s)
    {
        s.pool.free(s.pool.tryAllocate(64));
    }

    /** allocate(4096) then free: the 4 KiB tier (256 blocks, so a 4-block thread cache). */
    @Benchmark
    public void allocateFree4k(final OwnPool s)
    {
        s.pool.free(s.pool.allocate(4096));
    }

    /**
     * Two threads of one process, each: allocate(64) then free on one shared pool (each through
     * its own thread cache); time per pair per thread, to set beside {@link #allocateFree64}.
     */
    @Benchmark
    @Threads(2)
    public void twoThreadsAllocateFree64(final SharedPool s)
    {
        s.pool.free(s.pool.allocate(64));
    }
}
