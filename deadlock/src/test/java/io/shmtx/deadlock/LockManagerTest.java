package io.shmtx.deadlock;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.region.ProcessTableDescriptor;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LockManagerTest
{
    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws Exception
    {
        temp.close();
    }

    private LockFixture fixture(final LockPolicy policy)
    {
        final Path file = temp.newPath("locks");
        LockFixture.create(file, LockManagerConfig.builder().locks(1024).transactionsPerProcess(16).policy(policy)
            .maxWait(Duration.ofMillis(300)).build());
        return new LockFixture(file);
    }

    /**
     * Keys that differ only in their low bits (consecutive integers, handles of consecutive
     * blocks) must spread over the whole table: a weak hash leaves entries unreached and piles
     * keys onto the others.
     */
    @Test
    void consecutiveKeysSpreadOverEveryEntry()
    {
        try (LockFixture f = fixture(LockPolicy.NO_WAIT))
        {
            final int entries = 1024;
            final int[] plain = new int[entries];
            final int[] handles = new int[entries];
            for (int k = 0; k < 4 * entries; k++)
            {
                plain[f.locks.lockIndex(k)]++;
                handles[f.locks.lockIndex((2L << 56) | (7L << 32) | k)]++; // tier 1, generation 7, block k
            }
            for (int i = 0; i < entries; i++)
            {
                assertTrue(plain[i] >= 1 && plain[i] <= 8, "entry " + i + " got " + plain[i] + " of 4 keys each on average");
                assertTrue(handles[i] >= 1 && handles[i] <= 8, "entry " + i + " got " + handles[i] + " handles, 4 on average");
            }
        }
    }

    @Test
    void sharedLocksShareAndExclusiveExcludes()
    {
        try (LockFixture f = fixture(LockPolicy.WAIT_DIE); Txn old = f.locks.begin(); Txn young = f.locks.begin())
        {
            assertEquals(Decision.GRANTED, old.tryLock(1, LockMode.SHARED));
            assertEquals(Decision.GRANTED, young.tryLock(1, LockMode.SHARED));
            assertEquals(Decision.GRANTED, old.tryLock(1, LockMode.SHARED), "re-entrant");
            assertEquals(Decision.WAIT, old.tryLock(1, LockMode.EXCLUSIVE), "upgrade waits for the other reader (younger)");
            assertEquals(Decision.ABORTED, young.tryLock(1, LockMode.EXCLUSIVE), "a younger upgrader dies against the older claim");
            assertFalse(young.isActive());
            assertTrue(young.held().isEmpty(), "an aborted transaction holds nothing");
            assertEquals(Decision.GRANTED, old.tryLock(1, LockMode.EXCLUSIVE), "the upgrade completes once the reader left");
            old.commit();
            assertTrue(f.locks.locksHeldPerSlot().isEmpty());
        }
    }

    @Test
    void waitDieLetsOnlyOlderRequestersWait()
    {
        try (LockFixture f = fixture(LockPolicy.WAIT_DIE); Txn old = f.locks.begin(); Txn young = f.locks.begin())
        {
            assertTrue(old.timestamp() < young.timestamp());
            assertEquals(Decision.GRANTED, young.tryLock(7, LockMode.EXCLUSIVE));
            assertEquals(Decision.WAIT, old.tryLock(7, LockMode.SHARED), "older waits for younger");
            assertEquals(Decision.GRANTED, old.tryLock(8, LockMode.EXCLUSIVE));
            assertEquals(Decision.ABORTED, young.tryLock(8, LockMode.SHARED), "younger dies");
            final TxAbortedException ex = assertThrows(TxAbortedException.class, young::checkWounded);
            assertEquals(AbortReason.DIED, ex.reason());
            assertEquals(Decision.GRANTED, old.tryLock(7, LockMode.SHARED), "the dead one released lock 7");
            young.restart();
            assertTrue(young.isActive());
            assertEquals(1, f.locks.aborts().get(AbortReason.DIED));
            old.commit();
        }
    }

    @Test
    void woundWaitWoundsYoungerHoldersUnlessCommitting()
    {
        try (LockFixture f = fixture(LockPolicy.WOUND_WAIT); Txn old = f.locks.begin(); Txn young = f.locks.begin())
        {
            assertEquals(Decision.GRANTED, young.tryLock(3, LockMode.EXCLUSIVE));
            assertEquals(Decision.WAIT, old.tryLock(3, LockMode.EXCLUSIVE), "older wounds and waits");
            assertEquals(Decision.ABORTED, young.tryLock(4, LockMode.SHARED), "the wounded aborts at its next step");
            assertEquals(AbortReason.WOUNDED, assertThrows(TxAbortedException.class, young::checkWounded).reason());
            assertEquals(Decision.GRANTED, old.tryLock(3, LockMode.EXCLUSIVE));
            young.restart();
            assertEquals(Decision.WAIT, young.tryLock(3, LockMode.SHARED), "younger waits for older");
            old.commit();
            assertEquals(Decision.GRANTED, young.tryLock(3, LockMode.SHARED));
            young.commit();
            assertEquals(1, f.locks.stats().wounds());
        }
    }

    @Test
    void aCommittingTransactionCannotBeWounded()
    {
        try (LockFixture f = fixture(LockPolicy.WOUND_WAIT); Txn old = f.locks.begin(); Txn young = f.locks.begin())
        {
            assertEquals(Decision.GRANTED, young.tryLock(3, LockMode.EXCLUSIVE));
            // young in the middle of its commit (state COMMITTING, its lock still held)
            final int state = f.locks.cellOffset(young.cell()) + LockTableDescriptor.CELL_STATE;
            final long active = f.locks.buffer().getLongVolatile(state);
            final long committing = LockTableDescriptor.stateWord(LockTableDescriptor.COMMITTING, false, null, 0);
            f.locks.buffer().putLongVolatile(state, committing);
            assertFalse(f.locks.markVictim(young.cell(), AbortReason.WOUNDED));
            assertEquals(committing, f.locks.buffer().getLongVolatile(state), "a committing transaction is not wounded");
            f.locks.buffer().putLongVolatile(state, active);
            assertTrue(f.locks.markVictim(young.cell(), AbortReason.WOUNDED), "the same transaction, active, is wounded");
            assertThrows(TxAbortedException.class, young::commit);
            assertEquals(Decision.GRANTED, old.tryLock(3, LockMode.EXCLUSIVE));
        }
    }

    @Test
    void noWaitAbortsAndTimeoutIsBounded()
    {
        try (LockFixture f = fixture(LockPolicy.NO_WAIT); Txn a = f.locks.begin(); Txn b = f.locks.begin())
        {
            assertEquals(Decision.GRANTED, b.tryLock(5, LockMode.EXCLUSIVE));
            assertEquals(Decision.ABORTED, a.tryLock(5, LockMode.SHARED));
            a.restart();
            f.locks.setPolicy(LockPolicy.TIMEOUT);
            assertEquals(LockPolicy.TIMEOUT, f.locks.policy(), "switched at run time");
            final TxAbortedException ex = assertThrows(TxAbortedException.class, () -> a.lock(5, LockMode.SHARED));
            assertEquals(AbortReason.TIMEOUT, ex.reason());
            assertTrue(ex.getMessage().contains("policy TIMEOUT"), ex.getMessage());
        }
    }

    /**
     * A holder killed while holding: a requester under any policy (even one that never waits:
     * NO_WAIT, or WAIT_DIE's younger requester) recovers the dead process at once and gets the
     * lock, with no watchdog, through tryLock and through lock.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(LockPolicy.class)
    void aRequesterRecoversADeadHolderAndGetsTheLock(final LockPolicy policy)
    {
        final Path file = temp.newPath("dead-holder");
        LockFixture.create(file, LockManagerConfig.builder().locks(1024).transactionsPerProcess(4).policy(policy)
            .maxWait(Duration.ofMillis(300)).build());
        try (LockFixture b = new LockFixture(file))
        {
            final LockFixture a = new LockFixture(file);
            final Txn holder = a.locks.begin(); // older than b's transaction below
            holder.lockExclusive(42);
            a.region.abandon(); // killed: its slot lock dropped, nothing released
            try (Txn requester = b.locks.begin())
            {
                assertEquals(Decision.GRANTED, requester.tryLock(42, LockMode.EXCLUSIVE), "the dead holder was recovered at once");
                requester.commit();
            }
            assertEquals(Map.of(), b.locks.locksHeldPerSlot());
            // and through lock() (the waiting loop), for a second holder killed the same way
            final LockFixture c = new LockFixture(file);
            final Txn second = c.locks.begin();
            second.lockExclusive(43);
            c.region.abandon();
            try (Txn requester = b.locks.begin())
            {
                requester.lockExclusive(43); // within maxWait (300 ms), or TxAbortedException
                requester.commit();
            }
            assertEquals(Map.of(), b.locks.locksHeldPerSlot());
        }
    }

    /**
     * A process that detaches with a transaction still open gives its locks back (its slot and
     * cells may go to another process at once); the transaction has ended and says so.
     */
    @Test
    void detachingReleasesTheLocksOfOpenTransactionsAndEndsThem()
    {
        final Path file = temp.newPath("locks");
        LockFixture.create(file, LockManagerConfig.builder().locks(1024).transactionsPerProcess(4).policy(LockPolicy.NO_WAIT)
            .maxWait(Duration.ofMillis(300)).build());
        try (LockFixture a = new LockFixture(file); LockFixture b = new LockFixture(file))
        {
            final Txn open = a.locks.begin();
            open.lockExclusive(1);
            open.lockShared(2);
            final int slotA = a.region.slot();
            assertEquals(Map.of(slotA, 2), b.locks.locksHeldPerSlot());
            try (Txn other = b.locks.begin())
            {
                assertEquals(Decision.ABORTED, other.tryLock(1, LockMode.SHARED), "held by a");
            }

            a.region.detach();

            assertEquals(Map.of(), b.locks.locksHeldPerSlot(), "nothing left held by the detached slot");
            try (Txn other = b.locks.begin())
            {
                assertEquals(Decision.GRANTED, other.tryLock(1, LockMode.EXCLUSIVE));
                assertEquals(Decision.GRANTED, other.tryLock(2, LockMode.EXCLUSIVE), "its reader lane was cleared too");
                other.commit();
            }
            assertFalse(open.isActive());
            final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> open.lockExclusive(3));
            assertTrue(ex.getMessage().contains("detached") && ex.getMessage().contains(file.toString()), ex.getMessage());
            assertThrows(IllegalStateException.class, open::commit);
            open.abort(); // nothing left to do, and no write to a cell that is no longer this process's
            open.close();
            assertEquals(Map.of(), b.locks.locksHeldPerSlot());

            a.region.attach(); // a fresh start: every cell can be begun again
            final Txn[] again = new Txn[4];
            for (int i = 0; i < again.length; i++)
            {
                again[i] = a.locks.begin();
            }
            assertEquals(Decision.GRANTED, again[0].tryLock(1, LockMode.EXCLUSIVE));
            for (final Txn t : again)
            {
                t.close();
            }
            assertEquals(Map.of(), b.locks.locksHeldPerSlot());
        }
    }

    @Test
    void detectAbortsTheYoungestOfACycle()
    {
        try (LockFixture f = fixture(LockPolicy.DETECT); Txn a = f.locks.begin(); Txn b = f.locks.begin())
        {
            assertEquals(Decision.GRANTED, a.tryLock(10, LockMode.EXCLUSIVE));
            assertEquals(Decision.GRANTED, b.tryLock(11, LockMode.EXCLUSIVE));
            assertEquals(Decision.WAIT, a.tryLock(11, LockMode.EXCLUSIVE));
            assertEquals(Decision.WAIT, b.tryLock(10, LockMode.EXCLUSIVE));
            assertTrue(f.locks.waitForGraphText().contains("waits for"), f.locks.waitForGraphText());
            assertEquals(1, f.locks.detectDeadlocks());
            assertEquals(Decision.ABORTED, b.tryLock(10, LockMode.EXCLUSIVE), "the younger one is the victim");
            assertEquals(Decision.GRANTED, a.tryLock(11, LockMode.EXCLUSIVE));
            assertEquals(1, f.locks.aborts().get(AbortReason.DEADLOCK));
            assertEquals("no waits\n", f.locks.waitForGraphText());
        }
    }

    @Test
    void higherPriorityWaiterIsServedFirst()
    {
        try (LockFixture f = fixture(LockPolicy.TIMEOUT); Txn holder = f.locks.begin(); Txn low = f.locks.begin(0);
             Txn high = f.locks.begin(9))
        {
            assertEquals(Decision.GRANTED, holder.tryLock(20, LockMode.EXCLUSIVE));
            assertEquals(Decision.WAIT, low.tryLock(20, LockMode.EXCLUSIVE));
            assertEquals(Decision.WAIT, high.tryLock(20, LockMode.EXCLUSIVE));
            holder.commit();
            assertEquals(Decision.WAIT, low.tryLock(20, LockMode.EXCLUSIVE), "the older but lower-priority waiter yields");
            assertEquals(Decision.GRANTED, high.tryLock(20, LockMode.EXCLUSIVE));
            high.commit();
            assertEquals(Decision.GRANTED, low.tryLock(20, LockMode.EXCLUSIVE));
        }
    }

    @Test
    void aDeadHoldersLocksAreReleasedForTheWaiter()
    {
        final Path file = temp.newPath("dead");
        LockFixture.create(file, LockManagerConfig.builder().policy(LockPolicy.TIMEOUT).maxWait(Duration.ofSeconds(10)).build());
        try (LockFixture survivor = new LockFixture(file))
        {
            final LockFixture victim = new LockFixture(file);
            final Txn doomed = victim.locks.begin();
            doomed.lock(42, LockMode.EXCLUSIVE);
            doomed.lock(43, LockMode.SHARED);
            victim.region.abandon(); // as if killed: no unlock, no detach
            try (Txn waiter = survivor.locks.begin())
            {
                // sees the dead holder, runs recovery, proceeds (waiting out the bound would throw TIMEOUT)
                waiter.lock(42, LockMode.EXCLUSIVE);
                waiter.lock(43, LockMode.EXCLUSIVE);
                waiter.commit();
                assertEquals(0, survivor.locks.aborts().get(AbortReason.TIMEOUT));
            }
            assertTrue(survivor.locks.locksHeldPerSlot().isEmpty());
        }
    }

    @Test
    void aCorruptOwnerIdIsNeverFollowed()
    {
        try (LockFixture f = fixture(LockPolicy.WOUND_WAIT); Txn tx = f.locks.begin())
        {
            final int entry = f.locks.entryOffset(f.locks.lockIndex(9));
            f.locks.buffer().putLongVolatile(entry + LockTableDescriptor.ENTRY_OWNER, 0xFFFFL); // names cell 65534: no such cell
            assertTrue(f.locks.holders(f.locks.lockIndex(9), tx.cell(), LockMode.EXCLUSIVE).isEmpty());
            final TxAbortedException ex = assertThrows(TxAbortedException.class, () -> tx.lock(9, LockMode.EXCLUSIVE));
            assertEquals(AbortReason.TIMEOUT, ex.reason(), "a bounded wait, no wound written outside the cells");
            assertEquals(0, f.locks.stats().wounds());
        }
        // a shared request meets an owner id just past the cells: it would name a lock entry's words
        try (LockFixture f = fixture(LockPolicy.WOUND_WAIT); Txn tx = f.locks.begin())
        {
            final int index = f.locks.lockIndex(9);
            final int entry = f.locks.entryOffset(index);
            f.locks.buffer().putLongVolatile(entry + LockTableDescriptor.ENTRY_OWNER, f.locks.totalCells() + 2L); // cell totalCells + 1
            // everything from the end of the cells to the end of the table, but the entry asked for
            final int from = f.locks.cellOffset(f.locks.totalCells());
            final int to = f.locks.entryOffset(1023) + LockTableDescriptor.ENTRY_SIZE;
            final java.util.function.Supplier<byte[]> others = () ->
            {
                final byte[] bytes = new byte[to - from];
                f.locks.buffer().getBytes(from, bytes);
                java.util.Arrays.fill(bytes, entry - from, entry - from + LockTableDescriptor.ENTRY_SIZE, (byte)0);
                return bytes;
            };
            final byte[] before = others.get();
            final TxAbortedException ex = assertThrows(TxAbortedException.class, () -> tx.lock(9, LockMode.SHARED));
            assertEquals(AbortReason.TIMEOUT, ex.reason());
            assertEquals(0, f.locks.stats().wounds());
            assertArrayEquals(before, others.get(), "nothing outside the entry asked for was written");
            final LockTableCorruptException beyond = assertThrows(LockTableCorruptException.class,
                () -> f.locks.markVictim(f.locks.totalCells() + 1, AbortReason.WOUNDED));
            assertEquals(f.locks.totalCells() + 1, beyond.cell());
            assertEquals(f.region.file(), beyond.file());
        }
    }

    /**
     * Ids beyond the cells (a corrupt entry) name no slot: the per-slot counts leave them out, and
     * the wait-for text names the entry a transaction waits for as corrupt with those ids.
     */
    @Test
    void idsBeyondTheCellsAreNoSlotButAReportedCorruptEntry()
    {
        try (LockFixture f = fixture(LockPolicy.TIMEOUT); Txn holder = f.locks.begin(); Txn waiter = f.locks.begin())
        {
            assertEquals(Decision.GRANTED, holder.tryLock(1, LockMode.EXCLUSIVE));
            final int index = f.locks.lockIndex(9);
            final int entry = f.locks.entryOffset(index);
            final long corruptOwner = 0xFFFFL; // cell 65534: slot 4095 of a table of 8 slots
            final long corruptReader = f.locks.totalCells() + 1L; // cell totalCells: just past the last
            f.locks.buffer().putLongVolatile(entry + LockTableDescriptor.ENTRY_OWNER, corruptOwner);
            f.locks.buffer().putLongVolatile(entry + LockTableDescriptor.ENTRY_READERS, corruptReader << 16);

            assertEquals(Map.of(f.region.slot(), 1), f.locks.locksHeldPerSlot(), "only the real lock, no invented slot");

            assertEquals(Decision.WAIT, waiter.tryLock(9, LockMode.EXCLUSIVE), "waits the corrupt ids out");
            final String text = f.locks.waitForGraphText();
            assertTrue(text.contains(" waits for CORRUPT lock entry " + index + ": it names cells [65534, " + f.locks.totalCells()
                + "] beyond the " + f.locks.totalCells() + " cells"), text);
            assertTrue(f.locks.waitForGraph().isEmpty(), "no edge to a cell that does not exist");
            assertEquals(corruptOwner, f.locks.buffer().getLongVolatile(entry + LockTableDescriptor.ENTRY_OWNER), "left as found");
            f.locks.buffer().putLongVolatile(entry + LockTableDescriptor.ENTRY_OWNER, 0);
            f.locks.buffer().putLongVolatile(entry + LockTableDescriptor.ENTRY_READERS, 0);
        }
    }

    /** The id of cell 3 of the fixture's last slot, checked free (this process is attached elsewhere). */
    private static long idInAFreeSlot(final LockFixture f)
    {
        final int freeSlot = LockFixture.SLOTS - 1;
        assertNotEquals(freeSlot, f.region.slot());
        assertEquals(ProcessTableDescriptor.STATE_FREE, ProcessTableDescriptor.state(f.region.slotStateWord(freeSlot)));
        return freeSlot * f.locks.cellsPerSlot() + 3 + 1L;
    }

    /**
     * An owner id naming a cell of a free process slot (written here by hand, as a process racing
     * its own detach or a corrupting one would leave it) is held by nobody, and no recovery runs
     * for a free slot: the requester that meets it clears it (that exact word, given a new
     * version) and is granted, where it used to die, abort or time out on it for ever, whatever
     * the policy.
     */
    @ParameterizedTest
    @EnumSource(LockPolicy.class)
    void anOwnerIdOfAFreeSlotIsClearedByTheRequesterThatMeetsIt(final LockPolicy policy)
    {
        try (LockFixture f = fixture(policy); Txn tx = f.locks.begin())
        {
            final long abandoned = idInAFreeSlot(f);
            final int ownerWord = f.locks.entryOffset(f.locks.lockIndex(70)) + LockTableDescriptor.ENTRY_OWNER;
            f.locks.buffer().putLongVolatile(ownerWord, 5L << 16 | abandoned);
            tx.lock(70, LockMode.SHARED);
            assertEquals(6L << 16, f.locks.buffer().getLongVolatile(ownerWord), "cleared with a new version");
            f.locks.buffer().putLongVolatile(ownerWord, 7L << 16 | abandoned);
            tx.lock(70, LockMode.EXCLUSIVE); // an upgrade meeting it
            assertEquals(9L << 16 | (tx.cell() + 1), f.locks.buffer().getLongVolatile(ownerWord), "cleared, then claimed by tx");
            assertEquals(Map.of(f.region.slot(), 1), f.locks.locksHeldPerSlot());
            assertEquals(0, f.locks.aborts().values().stream().mapToLong(Long::longValue).sum(), "nobody aborted");
            tx.commit();
            assertEquals(Map.of(), f.locks.locksHeldPerSlot());
        }
    }

    /**
     * A reader lane naming a cell of a free slot, beside a live reader's: an exclusive requester
     * clears that lane only, and still meets the live reader as its policy says; once that one
     * leaves it is granted.
     */
    @ParameterizedTest
    @EnumSource(LockPolicy.class)
    void aReaderLaneOfAFreeSlotIsClearedAndOnlyIt(final LockPolicy policy)
    {
        try (LockFixture f = fixture(policy); Txn live = f.locks.begin(); Txn tx = f.locks.begin())
        {
            final long abandoned = idInAFreeSlot(f);
            final int readers = f.locks.entryOffset(f.locks.lockIndex(72)) + LockTableDescriptor.ENTRY_READERS;
            assertEquals(Decision.GRANTED, live.tryLock(72, LockMode.SHARED));
            final long liveLane = f.locks.buffer().getLongVolatile(readers);
            assertEquals(live.cell() + 1L, liveLane);
            f.locks.buffer().putLongVolatile(readers, liveLane | abandoned << 32);
            assertNotEquals(Decision.GRANTED, tx.tryLock(72, LockMode.EXCLUSIVE), "the live reader still conflicts");
            assertEquals(liveLane, f.locks.buffer().getLongVolatile(readers), "the abandoned lane cleared, the live one kept");
            tx.restart(); // it died, aborted or waits per policy: begin again holding nothing
            live.commit();
            f.locks.buffer().putLongVolatile(readers, abandoned << 16);
            tx.lock(72, LockMode.EXCLUSIVE);
            assertEquals(0, f.locks.buffer().getLongVolatile(readers));
            assertEquals(Map.of(f.region.slot(), 1), f.locks.locksHeldPerSlot());
            tx.commit();
            assertEquals(Map.of(), f.locks.locksHeldPerSlot());
        }
    }

    /**
     * A transaction clears the reader lane it claimed, and only after checking the lane still
     * holds its id. Here the lane was overwritten (another cell's id) and the transaction's id
     * planted in the next lane: release must report the entry, lane and value, leave both lanes as
     * found (a scan for its id would clear the planted one), and still release its other locks.
     */
    @Test
    void releaseChecksTheClaimedLaneAndLeavesAMismatchAsFound()
    {
        try (LockFixture f = fixture(LockPolicy.WAIT_DIE); Txn tx = f.locks.begin(); Txn other = f.locks.begin())
        {
            final int index = f.locks.lockIndex(30);
            final int entry = f.locks.entryOffset(index);
            final int readers = entry + LockTableDescriptor.ENTRY_READERS;
            assertEquals(Decision.GRANTED, other.tryLock(30, LockMode.SHARED));
            assertEquals(Decision.GRANTED, tx.tryLock(30, LockMode.SHARED));
            assertEquals(Decision.GRANTED, tx.tryLock(31, LockMode.EXCLUSIVE));
            assertEquals(Decision.GRANTED, tx.tryLock(32, LockMode.SHARED));
            assertNotEquals(index, f.locks.lockIndex(31));
            assertNotEquals(index, f.locks.lockIndex(32));
            final long lanes = f.locks.buffer().getLongVolatile(readers);
            assertEquals((other.cell() + 1L) | (tx.cell() + 1L) << 16, lanes, "other in lane 0, tx in lane 1");
            other.commit();
            assertEquals((tx.cell() + 1L) << 16, f.locks.buffer().getLongVolatile(readers), "other cleared its own lane only");

            final long stranger = other.cell() + 1L;
            final long corrupt = (tx.cell() + 1L) << 32 | stranger << 16; // lane 1 overwritten, tx's id planted in lane 2
            f.locks.buffer().putLongVolatile(readers, corrupt);
            final LockTableCorruptException ex = assertThrows(LockTableCorruptException.class, tx::commit);
            assertTrue(ex.getMessage().contains("lock entry " + index + " reader lane 1 holds cell id " + stranger), ex.getMessage());
            assertEquals(index, ex.entry());
            assertEquals(tx.cell(), ex.cell());
            assertTrue(ex.getMessage().contains(f.region.file().toString()), ex.getMessage());
            assertEquals(corrupt, f.locks.buffer().getLongVolatile(readers), "the mismatching word is left as found");
            assertTrue(tx.held().isEmpty());
            assertEquals(0, f.locks.buffer().getLongVolatile(f.locks.entryOffset(f.locks.lockIndex(31))) & 0xFFFF,
                "the exclusive lock is released all the same");
            assertEquals(0, f.locks.buffer().getLongVolatile(f.locks.entryOffset(f.locks.lockIndex(32)) + LockTableDescriptor.ENTRY_READERS),
                "the other shared lock is released all the same");
            assertFalse(tx.isActive(), "the commit ended the transaction");
            f.locks.buffer().putLongVolatile(readers, 0);
        }
    }

    /**
     * Pins the exclusive grant paths (allocation-free when uncontended: the holders list is built
     * only for a conflict's decision): granted at once; a claim that meets readers waits for
     * exactly them (the wait-for graph lists them) and is granted when they leave.
     */
    @Test
    void anExclusiveClaimWaitsForEveryOtherReaderOnly()
    {
        try (LockFixture f = fixture(LockPolicy.WAIT_DIE); Txn old = f.locks.begin(); Txn a = f.locks.begin();
             Txn b = f.locks.begin())
        {
            assertEquals(Decision.GRANTED, old.tryLock(40, LockMode.EXCLUSIVE));
            assertEquals(Map.of(f.locks.lockIndex(40), LockMode.EXCLUSIVE), old.held());
            assertEquals("no waits\n", f.locks.waitForGraphText());
            assertEquals(Decision.GRANTED, a.tryLock(41, LockMode.SHARED));
            assertEquals(Decision.GRANTED, b.tryLock(41, LockMode.SHARED));
            assertEquals(Decision.GRANTED, old.tryLock(41, LockMode.SHARED));
            assertEquals(Decision.WAIT, old.tryLock(41, LockMode.EXCLUSIVE), "an upgrade waits for the two younger readers");
            assertEquals(List.of(a.cell(), b.cell()), f.locks.waitForGraph().get(old.cell()));
            a.commit();
            assertEquals(Decision.WAIT, old.tryLock(41, LockMode.EXCLUSIVE));
            assertEquals(List.of(b.cell()), f.locks.waitForGraph().get(old.cell()));
            b.commit();
            assertEquals(Decision.GRANTED, old.tryLock(41, LockMode.EXCLUSIVE));
            assertEquals(LockMode.EXCLUSIVE, old.held().get(f.locks.lockIndex(41)));
            assertTrue(f.locks.waitForGraph().isEmpty());
            old.commit();
            assertTrue(f.locks.locksHeldPerSlot().isEmpty(), "the upgrade's reader lane was released with it");
        }
    }

    /**
     * An owner id followed to its transaction cell must find that cell's own id there (or 0: the
     * transaction ended since): anything else is a corrupt cell, reported, and nothing is decided
     * on it (no die, no wound).
     */
    @Test
    void aHolderCellWithAnotherCellsIdIsReportedNotDecidedOn()
    {
        try (LockFixture f = fixture(LockPolicy.WAIT_DIE); Txn old = f.locks.begin(); Txn young = f.locks.begin())
        {
            assertEquals(Decision.GRANTED, young.tryLock(50, LockMode.EXCLUSIVE));
            assertEquals(Decision.WAIT, old.tryLock(50, LockMode.EXCLUSIVE));
            final int idWord = f.locks.cellOffset(young.cell()) + LockTableDescriptor.CELL_ID;
            final int stateWord = f.locks.cellOffset(young.cell()) + LockTableDescriptor.CELL_STATE;
            final long id = f.locks.buffer().getLongVolatile(idWord);
            assertEquals(young.id(), id);

            f.locks.buffer().putLongVolatile(idWord, 0); // as if young had just ended: not corrupt
            assertEquals(Decision.WAIT, old.tryLock(50, LockMode.EXCLUSIVE));

            final long forged = (1L << 16) | (old.cell() + 1); // names old's cell
            f.locks.buffer().putLongVolatile(idWord, forged);
            final long state = f.locks.buffer().getLongVolatile(stateWord);
            final LockTableCorruptException ex = assertThrows(LockTableCorruptException.class, () -> old.tryLock(50, LockMode.EXCLUSIVE));
            assertTrue(ex.getMessage().contains("transaction cell " + young.cell() + " ") && ex.getMessage().contains("0x"
                + Long.toHexString(forged)) && ex.getMessage().contains("corrupt"), ex.getMessage());
            assertTrue(ex.getMessage().contains(f.region.file().toString()), ex.getMessage());
            assertEquals(young.cell(), ex.cell());
            assertThrows(LockTableCorruptException.class, () -> f.locks.markVictim(young.cell(), AbortReason.WOUNDED));
            f.locks.setPolicy(LockPolicy.WOUND_WAIT);
            assertThrows(LockTableCorruptException.class, () -> old.tryLock(50, LockMode.EXCLUSIVE));
            assertEquals(state, f.locks.buffer().getLongVolatile(stateWord), "the corrupt cell was not wounded");
            assertEquals(0, f.locks.stats().wounds());
            assertTrue(f.locks.waitForGraphText().contains("CORRUPT"), f.locks.waitForGraphText());

            f.locks.buffer().putLongVolatile(idWord, id);
            f.locks.setPolicy(LockPolicy.WAIT_DIE);
            assertEquals(Decision.WAIT, old.tryLock(50, LockMode.EXCLUSIVE), "its own id again: decided on as before");
            young.commit();
            assertEquals(Decision.GRANTED, old.tryLock(50, LockMode.EXCLUSIVE));
        }
    }

    /**
     * validate() names what no live transaction leaves, without attaching: a lock held by a cell
     * of a free slot, an id beyond the cells, a waiter count above the waiters; live locks are not
     * problems.
     */
    @Test
    void validateNamesWhatNoLiveTransactionLeavesWithoutAttaching() throws Exception
    {
        try (LockFixture f = fixture(LockPolicy.WAIT_DIE); Txn tx = f.locks.begin();
            io.shmtx.region.Region viewer = io.shmtx.region.Region.open(f.region.file(), Duration.ZERO))
        {
            final LockManager unattached = LockManager.open(viewer);
            assertEquals(Decision.GRANTED, tx.tryLock(5, LockMode.EXCLUSIVE));
            assertEquals(Decision.GRANTED, tx.tryLock(6, LockMode.SHARED));
            assertEquals(List.of(), unattached.validate(), "live locks are no problem");

            final int freeCell = (f.region.slot() + 1) * f.locks.cellsPerSlot(); // a cell of the next slot, free
            final int abandoned = f.locks.entryOffset(f.locks.lockIndex(7));
            f.locks.buffer().putLongVolatile(abandoned + LockTableDescriptor.ENTRY_OWNER, freeCell + 1);
            final int beyond = f.locks.entryOffset(f.locks.lockIndex(8));
            f.locks.buffer().putLongVolatile(beyond + LockTableDescriptor.ENTRY_READERS, f.locks.totalCells() + 1L);
            final int waiters = f.locks.entryOffset(f.locks.lockIndex(9)) + LockTableDescriptor.ENTRY_WAITERS;
            f.locks.buffer().putLongVolatile(waiters, 2);
            final String problems = unattached.validate().toString();
            assertTrue(problems.contains("lock entry " + f.locks.lockIndex(7) + " owner is held by cell " + freeCell + " of free slot "
                + (f.region.slot() + 1)), problems);
            assertTrue(problems.contains("lock entry " + f.locks.lockIndex(8) + " reader lane 0 names cell " + f.locks.totalCells()
                + ", beyond the"), problems);
            assertTrue(problems.contains("lock entry " + f.locks.lockIndex(9) + ": waiter count 2 but 0 transactions wait"), problems);
            assertEquals(3, unattached.validate().size(), problems);
            f.locks.buffer().putLongVolatile(abandoned + LockTableDescriptor.ENTRY_OWNER, 0);
            f.locks.buffer().putLongVolatile(beyond + LockTableDescriptor.ENTRY_READERS, 0);
            f.locks.buffer().putLongVolatile(waiters, 0);
            assertEquals(-1, viewer.slot());
        }
    }
}
