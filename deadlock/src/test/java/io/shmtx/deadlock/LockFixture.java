package io.shmtx.deadlock;

import io.shmtx.region.Region;
import io.shmtx.region.RegionConfig;
import io.shmtx.region.SectionSpec;

import java.nio.file.Path;
import java.time.Duration;

/**
 * One process's view of a region with a lock table (and a small user section of witness words).
 */
final class LockFixture implements AutoCloseable
{
    static final int SLOTS = 8;
    static final int WITNESS = SectionSpec.FIRST_USER_ID;

    final Region region;
    final LockManager locks;

    LockFixture(final Path file)
    {
        region = Region.open(file, Duration.ZERO);
        locks = LockManager.open(region);
        region.attach();
    }

    static void create(final Path file, final LockManagerConfig config)
    {
        Region.create(file, RegionConfig.builder().processSlots(SLOTS).watchdogInterval(Duration.ZERO)
            .section(LockManager.section(config, SLOTS))
            .section(new SectionSpec(WITNESS, 64 * 1024, false))
            .build()).close();
    }

    int witness(final int key)
    {
        return (int)region.section(WITNESS).offset() + key * 64;
    }

    /** The waiter count of lock entry {@code index}. */
    int waiterCount(final int index)
    {
        return LockTableDescriptor.waiterCount(locks.buffer().getLongVolatile(locks.entryOffset(index) + LockTableDescriptor.ENTRY_WAITERS));
    }

    /** Transaction cells marked as waiting for lock entry {@code index}. */
    int markedWaiters(final int index)
    {
        int marked = 0;
        for (int c = 0; c < locks.totalCells(); c++)
        {
            if (LockTableDescriptor.waitingIndex(locks.buffer().getLongVolatile(locks.cellOffset(c) + LockTableDescriptor.CELL_WAITING)) == index)
            {
                marked++;
            }
        }
        return marked;
    }

    /** Every lock entry's waiter count, summed. */
    long totalWaiterCount()
    {
        long total = 0;
        for (int i = 0; i < locks.lockCount(); i++)
        {
            total += waiterCount(i);
        }
        return total;
    }

    @Override
    public void close()
    {
        locks.close();
        region.close();
    }
}
