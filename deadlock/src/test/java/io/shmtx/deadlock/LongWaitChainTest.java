package io.shmtx.deadlock;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The cycle detector on a wait chain through every transaction cell of the table (8 process
 * slots x 1024 cells, the most a process may have): each transaction holds one lock and waits
 * for the next one's, so the wait-for graph is one path 8192 cells long, closed into a cycle in
 * the second half. Detection runs in a thread with a small stack: a recursive depth-first search
 * overflows it, the iterative one does not.
 */
class LongWaitChainTest
{
    private static final int CELLS_PER_PROCESS = 1024;
    private static final int CELLS = LockFixture.SLOTS * CELLS_PER_PROCESS;
    private static final long SMALL_STACK = 192 * 1024;

    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws Exception
    {
        temp.close();
    }

    @Test
    void aChainThroughEveryCellIsSearchedWithoutDeepRecursion() throws Exception
    {
        final Path file = temp.newPath("chain");
        LockFixture.create(file, LockManagerConfig.builder().locks(2 * CELLS).transactionsPerProcess(CELLS_PER_PROCESS)
            .policy(LockPolicy.DETECT).maxWait(Duration.ofMinutes(1)).build());
        final List<LockFixture> processes = new ArrayList<>();
        final List<Txn> chain = new ArrayList<>();
        try
        {
            for (int p = 0; p < LockFixture.SLOTS; p++)
            {
                final LockFixture f = new LockFixture(file);
                processes.add(f);
                for (int t = 0; t < CELLS_PER_PROCESS; t++)
                {
                    chain.add(f.locks.begin());
                }
            }
            final LockManager locks = processes.get(0).locks;
            final long[] keys = keysOfDistinctEntries(locks, CELLS);
            for (int i = 0; i < CELLS; i++)
            {
                assertEquals(Decision.GRANTED, chain.get(i).tryLock(keys[i], LockMode.EXCLUSIVE));
            }
            for (int i = 0; i + 1 < CELLS; i++)
            {
                assertEquals(Decision.WAIT, chain.get(i).tryLock(keys[i + 1], LockMode.EXCLUSIVE), "link " + i);
            }
            assertEquals(CELLS - 1, locks.waitForGraph().size());

            assertEquals(0, onSmallStack(locks::detectDeadlocks), "a path, no cycle");
            assertEquals(0, locks.aborts().get(AbortReason.DEADLOCK));

            final Txn last = chain.get(CELLS - 1);
            assertEquals(Decision.WAIT, last.tryLock(keys[0], LockMode.EXCLUSIVE), "closes the cycle");
            assertEquals(1, onSmallStack(locks::detectDeadlocks), "one cycle through all " + CELLS + " cells");
            assertEquals(Decision.ABORTED, last.tryLock(keys[0], LockMode.EXCLUSIVE), "the youngest is the victim");
            assertEquals(1, locks.aborts().get(AbortReason.DEADLOCK));
            for (int i = 0; i + 1 < CELLS; i++)
            {
                assertTrue(chain.get(i).isActive(), "only the victim aborted");
            }
            assertEquals(Decision.GRANTED, chain.get(CELLS - 2).tryLock(keys[CELLS - 1], LockMode.EXCLUSIVE),
                "the victim released its lock");
        }
        finally
        {
            chain.forEach(Txn::close);
            processes.forEach(LockFixture::close);
        }
    }

    /** Runs {@code task} in a thread with a small stack, bounded in time; rethrows what it threw. */
    private static int onSmallStack(final IntSupplier task) throws Exception
    {
        final AtomicInteger result = new AtomicInteger(-1);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread thread = new Thread(null, () ->
        {
            try
            {
                result.set(task.getAsInt());
            }
            catch (final Throwable t) // a StackOverflowError included: that is the failure looked for
            {
                failure.set(t);
            }
        }, "small-stack-detector", SMALL_STACK);
        thread.start();
        thread.join(TimeUnit.SECONDS.toMillis(60));
        assertFalse(thread.isAlive(), "detection did not finish within 60 s");
        if (failure.get() != null)
        {
            throw new AssertionError("detection failed on a " + SMALL_STACK / 1024 + " KiB stack", failure.get());
        }
        return result.get();
    }

    /** The first {@code count} keys 0, 1, 2... that hash onto entries no earlier key took. */
    private static long[] keysOfDistinctEntries(final LockManager locks, final int count)
    {
        final long[] keys = new long[count];
        final Set<Integer> taken = new HashSet<>();
        int found = 0;
        for (long key = 0; found < count && key < 100L * count; key++)
        {
            if (taken.add(locks.lockIndex(key)))
            {
                keys[found++] = key;
            }
        }
        assertEquals(count, found, "keys of distinct entries");
        return keys;
    }
}
