package io.shmtx.refcount;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.pool.Handles;
import io.shmtx.pool.InvalidHandleException;
import io.shmtx.pool.StaleHandleException;
import io.shmtx.region.OwnerDeathReport;
import io.shmtx.region.ProcessSlotInfo;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class RefCountsTest
{
    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws Exception
    {
        temp.close();
    }

    private Path region(final RefCountConfig config)
    {
        final Path file = temp.newPath("refs");
        RefFixture.create(file, config);
        return file;
    }

    @Test
    void lastReleaseFreesTheBlockExactlyOnce() throws Exception
    {
        final Path file = region(RefCountConfig.defaults());
        try (RefFixture a = new RefFixture(file); RefFixture b = new RefFixture(file))
        {
            final List<Long> zeroed = new ArrayList<>();
            a.refs.onZero(zeroed::add);
            b.refs.onZero(zeroed::add);
            final long h = a.refs.allocate(40);
            assertEquals(1, a.refs.count(h));
            assertEquals(-1, a.pool.ownerSlot(h), "a shared block is published");
            b.refs.retain(h);
            b.refs.retain(h);
            assertEquals(3, a.refs.count(h));
            assertEquals(2, b.refs.held(h));
            assertEquals(1, a.refs.held(h));
            assertFalse(a.refs.release(h));
            assertFalse(b.refs.release(h));
            assertTrue(a.pool.isLive(h));
            assertTrue(b.refs.release(h), "the last release reports the zero");
            assertFalse(a.pool.isLive(h), "freed to the pool");
            assertEquals(List.of(h), zeroed, "one callback, in the process that brought it to zero");
            assertEquals(0, a.refs.count(h));
            assertThrows(StaleHandleException.class, () -> a.refs.retain(h));
            assertThrows(StaleHandleException.class, () -> b.refs.release(h));
        }
    }

    /** close() gives back every entry, although each release that empties one shifts others back. */
    @Test
    void closeReleasesEveryLedgerEntryAndFreesWithoutWaitingForTheGrace() throws Exception
    {
        final Path file = region(RefCountConfig.builder().ledgerCapacity(16).gracePeriod(Duration.ofMinutes(10)).build());
        try (RefFixture b = new RefFixture(file))
        {
            final List<Long> handles = new ArrayList<>();
            final long onlyA;
            try (RefFixture a = new RefFixture(file))
            {
                for (int i = 0; i < 14; i++) // 14 entries in 16: probe runs, so removals shift entries
                {
                    final long h = a.refs.allocate(8);
                    a.refs.retain(h);
                    b.refs.retain(h);
                    handles.add(h);
                }
                onlyA = a.refs.allocate(8);
            }
            for (final long h : handles)
            {
                assertEquals(1, b.refs.count(h), "only b's reference is left on " + h);
            }
            assertFalse(b.pool.isLive(onlyA), "freed by close(), not left waiting for a 10-minute grace period");
        }
    }

    /** A dead slot whose ledger claims more references than the whole count: recovery frees nothing. */
    @Test
    void recoveryNeverFreesOnALedgerThatClaimsMoreThanTheCount() throws Exception
    {
        final Path file = region(RefCountConfig.defaults());
        try (RefFixture b = new RefFixture(file))
        {
            final RefFixture a = new RefFixture(file);
            final long h = a.refs.allocate(8);
            b.refs.retain(h);
            assertEquals(2, a.refs.count(h));
            final int entry = a.refs.findEntry(a.region.slot(), h, false);
            assertTrue(entry >= 0);
            a.region.buffer().putLongVolatile(entry + RefCountDescriptor.ENTRY_HELD_OFFSET, 5); // a buggy writer
            a.region.abandon(); // as if killed
            assertEquals(1, b.region.recoverDeadSlots().size());
            assertTrue(b.pool.isLive(h), "the block b still holds was not freed");
            assertEquals(2, b.refs.count(h), "the count is left as it was");
            assertFalse(b.refs.release(h));
            assertEquals(1, b.refs.count(h));
            a.close();
        }
    }

    /** What a refusal must leave as it was: both ledgers, the raw count words, owners and liveness. */
    private static List<Object> state(final RefFixture a, final RefFixture b, final long... handles)
    {
        final List<Object> state = new ArrayList<>();
        state.add(a.refs.references(a.region.slot()));
        state.add(b.refs.references(b.region.slot()));
        for (final long h : handles)
        {
            state.add(a.rawWord(h));
            state.add(a.pool.isLive(h) ? a.pool.ownerSlot(h) : "free");
        }
        return state;
    }

    @Test
    void refusedOperationsChangeNothing() throws Exception
    {
        final Path file = region(RefCountConfig.defaults());
        try (RefFixture a = new RefFixture(file); RefFixture b = new RefFixture(file))
        {
            final long h = a.refs.allocate(8);
            final long raw = b.pool.allocate(8);
            // a block a still owns (unpublished) that has a count: a share whose publish failed after
            // its ledger entry was written stores the count that matches and reports the failure
            final long owned = a.pool.allocate(8);
            a.refs.stepHook = step ->
            {
                if (step == RefCounts.STEP_LEDGER)
                {
                    throw new IllegalStateException("publish failed (injected)");
                }
            };
            assertEquals("publish failed (injected)", assertThrows(IllegalStateException.class, () -> a.refs.share(owned)).getMessage());
            a.refs.stepHook = null;
            assertEquals(1, a.refs.count(owned));
            assertEquals(1, a.refs.held(owned));
            assertEquals(a.region.slot(), a.pool.ownerSlot(owned), "not published: a still owns it");
            final List<Object> before = state(a, b, h, raw, owned);

            final RefCountException already = assertThrows(RefCountException.class, () -> a.refs.share(owned));
            assertEquals("region " + file + ": handle " + Handles.toString(owned) + " is already shared (count 1)",
                already.getMessage());
            assertEquals(before, state(a, b, h, raw, owned), "already shared");

            final String notOwned = " cannot be shared: share a block this process allocated and still owns";
            assertEquals("region " + file + ": handle " + Handles.toString(raw) + notOwned,
                assertThrows(RefCountException.class, () -> a.refs.share(raw)).getMessage());
            assertEquals(before, state(a, b, h, raw, owned), "not owned by a");
            assertEquals("region " + file + ": handle " + Handles.toString(h) + notOwned,
                assertThrows(RefCountException.class, () -> a.refs.share(h)).getMessage(), "published: owned by nobody");
            assertEquals(before, state(a, b, h, raw, owned), "shared and published");

            final RefCountException below = assertThrows(RefCountException.class, () -> b.refs.release(h));
            assertEquals("region " + file + ": slot " + b.region.slot() + " holds no reference to handle " + Handles.toString(h)
                + ": releasing it would take its holding below zero", below.getMessage());
            assertEquals(before, state(a, b, h, raw, owned), "below zero");
            assertThrows(StaleHandleException.class, () -> a.refs.retain(raw), "never shared");
            assertThrows(InvalidHandleException.class, () -> a.refs.retain(0));
            assertThrows(InvalidHandleException.class, () -> a.refs.retain(-1));
            assertEquals(before, state(a, b, h, raw, owned), "stale and invalid handles");

            b.refs.share(raw);
            assertEquals(1, b.refs.count(raw));
            a.refs.retain(owned); // the refused share left its word unlocked
            assertEquals(2, a.refs.count(owned));
        }
    }

    /** Count words no writer leaves (written by a buggy process). */
    enum CorruptWord
    {
        /** The whole word -1: locked by slot 8190. */
        ALL_ONES("it is locked by slot 8190, outside the process table 0.." + (RefFixture.SLOTS - 1)),
        /** Long.MAX_VALUE: locked by slot 8190 too. */
        LONG_MAX("it is locked by slot 8190, outside the process table 0.." + (RefFixture.SLOTS - 1)),
        /** The right count and generation, locked by the first slot past the process table. */
        LOCKED_PAST_THE_TABLE("it is locked by slot " + RefFixture.SLOTS + ", outside the process table 0.."
            + (RefFixture.SLOTS - 1)),
        /** The right count and generation, STORED without a lock. */
        STORED_UNLOCKED("it has STORED set without a lock");

        final String problem;

        CorruptWord(final String problem)
        {
            this.problem = problem;
        }

        long word(final long sound)
        {
            return switch (this)
            {
                case ALL_ONES -> -1L;
                case LONG_MAX -> Long.MAX_VALUE;
                case LOCKED_PAST_THE_TABLE -> RefCountDescriptor.locked(sound, RefFixture.SLOTS);
                case STORED_UNLOCKED -> sound | RefCountDescriptor.STORED;
            };
        }
    }

    /**
     * An operation on a corrupt count word fails at once (not after the 10 s lock wait), names the
     * file, handle, word and what is wrong with it, runs no recovery, and changes nothing; so does
     * count(). Bounded at 5 s: the old code waited 10 s for an impossible owner.
     */
    @ParameterizedTest
    @EnumSource(CorruptWord.class)
    void anOperationOnACorruptCountWordFailsAtOnceAndChangesNothing(final CorruptWord corrupt) throws Exception
    {
        final Path file = region(RefCountConfig.defaults());
        try (RefFixture a = new RefFixture(file); RefFixture b = new RefFixture(file))
        {
            final long h = a.refs.allocate(8);
            b.refs.retain(h); // count 2
            final List<OwnerDeathReport> recoveries = new CopyOnWriteArrayList<>();
            a.region.addOwnerDeathListener(recoveries::add);
            b.region.addOwnerDeathListener(recoveries::add);
            final long sound = a.rawWord(h);
            final long bad = corrupt.word(sound);
            a.putRawWord(h, bad);
            final List<Object> before = state(a, b, h);
            final String expected = "region " + file + ": the count word 0x" + Long.toHexString(bad) + " of handle "
                + Handles.toString(h) + " is corrupt: " + corrupt.problem + " (left as found)";
            final List<Executable> operations = List.of(() -> a.refs.retain(h), () -> a.refs.release(h), () -> b.refs.retain(h),
                () -> b.refs.release(h), () -> a.refs.count(h));
            assertTimeoutPreemptively(Duration.ofSeconds(5), () ->
            {
                for (final Executable operation : operations)
                {
                    assertEquals(expected, assertThrows(RefCountException.class, operation).getMessage());
                }
            }, "refused at once, not after waiting for the lock");
            assertEquals(before, state(a, b, h), "nothing changed");
            assertEquals(List.of(), recoveries, "no waiter ran recovery for an impossible owner");

            a.putRawWord(h, sound); // what an operator would do; then everything is as before
            assertEquals(2, b.refs.count(h));
            assertFalse(a.refs.release(h));
            assertTrue(b.refs.release(h));
            assertFalse(a.pool.isLive(h));
        }
    }

    /** A block freed through the pool directly (behind the counts' back) has no references: count says 0. */
    @Test
    void aBlockFreedThroughThePoolDirectlyCountsZero() throws Exception
    {
        final Path file = region(RefCountConfig.defaults());
        try (RefFixture a = new RefFixture(file))
        {
            final long h = a.refs.allocate(8);
            assertEquals(1, a.refs.count(h));
            a.pool.free(h);
            assertEquals(0, a.refs.count(h));
            assertThrows(io.shmtx.pool.StaleHandleException.class, () -> a.refs.retain(h), "the handle is stale now");
        }
    }

    /**
     * A count word left locked by a slot that is now free (its process gave the slot back in the
     * middle of an update): nobody will ever unlock or recover it, so the next operation drops the
     * lock, keeping the count, instead of waiting out its bound and failing.
     */
    @Test
    void aLockHeldByAFreeSlotIsDroppedByTheNextOperation() throws Exception
    {
        final Path file = region(RefCountConfig.defaults());
        try (RefFixture a = new RefFixture(file))
        {
            final long h = a.refs.allocate(8); // count 1
            final int freeSlot = a.region.slot() == 3 ? 4 : 3;
            final long sound = a.rawWord(h);
            a.putRawWord(h, RefCountDescriptor.lockedStored(sound, freeSlot));
            assertTimeoutPreemptively(Duration.ofSeconds(5), () -> a.refs.retain(h), "not a 10 s wait for a holder that is gone");
            assertEquals(2, a.refs.count(h));
            assertFalse(a.refs.release(h));
            assertTrue(a.refs.release(h));
            assertFalse(a.pool.isLive(h));
        }
    }

    /**
     * A dead slot's ledger names a handle whose count word is corrupt: recovery leaves that word as
     * found, names it in its summary and recovers the rest (references dropped, the slot's blocks
     * returned to the pool, the slot freed), once; a waiter on that word never runs recovery.
     */
    @ParameterizedTest
    @EnumSource(CorruptWord.class)
    void recoveryLeavesACorruptCountWordAsFoundAndRecoversTheRestOfTheSlot(final CorruptWord corrupt) throws Exception
    {
        final Path file = region(RefCountConfig.defaults());
        try (RefFixture b = new RefFixture(file))
        {
            final RefFixture a = new RefFixture(file);
            final int aSlot = a.region.slot();
            final long h = a.refs.allocate(8);
            final long alone = a.refs.allocate(8); // only a holds it
            final long shared = a.refs.allocate(8);
            b.refs.retain(shared);
            final long owned = a.pool.allocate(8); // never shared: the pool's step returns it
            final long bad = corrupt.word(a.rawWord(h));
            a.putRawWord(h, bad);
            a.region.abandon(); // as if killed
            final List<OwnerDeathReport> recoveries = new CopyOnWriteArrayList<>();
            b.region.addOwnerDeathListener(recoveries::add);

            assertTimeoutPreemptively(Duration.ofSeconds(5), () ->
            {
                final RefCountException refused = assertThrows(RefCountException.class, () -> b.refs.retain(h));
                assertTrue(refused.getMessage().contains(corrupt.problem), refused.getMessage());
            }, "refused at once, not after waiting for the lock");
            assertEquals(List.of(), recoveries, "a waiter that meets an impossible owner runs no recovery");

            final List<OwnerDeathReport> reports = b.region.recoverDeadSlots();
            assertEquals(1, reports.size(), reports.toString());
            assertTrue(reports.get(0).completed(), reports.toString());
            final String summary = String.join(" | ", reports.get(0).stepResults());
            assertTrue(summary.contains("left 1 corrupt count words as found: handle " + Handles.toString(h) + ": 0x"
                + Long.toHexString(bad) + ": " + corrupt.problem), summary);
            assertEquals(bad, b.rawWord(h), "left as found");
            assertFalse(b.pool.isLive(alone), "a was its last holder");
            assertFalse(b.pool.isLive(owned), "the pool's step ran: a's own block is returned");
            assertEquals(1, b.refs.count(shared));
            assertTrue(b.refs.references(aSlot).isEmpty());
            assertEquals(List.of(b.region.slot()), b.region.processes().stream().map(ProcessSlotInfo::slot).toList(),
                "a's slot is free");
            assertEquals(List.of(), b.region.recoverDeadSlots(), "nothing left to recover");
            assertEquals(1, recoveries.size(), "recovered once");
            a.close();
            assertTrue(b.refs.release(shared));
        }
    }

    /**
     * A retain or release probes its ledger once, in the one monitor entry that also writes the
     * intent's held-before and the ledger (so no other thread can shift the entry in between).
     */
    @Test
    void retainAndReleaseProbeTheLedgerOnceInOneMonitorEntry() throws Exception
    {
        final Path file = region(RefCountConfig.defaults());
        try (RefFixture a = new RefFixture(file))
        {
            final long h = a.refs.allocate(8);
            final Thread me = Thread.currentThread();
            final List<String> steps = new ArrayList<>();
            a.refs.stepHook = step ->
            {
                if (Thread.currentThread() == me)
                {
                    steps.add(step + (Thread.holdsLock(a.refs.ledgerLock) ? " in monitor" : ""));
                }
            };
            final List<String> expected = List.of("1", "2", "20 in monitor", "3 in monitor", "4", "5", "6", "7", "8");
            a.refs.retain(h);
            assertEquals(expected, steps, "retain");
            steps.clear();
            assertFalse(a.refs.release(h));
            assertEquals(expected, steps, "release");
            steps.clear();
            assertTrue(a.refs.release(h));
            assertEquals(expected, steps, "the last release");
        }
    }

    @Test
    void ledgerCapacityIsEnforcedWithAClearError() throws Exception
    {
        final Path file = region(RefCountConfig.builder().ledgerCapacity(3).build());
        try (RefFixture a = new RefFixture(file))
        {
            a.refs.allocate(8);
            a.refs.allocate(8);
            final long third = a.refs.allocate(8);
            a.refs.retain(third); // same handle: no new entry
            final RefCountException full = assertThrows(RefCountException.class, () -> a.refs.allocate(8));
            assertTrue(full.getMessage().contains("capacity=3"), full.getMessage());
            assertEquals(2, a.refs.count(third));
            a.refs.release(third);
            a.refs.release(third);
            a.refs.allocate(8); // the freed entry is reused
        }
    }

    @Test
    void gracePeriodDelaysTheFree() throws Exception
    {
        final Path file = region(RefCountConfig.builder().gracePeriod(Duration.ofMillis(200)).build());
        try (RefFixture a = new RefFixture(file))
        {
            final CountDownLatch freed = new CountDownLatch(1);
            a.refs.onZero(handle -> freed.countDown());
            final long h = a.refs.allocate(8);
            a.pool.putLong(h, 0, 77);
            assertTrue(a.refs.release(h));
            assertTrue(a.pool.isLive(h), "still readable during the grace period");
            assertEquals(77, a.pool.getLong(h, 0));
            assertThrows(StaleHandleException.class, () -> a.refs.retain(h), "a zero count cannot be revived");
            assertTrue(freed.await(10, TimeUnit.SECONDS));
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (a.pool.isLive(h) && System.nanoTime() < deadline)
            {
                Thread.sleep(5);
            }
            assertFalse(a.pool.isLive(h));
        }
    }

    @Test
    void closeReleasesEverythingThisProcessHeld() throws Exception
    {
        final Path file = region(RefCountConfig.defaults());
        final long shared;
        final long alone;
        try (RefFixture b = new RefFixture(file))
        {
            try (RefFixture a = new RefFixture(file))
            {
                shared = a.refs.allocate(8);
                alone = a.refs.allocate(8);
                a.refs.retain(alone);
                b.refs.retain(shared);
                assertEquals(2, a.refs.references(a.region.slot()).size());
            }
            assertEquals(1, b.refs.count(shared), "a's reference was dropped at close");
            assertFalse(b.pool.isLive(alone), "a was the only holder");
            assertTrue(b.refs.orphanReport().isEmpty());
            assertTrue(b.pool.validate().valid());
        }
    }

    /**
     * A ledger entry whose block was freed behind the reference counts' back (through the pool):
     * close() releases everything else, drops that entry and lists it, and does not throw, so the
     * region detaches.
     */
    @Test
    void closeDropsAnEntryWhoseBlockWasFreedBehindItsBackAndReleasesTheRest() throws Exception
    {
        final Path file = region(RefCountConfig.defaults());
        try (RefFixture b = new RefFixture(file))
        {
            final RefFixture a = new RefFixture(file);
            final int aSlot = a.region.slot();
            final long freedBehind = a.refs.allocate(64);
            final long alone = a.refs.allocate(64);
            a.refs.retain(alone);
            final long shared = a.refs.allocate(64);
            b.refs.retain(shared);
            a.pool.free(freedBehind);
            assertTrue(a.refs.droppedAtClose().isEmpty());

            a.region.close();
            assertTrue(a.region.isClosed());
            assertEquals(List.of(b.region.slot()), b.region.processes().stream().map(ProcessSlotInfo::slot).toList(),
                "a detached: its slot is free");
            assertTrue(b.refs.references(aSlot).isEmpty(), "no entry left for the slot's next process");
            assertFalse(b.pool.isLive(alone), "released twice and freed");
            assertEquals(1, b.refs.count(shared), "a's reference released");
            final List<RefCounts.DroppedReference> dropped = a.refs.droppedAtClose();
            assertEquals(1, dropped.size(), dropped.toString());
            assertEquals(freedBehind, dropped.get(0).handle());
            assertEquals(1, dropped.get(0).held());
            assertTrue(dropped.get(0).reason().contains(Handles.toString(freedBehind)), dropped.get(0).reason());
            a.region.close(); // idempotent
            a.refs.close();

            assertTrue(b.refs.release(shared));
            assertTrue(b.pool.validate().valid(), b.pool.validate().problems().toString());
        }
    }

    /**
     * Once the region is closed (or abandoned), every method that reads it throws
     * IllegalStateException naming the file (no bare IndexOutOfBoundsException); close() stays
     * idempotent.
     */
    @ParameterizedTest(name = "abandoned: {0}")
    @ValueSource(booleans = {false, true})
    void everyMethodFailsClearlyOnceTheRegionIsClosed(final boolean abandoned) throws Exception
    {
        final Path file = region(RefCountConfig.defaults());
        try (RefFixture a = new RefFixture(file))
        {
            final long h = a.refs.allocate(8);
            if (abandoned)
            {
                a.region.abandon();
            }
            else
            {
                a.region.close();
            }
            final String expected = "region " + file + " is closed: its reference counts cannot be used";
            final List<Executable> calls = List.of(() -> a.refs.count(h), () -> a.refs.orphanReport(), () -> a.refs.leakReport(0),
                () -> a.refs.references(0), () -> a.refs.held(h), () -> a.refs.retain(h), () -> a.refs.release(h),
                () -> a.refs.share(h), () -> a.refs.allocate(8));
            for (final Executable call : calls)
            {
                assertEquals(expected, assertThrows(IllegalStateException.class, call).getMessage());
            }
            a.refs.close();
        }
    }

    @Test
    void diagnosticsNameHoldersAndOrphans() throws Exception
    {
        final Path file = region(RefCountConfig.defaults());
        try (RefFixture a = new RefFixture(file))
        {
            final long h = a.refs.allocate(8);
            a.refs.retain(h);
            assertEquals(java.util.Map.of(h, 2L), a.refs.references(a.region.slot()));
            final List<RefCounts.HeldReference> leaks = a.refs.leakReport(0);
            assertEquals(1, leaks.size());
            assertEquals(a.region.slot(), leaks.get(0).slot());
            assertTrue(a.refs.leakReport(3_600_000).isEmpty());
            assertTrue(a.refs.orphanReport().isEmpty());
            assertThrows(IllegalArgumentException.class, () -> a.refs.references(99));
        }
    }

    @Test
    void concurrentRetainReleaseKeepsTheCountExact() throws Exception
    {
        final Path file = region(RefCountConfig.defaults());
        try (RefFixture a = new RefFixture(file))
        {
            final long h = a.refs.allocate(8);
            final Thread[] threads = new Thread[4];
            final List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            for (int t = 0; t < threads.length; t++)
            {
                threads[t] = new Thread(() ->
                {
                    for (int i = 0; i < 20_000; i++)
                    {
                        a.refs.retain(h);
                        a.refs.release(h);
                    }
                });
                threads[t].setUncaughtExceptionHandler((thread, ex) -> failures.add(ex));
                threads[t].start();
            }
            for (final Thread t : threads)
            {
                t.join();
            }
            assertEquals(List.of(), failures, "no retain or release failed");
            assertEquals(1, a.refs.count(h));
            assertEquals(1, a.refs.held(h));
            assertTrue(a.refs.release(h));
        }
    }
}
