package io.shmtx.refcount;

import io.shmtx.pool.PoolConfig;
import io.shmtx.pool.TieredPool;
import io.shmtx.region.Region;
import io.shmtx.region.RegionConfig;

import java.nio.file.Path;
import java.time.Duration;

/**
 * One process's view of a region with a pool and reference counts: a Region, its pool, its
 * counts, attached.
 */
final class RefFixture implements AutoCloseable
{
    static final int SLOTS = 8;
    static final PoolConfig POOL = PoolConfig.builder().tier(64, 256).tier(256, 64).cacheSize(8).build();

    final Region region;
    final TieredPool pool;
    final RefCounts refs;

    RefFixture(final Path file)
    {
        region = Region.open(file, Duration.ZERO);
        pool = TieredPool.open(region);
        refs = RefCounts.open(region, pool);
        region.attach();
    }

    static RegionConfig config(final RefCountConfig refConfig)
    {
        return RegionConfig.builder().processSlots(SLOTS).rootSlots(32).heartbeatInterval(Duration.ofMillis(50))
            .watchdogInterval(Duration.ZERO)
            .section(TieredPool.section(POOL, SLOTS))
            .section(RefCounts.section(POOL, refConfig, SLOTS))
            .build();
    }

    static void create(final Path file, final RefCountConfig refConfig)
    {
        Region.create(file, config(refConfig)).close();
    }

    /** The count word of {@code handle}, as stored. */
    long rawWord(final long handle)
    {
        return region.buffer().getLongVolatile(refs.wordOffset(handle));
    }

    /** Overwrites the count word of {@code handle}, as a buggy or dead writer would. */
    void putRawWord(final long handle, final long word)
    {
        region.buffer().putLongVolatile(refs.wordOffset(handle), word);
    }

    @Override
    public void close()
    {
        region.close(); // runs the detach hooks: releases references, drains caches
    }
}
