package io.shmtx.deadlock;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.region.OwnerDeathReport;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The waiter count of a lock entry after a crash: a dead process may leave it counting a wait
 * that no longer exists (or not counting one it had marked). Recovery of the dead slot, and the
 * next scan for a better-ranked waiter, bring it back to the live waiters; never below them.
 * The crash states are written into the region as the dead process would have left them.
 */
class WaiterCountRepairTest
{
    private static final long KEY = 60;

    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws Exception
    {
        temp.close();
    }

    private Path region()
    {
        final Path file = temp.newPath("waiters");
        LockFixture.create(file, LockManagerConfig.builder().locks(64).policy(LockPolicy.TIMEOUT)
            .maxWait(Duration.ofMinutes(1)).build());
        return file;
    }

    private static int waiters(final LockFixture f)
    {
        return (int)(f.locks.buffer().getLongVolatile(f.locks.entryOffset(f.locks.lockIndex(KEY)) + LockTableDescriptor.ENTRY_WAITERS)
            & 0xFFFF_FFFFL);
    }

    private static long waitingWord(final LockFixture f, final Txn tx)
    {
        return f.locks.buffer().getLongVolatile(f.locks.cellOffset(tx.cell()) + LockTableDescriptor.CELL_WAITING);
    }

    /**
     * A dead process marked as waiting for the lock, its wait counted (it died waiting) or not (it
     * died between its mark and its increment, or between its decrement and its unmark), beside a
     * live waiter: recovery leaves exactly the live waiter counted.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void recoveryWithdrawsADeadWaiterAndKeepsTheLiveOne(final boolean counted)
    {
        final Path file = region();
        try (LockFixture survivor = new LockFixture(file); Txn holder = survivor.locks.begin();
             Txn waiter = survivor.locks.begin())
        {
            assertEquals(Decision.GRANTED, holder.tryLock(KEY, LockMode.EXCLUSIVE));
            assertEquals(Decision.WAIT, waiter.tryLock(KEY, LockMode.EXCLUSIVE));
            assertEquals(1, waiters(survivor));

            final LockFixture victim = new LockFixture(file);
            final Txn doomed = victim.locks.begin();
            if (counted)
            {
                assertEquals(Decision.WAIT, doomed.tryLock(KEY, LockMode.EXCLUSIVE));
                assertEquals(2, waiters(survivor));
            }
            else
            {
                final long mark = (survivor.locks.lockIndex(KEY) + 1L) | (1L << 40); // waiting for the entry, exclusive
                survivor.locks.buffer().putLongVolatile(survivor.locks.cellOffset(doomed.cell()) + LockTableDescriptor.CELL_WAITING, mark);
                assertEquals(1, waiters(survivor));
            }
            victim.region.abandon(); // killed here

            final List<OwnerDeathReport> reports = survivor.region.recoverDeadSlots();
            assertEquals(1, reports.size());
            assertTrue(reports.get(0).completed(), reports.toString());
            assertEquals(1, waiters(survivor), "the live waiter alone is counted: " + reports);
            assertEquals(0, waitingWord(survivor, doomed), "the dead cell's mark is gone");
            assertEquals(List.of(holder.cell()), survivor.locks.waitForGraph().get(waiter.cell()));

            holder.commit();
            assertEquals(Decision.GRANTED, waiter.tryLock(KEY, LockMode.EXCLUSIVE));
            assertEquals(0, waiters(survivor), "the live bookkeeping ends at zero");
            waiter.commit();
        }
    }

    /**
     * A count with no mark behind it (a process that died between increment and mark under the
     * older order, or a stray write) beside a live waiter: the next transaction that finds the
     * lock free and scans for a better-ranked waiter lowers the count to the live waiter, and
     * once that one is served the count is zero again (no more scans on every request).
     */
    @Test
    void theNextRankingScanLowersALeakedCountToTheLiveWaiters()
    {
        final Path file = region();
        try (LockFixture f = new LockFixture(file); Txn holder = f.locks.begin(); Txn waiter = f.locks.begin();
             Txn urgent = f.locks.begin(9))
        {
            assertEquals(Decision.GRANTED, holder.tryLock(KEY, LockMode.EXCLUSIVE));
            assertEquals(Decision.WAIT, waiter.tryLock(KEY, LockMode.EXCLUSIVE));
            final LockFixture victim = new LockFixture(file);
            final int entry = f.locks.entryOffset(f.locks.lockIndex(KEY));
            f.locks.buffer().getAndAddLong(entry + LockTableDescriptor.ENTRY_WAITERS, 1); // its increment; it died before its mark
            victim.region.abandon();
            assertTrue(f.region.recoverDeadSlots().get(0).completed());
            assertEquals(2, waiters(f), "no mark: recovery cannot know the count is its");

            holder.commit();
            assertEquals(Decision.GRANTED, urgent.tryLock(KEY, LockMode.EXCLUSIVE), "higher priority than the waiter");
            assertEquals(1, waiters(f), "lowered to the one live waiter, not below");
            urgent.commit();
            assertEquals(Decision.GRANTED, waiter.tryLock(KEY, LockMode.EXCLUSIVE));
            assertEquals(0, waiters(f));
            waiter.commit();
        }
    }

    /**
     * The repair's compare-and-set is on the whole word: a waiter that registered and left between
     * the repairer's read and its write (count back where it was) makes it fail instead of
     * lowering the count on a stale scan.
     */
    @Test
    void aRepairOnAStaleReadFailsEvenWhenTheCountIsBack()
    {
        try (LockFixture f = new LockFixture(region()); Txn holder = f.locks.begin(); Txn waiter = f.locks.begin())
        {
            final int index = f.locks.lockIndex(KEY);
            final int word = f.locks.entryOffset(index) + LockTableDescriptor.ENTRY_WAITERS;
            assertEquals(Decision.GRANTED, holder.tryLock(KEY, LockMode.EXCLUSIVE));
            f.locks.buffer().getAndAddLong(word, LockTableDescriptor.WAITER_INCREMENT); // a leaked count of 1
            final long seen = f.locks.buffer().getLongVolatile(word);
            assertEquals(Decision.WAIT, waiter.tryLock(KEY, LockMode.EXCLUSIVE));
            holder.commit();
            waiter.abort(); // registered and left
            assertEquals(1, waiters(f));
            assertFalse(f.locks.lowerWaiters(index, seen, 0), "the word changed since it was read");
            assertEquals(1, waiters(f));
            assertTrue(f.locks.lowerWaiters(index, f.locks.buffer().getLongVolatile(word), 0));
            assertEquals(0, waiters(f));
        }
    }
}
