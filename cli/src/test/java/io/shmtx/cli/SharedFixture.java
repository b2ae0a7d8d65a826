package io.shmtx.cli;

import io.shmtx.deadlock.LockManager;
import io.shmtx.pool.TieredPool;
import io.shmtx.refcount.RefCounts;
import io.shmtx.region.Region;

import java.nio.file.Path;
import java.time.Duration;

/**
 * One process's view of a region with a pool, reference counts and a lock table (as
 * {@code shmtx create --pool --refcounts --locks} makes it), attached, like the deadlock and
 * refcount modules' own fixtures. Several in one JVM take several slots. No watchdog: nothing
 * recovers a slot {@link #crash() crashed} here unless a test asks.
 */
final class SharedFixture implements AutoCloseable
{
    final Region region;
    final TieredPool pool;
    final RefCounts refs;
    final LockManager locks;
    final int slot;

    SharedFixture(final Path file)
    {
        region = Region.open(file, Duration.ZERO);
        // opened before attach(): the region wants recovery steps registered before it may run them
        pool = TieredPool.open(region);
        refs = RefCounts.open(region, pool);
        locks = LockManager.open(region);
        slot = region.attach();
    }

    /** As if the process were killed: its slot stays ATTACHED with a dead owner, its references and locks stay. */
    void crash()
    {
        region.abandon();
    }

    @Override
    public void close()
    {
        locks.close();
        region.close(); // runs the detach hooks: releases references, drains caches
    }
}
