package io.shmtx.refcount;

import io.shmtx.deadlock.LockManager;
import io.shmtx.deadlock.LockManagerConfig;
import io.shmtx.deadlock.LockMode;
import io.shmtx.deadlock.Txn;
import io.shmtx.pool.PoolConfig;
import io.shmtx.pool.TieredPool;
import io.shmtx.region.OwnerDeathReport;
import io.shmtx.region.Region;
import io.shmtx.region.RegionConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One process's view of a region holding every module: pool, reference counts and lock table,
 * opened (their recovery steps registered) but not attached; it hears of every recovery it runs.
 */
final class Stack implements AutoCloseable
{
    static final PoolConfig POOL = PoolConfig.builder().tier(64, 2048).tier(256, 512).cacheSize(16).build();

    final Region region;
    final TieredPool pool;
    final RefCounts refs;
    final LockManager locks;
    final List<OwnerDeathReport> recoveries = new CopyOnWriteArrayList<>();

    Stack(final Path file, final Duration watchdog)
    {
        region = Region.open(file, watchdog);
        pool = TieredPool.open(region);
        refs = RefCounts.open(region, pool);
        locks = LockManager.open(region);
        region.addOwnerDeathListener(recoveries::add);
    }

    /** Opened without a watchdog, and attached. */
    static Stack attached(final Path file)
    {
        final Stack stack = new Stack(file, Duration.ZERO);
        stack.region.attach();
        return stack;
    }

    static void create(final Path file, final int slots)
    {
        Region.create(file, RegionConfig.builder().processSlots(slots).rootSlots(8).heartbeatInterval(Duration.ofMillis(50))
            .watchdogInterval(Duration.ZERO)
            .section(TieredPool.section(POOL, slots))
            .section(RefCounts.section(POOL, RefCountConfig.defaults(), slots))
            .section(LockManager.section(LockManagerConfig.defaults(), slots))
            .build()).close();
    }

    /** Root bound to the block every holder retains. */
    static final String COMMON = "common";
    /** Lock key every holder takes shared. */
    static final long COMMON_KEY = 1_000_000;

    /**
     * Takes something of every kind, as a process that is then killed would hold it: blocks it owns
     * (some allocated, some freed into its thread cache), two references to {@code common}, a
     * block of its own shared with two references, and an open transaction holding {@code key}
     * exclusively and {@link #COMMON_KEY} shared.
     *
     * @return the open transaction.
     */
    Txn holdEverything(final long common, final long key)
    {
        final List<Long> owned = new java.util.ArrayList<>();
        for (int i = 0; i < 60; i++)
        {
            owned.add(pool.allocate(i % 4 == 0 ? 200 : 48));
        }
        for (int i = 0; i < owned.size(); i += 2)
        {
            pool.free(owned.get(i));
        }
        refs.retain(common);
        refs.retain(common);
        final long own = refs.allocate(100);
        refs.retain(own);
        final Txn tx = locks.begin();
        tx.lock(key, LockMode.EXCLUSIVE);
        tx.lock(COMMON_KEY, LockMode.SHARED);
        return tx;
    }

    /**
     * Problems any module finds, and what a dead process could still hold: blocks owned by a slot
     * other than {@code liveSlot}, orphaned references, locks held. Empty when all is whole.
     */
    List<String> everythingWhole(final int liveSlot)
    {
        final List<String> problems = new java.util.ArrayList<>(pool.validate().problems());
        problems.addAll(refs.validate());
        problems.addAll(locks.validate());
        pool.leakReport(0).stream().filter(leak -> leak.ownerSlot() != liveSlot).forEach(leak -> problems.add("leak " + leak));
        refs.orphanReport().forEach(orphan -> problems.add("orphan " + io.shmtx.pool.Handles.toString(orphan)));
        locks.locksHeldPerSlot().forEach((slot, held) -> problems.add("slot " + slot + " holds " + held + " locks"));
        return problems;
    }

    @Override
    public void close()
    {
        region.close();
    }
}
