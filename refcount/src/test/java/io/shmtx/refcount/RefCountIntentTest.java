package io.shmtx.refcount;

import static org.junit.jupiter.api.Assertions.*;

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
 * intent (held-before of the update before) must never be taken for the holder's.
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
            for (final Thread t : List.of(first, second))
            {
                t.setUncaughtExceptionHandler((thread, ex) ->
                {
                    if (!(ex instanceof RefCountCrashProperties.Crash))
                    {
                        failures.add(ex);
                    }
                });
            }
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
