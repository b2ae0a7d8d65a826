package io.shmtx.refcount;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.pool.Handles;
import io.shmtx.pool.StaleHandleException;
import io.shmtx.pool.TieredPool;
import io.shmtx.region.OwnerDeathReport;
import io.shmtx.region.ProcessSlotInfo;
import io.shmtx.region.Region;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, point 3: a count word locked by the caller's own slot that no thread of the caller
 * holds (corrupt, or left by an earlier attachment of the slot). The process can tell, from its
 * threads' cells: such a word must neither stall every operation on it for the lock bound, nor
 * keep a dead slot from being recovered; a word one of its threads really holds must still be
 * waited for.
 */
class OwnSlotLockTest
{
    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws Exception
    {
        temp.close();
    }

    private Path region()
    {
        final Path file = temp.newPath("own-slot");
        RefFixture.create(file, RefCountConfig.defaults());
        return file;
    }

    /** After this process's first update, an operation on such a word fails at once, naming it, and changes nothing. */
    @Test
    void anOperationOnALockOfItsOwnSlotThatNoThreadHoldsFailsNamingIt() throws Exception
    {
        final Path file = region();
        try (RefFixture a = new RefFixture(file))
        {
            final long h = a.refs.allocate(8); // count 1: the first update is done
            final long planted = RefCountDescriptor.locked(a.rawWord(h), a.region.slot());
            a.putRawWord(h, planted);
            final RefCountException ex = assertThrows(RefCountException.class, () -> a.refs.retain(h));
            assertTrue(ex.getMessage().contains("locked by slot " + a.region.slot() + ", this process's own, but none of its"
                + " threads holds it") && ex.getMessage().contains(Handles.toString(h)) && ex.getMessage().contains(file.toString()),
                ex.getMessage());
            assertEquals(planted, a.rawWord(h), "left as found");
            assertEquals(1, a.refs.held(h));
            a.putRawWord(h, RefCountDescriptor.unlocked(planted));
        }
        try (RefFixture b = new RefFixture(file))
        {
            assertEquals(List.of(), b.refs.validate(), "the close released the reference; nothing is left locked");
        }
    }

    /** A word a thread of this process really holds is waited for, not taken for a leftover. */
    @Test
    void aLockAnotherThreadOfThisProcessHoldsIsWaitedFor() throws Exception
    {
        final Path file = region();
        try (RefFixture a = new RefFixture(file))
        {
            final long h = a.refs.allocate(8);
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread t = retainHoldingTheWord(a, h, failure);
            a.refs.retain(h); // waits for t
            t.join();
            assertNull(failure.get());
            assertEquals(3, a.refs.count(h));
            assertEquals(3, a.refs.held(h));
        }
    }

    /**
     * A thread of this process that holds the word with a stale handle of the block (a retain
     * refused only once the word is locked and validated) holds it all the same: another thread's
     * operation on the live handle waits for it. The probe compared whole handles, found no cell
     * naming the live one, and failed the operation as a leftover (the soak's one failure).
     */
    @Test
    void aThreadHoldingTheWordWithAStaleHandleOfTheBlockIsWaitedFor() throws Exception
    {
        final Path file = region();
        try (RefFixture a = new RefFixture(file))
        {
            final long h = a.refs.allocate(8);
            final long stale = Handles.handle(Handles.tier(h), Handles.generation(h) + 1, Handles.index(h));
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread t = retainHoldingTheWord(a, stale, failure); // as a preempted thread, or one in a safepoint pause
            a.refs.retain(h); // waits for t
            t.join();
            assertInstanceOf(StaleHandleException.class, failure.get(), String.valueOf(failure.get()));
            assertEquals(2, a.refs.count(h));
            assertEquals(2, a.refs.held(h));
            assertEquals(List.of(), a.refs.validate());
        }
    }

    /**
     * Before its first update a process holds no count word, so a lock of its own slot is a
     * leftover of an earlier attachment: it is dropped, keeping the count, and the operation goes on.
     */
    @Test
    void aLeftoverOfAnEarlierAttachmentOfTheSlotIsDroppedBeforeTheFirstUpdate() throws Exception
    {
        final Path file = region();
        try (RefFixture a = new RefFixture(file))
        {
            final long h = a.refs.allocate(8); // count 1, held by a
            final int next = a.region.slot() + 1; // free now: the next attachment takes it
            a.putRawWord(h, RefCountDescriptor.lockedStored(a.rawWord(h), next));
            try (RefFixture b = new RefFixture(file))
            {
                assertEquals(next, b.region.slot());
                b.refs.retain(h);
                assertEquals(2, b.refs.count(h), "the count was kept");
                assertFalse(b.refs.release(h));
            }
            assertEquals(List.of(), a.refs.validate());
        }
    }

    /**
     * A dead slot holds references to a handle whose word is locked by the recovering process's own
     * slot, none of its threads holding it: the recovery leaves that word as found, names it, and
     * recovers the rest of the dead slot, which is freed (it used to fail on every pass, after a
     * 10 s wait, and stay RECOVERING).
     */
    @Test
    void aRecoveryThatMeetsItsOwnSlotsLeftoverLeavesItAndRecoversTheRest() throws Exception
    {
        final Path file = region();
        try (RefFixture b = new RefFixture(file))
        {
            final RefFixture a = new RefFixture(file);
            final long h = a.refs.allocate(8);
            final long other = a.refs.allocate(8); // only a holds it: freed by the recovery
            b.refs.retain(h); // b's first update is done
            a.region.abandon(); // as if killed
            final long planted = RefCountDescriptor.locked(b.rawWord(h), b.region.slot());
            b.putRawWord(h, planted);

            final List<OwnerDeathReport> reports = b.region.recoverDeadSlots();
            assertEquals(1, reports.size(), reports.toString());
            assertTrue(reports.get(0).completed(), reports.toString());
            final String summary = String.join(" | ", reports.get(0).stepResults());
            assertTrue(summary.contains("left 1 corrupt count words as found: handle " + Handles.toString(h))
                && summary.contains("this recovering process's own attachment"), summary);
            assertEquals(planted, b.rawWord(h), "left as found");
            assertFalse(b.pool.isLive(other), "the rest of the dead slot was recovered");
            for (final ProcessSlotInfo info : b.region.processes())
            {
                assertEquals(b.region.slot(), info.slot(), "the dead slot is free: " + info);
            }
            b.putRawWord(h, RefCountDescriptor.unlocked(planted));
            a.close();
        }
    }

    /**
     * The attach of a process that has not updated anything yet recovers a dead slot whose
     * references include a word left locked by the slot it has just taken: the lock is dropped and
     * the dead slot's references subtracted.
     */
    @Test
    void attachRecoversThroughALeftoverOfTheSlotItTakes() throws Exception
    {
        final Path file = region();
        try (RefFixture keeper = new RefFixture(file))
        {
            final RefFixture a = new RefFixture(file);
            final long h = keeper.refs.allocate(8);
            a.refs.retain(h);
            a.refs.retain(h); // count 3
            final int next = a.region.slot() + 1; // the slot the newcomer will take
            a.region.abandon(); // as if killed
            keeper.putRawWord(h, RefCountDescriptor.locked(keeper.rawWord(h), next));

            final List<OwnerDeathReport> reports = new CopyOnWriteArrayList<>();
            try (Region region = Region.open(file, Duration.ZERO); TieredPool pool = TieredPool.open(region))
            {
                final RefCounts refs = RefCounts.open(region, pool);
                region.addOwnerDeathListener(reports::add);
                assertEquals(next, region.attach());
                assertEquals(1, reports.size(), reports.toString());
                assertTrue(reports.get(0).completed(), reports.toString());
                assertEquals(1, refs.count(h), "the dead slot's two references were subtracted");
                assertEquals(List.of(), refs.validate());
            }
            a.close();
        }
    }

    /**
     * Starts a thread that retains {@code handle} in {@code a} and holds its count word for 200 ms
     * once locked (well past the probe's two readings a millisecond apart); returns once it holds it.
     *
     * @param failure receives what the thread's retain threw.
     */
    private static Thread retainHoldingTheWord(final RefFixture a, final long handle, final AtomicReference<Throwable> failure)
        throws InterruptedException
    {
        final CountDownLatch locked = new CountDownLatch(1);
        final AtomicReference<Thread> holder = new AtomicReference<>();
        a.refs.stepHook = step ->
        {
            if (step == RefCounts.STEP_LOCKED && Thread.currentThread() == holder.get())
            {
                locked.countDown();
                sleep(200);
            }
        };
        final Thread t = new Thread(() ->
        {
            try
            {
                a.refs.retain(handle);
            }
            catch (final Throwable ex)
            {
                failure.set(ex);
            }
        });
        holder.set(t);
        t.start();
        assertTrue(locked.await(10, TimeUnit.SECONDS));
        return t;
    }

    private static void sleep(final long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
