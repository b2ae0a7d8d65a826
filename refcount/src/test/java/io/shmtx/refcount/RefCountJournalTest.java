package io.shmtx.refcount;

import static io.shmtx.refcount.RefCountDescriptor.*;
import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.pool.Handles;
import io.shmtx.region.OwnerDeathReport;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.AtomicBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The recovery journal: what a recoverer that dies leaves, and what the next one does with it.
 * Journals that no recoverer could have left (corrupt, or stale against the count word) are written
 * here by hand; a dead recoverer is a recovering attachment crashed by the step hook, then
 * abandoned.
 */
class RefCountJournalTest
{
    private static final long WAIT_SECONDS = 30;

    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws Exception
    {
        temp.close();
    }

    private Path region()
    {
        final Path file = temp.newPath("journal");
        RefFixture.create(file, RefCountConfig.defaults());
        return file;
    }

    private static void writeJournal(final RefFixture f, final long handle, final long deadSlot, final long writer, final long word,
        final long flags)
    {
        final AtomicBuffer buffer = f.region.buffer();
        buffer.putLong(f.refs.base() + JOURNAL_HANDLE_OFFSET, handle);
        buffer.putLong(f.refs.base() + JOURNAL_DEAD_SLOT_OFFSET, deadSlot);
        buffer.putLong(f.refs.base() + JOURNAL_WRITER_OFFSET, writer);
        buffer.putLong(f.refs.base() + JOURNAL_WORD_OFFSET, word);
        buffer.putLongVolatile(f.refs.base() + JOURNAL_FLAGS_OFFSET, flags);
    }

    private static long journalFlags(final RefFixture f)
    {
        return f.region.buffer().getLongVolatile(f.refs.base() + JOURNAL_FLAGS_OFFSET);
    }

    private static String summaries(final List<OwnerDeathReport> reports)
    {
        final List<String> results = new ArrayList<>();
        reports.forEach(r -> results.addAll(r.stepResults()));
        return String.join(" | ", results);
    }

    private static void assertAllCompleted(final List<OwnerDeathReport> reports, final int expected)
    {
        assertEquals(expected, reports.size(), reports.toString());
        assertTrue(reports.stream().allMatch(OwnerDeathReport::completed), reports.toString());
    }

    enum Corruption
    {
        /** 2^32 + a live slot: narrowed to int first, it named that live slot. */
        DEAD_SLOT_ABOVE_INT,
        /** A negative long whose low 32 bits are a live slot. */
        DEAD_SLOT_NEGATIVE,
        /** 2^32 + the writer's slot. */
        WRITER_ABOVE_INT,
        /** A writer slot beyond the process table (and a count word locked in its name). */
        WRITER_OUT_OF_RANGE,
        /** The word to store is locked by another slot than the writer. */
        WORD_NOT_THE_WRITERS,
        HANDLE_NAMES_NO_BLOCK,
        FLAGS_NAME_NO_PHASE,
        /** LOCKING with a word as found that no writer leaves (STORED without a lock): never put back. */
        FOUND_WORD_CORRUPT
    }

    /**
     * A journal with one value out of range, beside a count word held (as a dead recoverer would
     * hold it) by the journal's writer: nothing changes, and the summary names the value.
     */
    @ParameterizedTest
    @EnumSource(Corruption.class)
    void aCorruptJournalIsIgnoredAndChangesNothing(final Corruption corruption) throws Exception
    {
        final Path file = region();
        try (RefFixture b = new RefFixture(file); RefFixture a = new RefFixture(file); RefFixture c = new RefFixture(file))
        {
            final long h = a.refs.allocate(8);
            a.refs.retain(h);
            b.refs.retain(h); // count 3: a holds 2, b 1
            final int aSlot = a.region.slot();
            final int writer = corruption == Corruption.WRITER_OUT_OF_RANGE ? 100 : c.region.slot();
            c.region.abandon(); // the dead recoverer
            final long unlocked = b.rawWord(h);
            final long held = lockedStored(unlocked, writer);
            b.putRawWord(h, held);
            long handle = h;
            long deadSlot = aSlot;
            long writerSlot = writer;
            long toStore = lockedStored(word(generation(unlocked), 0, -1), writer); // drop all of a's references
            long flags = JOURNAL_APPLY | JOURNAL_FREE;                                // and free the block
            final String range = " is out of range 0.." + (RefFixture.SLOTS - 1);
            final String expected;
            switch (corruption)
            {
                case DEAD_SLOT_ABOVE_INT ->
                {
                    deadSlot = (1L << 32) + aSlot;
                    expected = "dead slot=" + deadSlot + range;
                }
                case DEAD_SLOT_NEGATIVE ->
                {
                    deadSlot = (-1L << 32) | aSlot;
                    expected = "dead slot=" + deadSlot + range;
                }
                case WRITER_ABOVE_INT ->
                {
                    writerSlot = (1L << 32) + writer;
                    expected = "writer slot=" + writerSlot + range;
                }
                case WRITER_OUT_OF_RANGE -> expected = "writer slot=100" + range;
                case WORD_NOT_THE_WRITERS ->
                {
                    toStore = lockedStored(word(generation(unlocked), 0, -1), aSlot);
                    expected = "word=0x" + Long.toHexString(toStore) + " is not held by writer slot " + writer;
                }
                case HANDLE_NAMES_NO_BLOCK ->
                {
                    handle = Handles.handle(30, 1, 0);
                    expected = "handle=0x" + Long.toHexString(handle) + " names no block";
                }
                case FOUND_WORD_CORRUPT ->
                {
                    toStore = unlocked | STORED; // the count and generation of the word held: a replay would put it back
                    flags = JOURNAL_LOCKING;
                    expected = "word=0x" + Long.toHexString(toStore) + " is corrupt: it has STORED set without a lock";
                }
                default ->
                {
                    flags = 0x10 | JOURNAL_APPLY;
                    expected = "flags=0x11 name no phase";
                }
            }
            writeJournal(b, handle, deadSlot, writerSlot, toStore, flags);

            final List<OwnerDeathReport> reports = b.region.recoverDeadSlots();
            assertAllCompleted(reports, 1);
            assertEquals(held, b.rawWord(h), "the count word is as it was");
            assertEquals(2, a.refs.held(h), "a's ledger is untouched");
            assertEquals(1, b.refs.held(h));
            assertTrue(b.pool.isLive(h), "not freed");
            assertEquals(0, journalFlags(b), "the journal is emptied");
            assertTrue(summaries(reports).contains("ignored a corrupt journal: " + expected), summaries(reports));

            b.putRawWord(h, unlocked); // what an operator would do; then everything is as before
            assertEquals(3, b.refs.count(h));
            assertFalse(a.refs.release(h));
            assertFalse(a.refs.release(h));
            assertTrue(b.refs.release(h));
            assertFalse(b.pool.isLive(h));
        }
    }

    /**
     * A journal of an earlier generation of the block (freed and reused since), the word of the new
     * generation unlocked or (a journal no recoverer leaves) held by the dead writer: not replayed.
     */
    @ParameterizedTest(name = "word held by the dead writer: {0}")
    @ValueSource(booleans = {false, true})
    void aJournalOfAnEarlierGenerationOfTheBlockChangesNothing(final boolean heldByWriter) throws Exception
    {
        final Path file = region();
        try (RefFixture b = new RefFixture(file); RefFixture a = new RefFixture(file); RefFixture c = new RefFixture(file);
            RefFixture d = new RefFixture(file))
        {
            final long h = a.refs.allocate(8);
            b.refs.retain(h); // count 2
            final int writer = c.region.slot();
            final int dSlot = d.region.slot();
            c.region.abandon(); // the dead recoverer, which was recovering d
            d.region.abandon();
            final long unlocked = b.rawWord(h);
            final long before = heldByWriter ? lockedStored(unlocked, writer) : unlocked;
            b.putRawWord(h, before);
            final int earlier = (Handles.generation(h) - 1) & 0xFF_FFFF; // generations wrap at 24 bits
            final long earlierHandle = Handles.handle(Handles.tier(h), earlier, Handles.index(h));
            writeJournal(b, earlierHandle, dSlot, writer, lockedStored(word(earlier, 0, -1), writer), JOURNAL_APPLY | JOURNAL_FREE);

            final List<OwnerDeathReport> reports = b.region.recoverDeadSlots();
            assertAllCompleted(reports, 2);
            assertEquals(before, b.rawWord(h), "the count word of the new generation is as it was");
            assertTrue(b.pool.isLive(h));
            assertEquals(0, journalFlags(b));
            assertTrue(summaries(reports).contains("did not replay the journal of handle " + Handles.toString(earlierHandle)
                + " by slot " + writer + ": its count word 0x" + Long.toHexString(before)), summaries(reports));

            b.putRawWord(h, unlocked);
            assertEquals(2, b.refs.count(h));
            assertFalse(a.refs.release(h));
            assertTrue(b.refs.release(h));
        }
    }

    /**
     * A journal whose writer's slot number now belongs to a live process that holds the word for its
     * own update (at any step): not replayed, and that update finishes with exact counts.
     */
    @ParameterizedTest(name = "the live holder is at step {0}")
    @ValueSource(ints = {RefCounts.STEP_LOCKED, RefCounts.STEP_LEDGER, RefCounts.STEP_COUNT_STORED})
    void aJournalWhoseWordALiveSlotHoldsChangesNothing(final int holderStep) throws Exception
    {
        final Path file = region();
        try (RefFixture b = new RefFixture(file); RefFixture a = new RefFixture(file); RefFixture d = new RefFixture(file))
        {
            final long h = a.refs.allocate(8);
            b.refs.retain(h); // count 2
            final int dSlot = d.region.slot();
            d.region.abandon();
            final CountDownLatch paused = new CountDownLatch(1);
            final CountDownLatch resume = new CountDownLatch(1);
            final Thread holder = new Thread(() -> a.refs.retain(h), "holder");
            final List<Throwable> failures = new CopyOnWriteArrayList<>();
            holder.setUncaughtExceptionHandler((t, ex) -> failures.add(ex));
            a.refs.stepHook = step ->
            {
                if (Thread.currentThread() == holder && step == holderStep)
                {
                    paused.countDown();
                    await(resume);
                }
            };
            holder.start();
            assertTrue(await(paused));
            final long during = b.rawWord(h);
            assertEquals(a.region.slot(), lockOwner(during));
            // as a recoverer in a's slot number would have left it: drop d's references and free the block
            writeJournal(b, h, dSlot, a.region.slot(), lockedStored(word(Handles.generation(h), 0, -1), a.region.slot()),
                JOURNAL_APPLY | JOURNAL_FREE);

            final List<OwnerDeathReport> reports = b.region.recoverDeadSlots();
            assertAllCompleted(reports, 1);
            assertEquals(during, b.rawWord(h), "the live holder's word is as it was");
            assertTrue(b.pool.isLive(h));
            assertEquals(0, journalFlags(b));
            assertTrue(summaries(reports).contains("did not replay the journal of handle " + Handles.toString(h)), summaries(reports));

            resume.countDown();
            holder.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
            assertFalse(holder.isAlive());
            assertEquals(List.of(), failures);
            assertEquals(3, b.refs.count(h));
            assertEquals(2, a.refs.held(h));
            assertTrue(b.refs.orphanReport().isEmpty());
        }
    }

    /**
     * A recoverer killed at any step of dropping a dead slot's references, the dead slot itself
     * having died at a step of an update of the same handle (0: between updates): the next recoverer
     * finishes (exact counts, each block freed once) and leaves no count word locked.
     */
    @ParameterizedTest(name = "the dead slot died at step {0}, its recoverer at step {1}")
    @CsvSource({
        "0, " + RefCounts.STEP_RECOVERY_LOCKED, "0, " + RefCounts.STEP_RECOVERY_JOURNALED, "0, " + RefCounts.STEP_RECOVERY_DONE,
        RefCounts.STEP_LOCKED + ", " + RefCounts.STEP_RECOVERY_LOCKED,
        RefCounts.STEP_HELD_BEFORE + ", " + RefCounts.STEP_RECOVERY_LOCKED,
        RefCounts.STEP_HELD_BEFORE + ", " + RefCounts.STEP_RECOVERY_JOURNALED,
        RefCounts.STEP_HELD_BEFORE + ", " + RefCounts.STEP_RECOVERY_DONE,
        RefCounts.STEP_LEDGER + ", " + RefCounts.STEP_RECOVERY_LOCKED,
        RefCounts.STEP_LEDGER + ", " + RefCounts.STEP_RECOVERY_DONE,
        RefCounts.STEP_COUNT_STORED + ", " + RefCounts.STEP_RECOVERY_LOCKED,
        RefCounts.STEP_COUNT_STORED + ", " + RefCounts.STEP_RECOVERY_DONE,
        RefCounts.STEP_UNLOCKED + ", " + RefCounts.STEP_RECOVERY_LOCKED})
    void aRecovererKilledHalfWayIsFinishedByTheNext(final int deadStep, final int crashStep) throws Exception
    {
        final Path file = region();
        try (RefFixture b = new RefFixture(file); RefFixture r = new RefFixture(file); RefFixture d = new RefFixture(file))
        {
            final List<Long> zeroed = new CopyOnWriteArrayList<>();
            b.refs.onZero(zeroed::add);
            r.refs.onZero(zeroed::add);
            final long shared = b.refs.allocate(8);
            d.refs.retain(shared);
            d.refs.retain(shared); // count 3: d holds 2
            final long alone = d.refs.allocate(8);
            d.refs.retain(alone); // only d holds it
            if (deadStep > 0)
            {
                d.refs.stepHook = crashAt(deadStep);
                assertThrows(RefCountCrashProperties.Crash.class, () -> d.refs.release(shared));
            }
            d.region.abandon();
            r.refs.stepHook = crashAt(crashStep);
            assertThrows(RefCountCrashProperties.Crash.class, () -> r.region.recoverDeadSlots());
            r.region.abandon();

            final List<OwnerDeathReport> reports = b.region.recoverDeadSlots();
            assertAllCompleted(reports, 2);
            assertEquals(0, journalFlags(b), summaries(reports));
            assertEquals(-1, lockOwner(b.rawWord(shared)), "not left locked: " + summaries(reports));
            assertEquals(1, b.refs.count(shared), summaries(reports));
            assertFalse(b.pool.isLive(alone), "d's own block is freed");
            assertEquals(List.of(alone), zeroed.stream().distinct().toList());
            assertTrue(b.refs.orphanReport().isEmpty());
            assertTrue(b.refs.release(shared));
            assertTrue(b.pool.validate().valid());
        }
    }

    private static RefCounts.StepHook crashAt(final int crashStep)
    {
        return step ->
        {
            if (step == crashStep)
            {
                throw new RefCountCrashProperties.Crash();
            }
        };
    }

    /**
     * The recovery lock word names an attachment, not a thread: a second thread of the recovering
     * process waits for the first instead of sharing the journal with it.
     */
    @Test
    void oneThreadOfAProcessRecoversAtATime() throws Exception
    {
        final Path file = region();
        try (RefFixture b = new RefFixture(file); RefFixture r = new RefFixture(file); RefFixture d1 = new RefFixture(file);
            RefFixture d2 = new RefFixture(file))
        {
            final long h1 = b.refs.allocate(8);
            final long h2 = b.refs.allocate(8);
            d1.refs.retain(h1);
            d2.refs.retain(h2);
            d1.region.abandon();
            d2.region.abandon();
            final CountDownLatch firstInside = new CountDownLatch(1);
            final CountDownLatch release = new CountDownLatch(1);
            final CountDownLatch secondInside = new CountDownLatch(1);
            final List<OwnerDeathReport> reports = new CopyOnWriteArrayList<>();
            final List<Throwable> failures = new CopyOnWriteArrayList<>();
            final Thread first = new Thread(() -> reports.addAll(r.region.recoverDeadSlots()), "first");
            final Thread second = new Thread(() -> reports.addAll(r.region.recoverDeadSlots()), "second");
            r.refs.stepHook = step ->
            {
                if (step == RefCounts.STEP_RECOVERY_LOCKED && Thread.currentThread() == first && firstInside.getCount() > 0)
                {
                    firstInside.countDown();
                    await(release);
                }
                else if (step >= RefCounts.STEP_RECOVERY_LOCKED && Thread.currentThread() == second)
                {
                    secondInside.countDown();
                }
            };
            for (final Thread t : List.of(first, second))
            {
                t.setUncaughtExceptionHandler((thread, ex) -> failures.add(ex));
            }
            first.start();
            assertTrue(await(firstInside));
            second.start();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            Object blocker = null;
            while (secondInside.getCount() > 0 && blocker == null && second.isAlive() && System.nanoTime() < deadline)
            {
                blocker = LockSupport.getBlocker(second);
                Thread.onSpinWait();
            }
            final boolean secondEntered = secondInside.getCount() == 0;
            release.countDown();
            first.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
            second.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
            assertFalse(secondEntered, "the second thread recovered while the first held the journal");
            assertNotNull(blocker, "the second thread waits for the first");
            assertTrue(blocker.getClass().getName().contains("ReentrantLock"), blocker.getClass().getName());
            assertFalse(first.isAlive() || second.isAlive());
            assertEquals(List.of(), failures);
            assertAllCompleted(reports, 2);
            assertEquals(1, b.refs.count(h1));
            assertEquals(1, b.refs.count(h2));
        }
    }

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
