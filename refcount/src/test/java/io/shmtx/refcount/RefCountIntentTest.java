package io.shmtx.refcount;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.pool.Handles;
import io.shmtx.region.OwnerDeathReport;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two threads of one process update the same handle; the process dies while one of them has
 * unlocked the count word but not yet cleared its intent and the other is at any step of its own
 * update. Recovery must read the count from the holder's intent alone: a finished thread's leftover
 * intent (held-before of the update before) must never be taken for the holder's, nor must the
 * intent of a thread naming a stale handle of the held block.
 */
class RefCountIntentTest
{
    private static final long WAIT_SECONDS = 30;

    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws Exception
    {
        temp.close();
    }

    @ParameterizedTest(name = "the second thread dies at step {0}")
    @ValueSource(ints = {RefCounts.STEP_INTENT, RefCounts.STEP_LOCKED, RefCounts.STEP_HELD_BEFORE, RefCounts.STEP_LEDGER,
        RefCounts.STEP_APPLIED, RefCounts.STEP_COUNT_STORED, RefCounts.STEP_HELD_RESET, RefCounts.STEP_UNLOCKED})
    void aFinishedThreadsIntentNeverStandsForTheHoldersOne(final int secondStep) throws Exception
    {
        final Path file = temp.newPath("intents");
        RefFixture.create(file, RefCountConfig.defaults());
        try (RefFixture b = new RefFixture(file); RefFixture a = new RefFixture(file))
        {
            final long h = b.refs.allocate(8);   // b holds 1
            final long other = b.refs.allocate(8);
            a.refs.retain(h);                    // a holds 1: count 2
            final List<Throwable> failures = new CopyOnWriteArrayList<>();
            final CountDownLatch secondHasCell = new CountDownLatch(1);
            final CountDownLatch go = new CountDownLatch(1);
            final CountDownLatch secondDied = new CountDownLatch(1);
            // the second thread takes its intent cell before the first, so the first one's cell comes
            // later in the slot's cells (a recovery that kept the last held-before found kept the first's)
            final Thread second = new Thread(() ->
            {
                a.refs.retain(other);
                secondHasCell.countDown();
                if (await(go))
                {
                    a.refs.retain(h);
                }
            }, "second");
            final Thread first = new Thread(() -> a.refs.retain(h), "first");
            collectFailuresButCrashes(failures, first, second);
            second.start();
            assertTrue(await(secondHasCell));
            a.refs.stepHook = step ->
            {
                if (Thread.currentThread() == first && step == RefCounts.STEP_UNLOCKED)
                {
                    // count stored and unlocked, intent not cleared yet: let the second thread in
                    go.countDown();
                    await(secondDied);
                    throw new RefCountCrashProperties.Crash();
                }
                if (Thread.currentThread() == second && step == secondStep)
                {
                    secondDied.countDown();
                    throw new RefCountCrashProperties.Crash();
                }
            };
            first.start();
            first.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
            second.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
            assertFalse(first.isAlive() || second.isAlive(), "both threads ended");
            assertEquals(List.of(), failures);
            assertEquals(0, secondDied.getCount(), "the second thread reached step " + secondStep);

            a.region.abandon(); // the process dies with both threads where they stopped
            final List<OwnerDeathReport> reports = b.region.recoverDeadSlots();
            assertEquals(1, reports.size());
            assertTrue(reports.get(0).completed(), reports.toString());
            assertEquals(1, b.refs.count(h), "only b's reference is left: " + reports);
            assertEquals(1, b.refs.count(other), "only b's reference is left");
            assertTrue(b.pool.isLive(h));
            assertTrue(b.refs.orphanReport().isEmpty());
            assertTrue(b.refs.release(h), "b's release is the last one");
            assertFalse(b.pool.isLive(h));
            assertTrue(b.pool.validate().valid());
        }
    }

    /**
     * The process dies while one thread holds a word mid-retain (its ledger holding raised, the count
     * not stored) and another thread, whose cell comes first in the slot, names a stale handle of the
     * same block (it was about to wait for the word). Recovery must take the count from the holder's
     * intent: treating the stale handle first unlocked the word with the old count, then subtracted
     * the holder's raised ledger holding from it, freeing the block under a live holder.
     */
    @Test
    void aStaleHandleOfAHeldBlockInAnEarlierCellNeverStandsForTheHolder() throws Exception
    {
        final Path file = temp.newPath("stale-intent");
        RefFixture.create(file, RefCountConfig.defaults());
        try (RefFixture b = new RefFixture(file); RefFixture a = new RefFixture(file))
        {
            final long h = b.refs.allocate(8);   // b holds 1
            final long other = b.refs.allocate(8);
            a.refs.retain(h);                    // a holds 1: count 2
            final long stale = Handles.handle(Handles.tier(h), Handles.generation(h) + 1, Handles.index(h));
            final List<Throwable> failures = new CopyOnWriteArrayList<>();
            final CountDownLatch waiterHasCell = new CountDownLatch(1);
            final CountDownLatch go = new CountDownLatch(1);
            final CountDownLatch waiterDied = new CountDownLatch(1);
            final Thread waiter = new Thread(() ->
            {
                a.refs.retain(other); // takes the slot's first cell
                waiterHasCell.countDown();
                if (await(go))
                {
                    a.refs.retain(stale);
                }
            }, "waiter");
            final Thread holder = new Thread(() -> a.refs.retain(h), "holder");
            collectFailuresButCrashes(failures, holder, waiter);
            waiter.start();
            assertTrue(await(waiterHasCell));
            a.refs.stepHook = step ->
            {
                if (Thread.currentThread() == holder && step == RefCounts.STEP_LEDGER)
                {
                    go.countDown(); // the ledger says 2, the word still 2, locked, with held-before 1
                    await(waiterDied);
                    throw new RefCountCrashProperties.Crash();
                }
                if (Thread.currentThread() == waiter && step == RefCounts.STEP_INTENT)
                {
                    waiterDied.countDown(); // its cell names the stale handle
                    throw new RefCountCrashProperties.Crash();
                }
            };
            holder.start();
            holder.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
            waiter.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
            assertFalse(holder.isAlive() || waiter.isAlive(), "both threads ended");
            assertEquals(List.of(), failures);
            assertEquals(0, waiterDied.getCount(), "the waiter named the stale handle");

            a.region.abandon(); // the process dies with both threads where they stopped
            final List<OwnerDeathReport> reports = b.region.recoverDeadSlots();
            assertEquals(1, reports.size());
            assertTrue(reports.get(0).completed(), reports.toString());
            assertTrue(b.pool.isLive(h), "b still holds it: " + reports);
            assertEquals(1, b.refs.count(h), "only b's reference is left: " + reports);
            assertEquals(1, b.refs.count(other), "only b's reference is left");
            assertEquals(List.of(), b.refs.validate());
            assertTrue(b.refs.orphanReport().isEmpty());
            assertTrue(b.refs.release(h), "b's release is the last one");
            assertFalse(b.pool.isLive(h));
            assertTrue(b.pool.validate().valid());
        }
    }

    /** What {@code threads} throw, but the injected crashes, goes to {@code failures}. */
    private static void collectFailuresButCrashes(final List<Throwable> failures, final Thread... threads)
    {
        for (final Thread t : threads)
        {
            t.setUncaughtExceptionHandler((thread, ex) ->
            {
                if (!(ex instanceof RefCountCrashProperties.Crash))
                {
                    failures.add(ex);
                }
            });
        }
    }

    /** Bounded wait; a thread that times out goes on and the test's assertions report it. */
    private static boolean await(final CountDownLatch latch)
    {
        try
        {
            return latch.await(WAIT_SECONDS, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
