package io.shmtx.deadlock;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a transaction does once it is no longer active: committed or aborted by the application,
 * it takes nothing and says so until restarted; aborted by the lock manager, it reports that
 * reason (never one made up, nor a key it did not ask for) until restarted.
 */
class TxnLifecycleTest
{
    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws Exception
    {
        temp.close();
    }

    private LockFixture fixture(final LockPolicy policy)
    {
        final Path file = temp.newPath("lifecycle");
        LockFixture.create(file, LockManagerConfig.builder().locks(1024).policy(policy).maxWait(Duration.ofMillis(300)).build());
        return new LockFixture(file);
    }

    private static void assertSaysHowToGoOn(final IllegalStateException ex, final String how, final LockFixture f)
    {
        assertTrue(ex.getMessage().contains(how) && ex.getMessage().contains("restart()")
            && ex.getMessage().contains(f.region.file().toString()), ex.getMessage());
    }

    @Test
    void aCommittedTransactionTakesNoLockUntilRestarted()
    {
        try (LockFixture f = fixture(LockPolicy.WOUND_WAIT); Txn tx = f.locks.begin())
        {
            tx.lock(1, LockMode.EXCLUSIVE);
            tx.commit();
            assertFalse(tx.isActive());

            assertSaysHowToGoOn(assertThrows(IllegalStateException.class, () -> tx.lock(2, LockMode.EXCLUSIVE)), "has committed", f);
            assertSaysHowToGoOn(assertThrows(IllegalStateException.class, () -> tx.tryLock(3, LockMode.SHARED)), "has committed", f);
            assertTrue(tx.held().isEmpty(), "nothing taken");
            assertEquals(Map.of(), f.locks.locksHeldPerSlot(), "nothing taken");

            // a second commit: no reason or key made up, nothing left held
            assertSaysHowToGoOn(assertThrows(IllegalStateException.class, tx::commit), "has committed", f);
            assertEquals(Map.of(), f.locks.locksHeldPerSlot());
            assertEquals(Map.of(), f.locks.aborts().entrySet().stream().filter(e -> e.getValue() != 0)
                .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)), "no abort counted");

            tx.restart();
            assertTrue(tx.isActive());
            tx.lock(2, LockMode.EXCLUSIVE);
            assertEquals(Map.of(f.region.slot(), 1), f.locks.locksHeldPerSlot());
            tx.commit();
            assertEquals(Map.of(), f.locks.locksHeldPerSlot());
        }
    }

    @Test
    void aTransactionAbortedByTheApplicationTakesNoLockUntilRestarted()
    {
        try (LockFixture f = fixture(LockPolicy.WAIT_DIE); Txn tx = f.locks.begin())
        {
            tx.lock(1, LockMode.EXCLUSIVE);
            tx.abort();
            assertEquals(Map.of(), f.locks.locksHeldPerSlot());
            assertSaysHowToGoOn(assertThrows(IllegalStateException.class, () -> tx.lock(2, LockMode.SHARED)), "aborted by abort()", f);
            assertSaysHowToGoOn(assertThrows(IllegalStateException.class, tx::commit), "aborted by abort()", f);
            assertEquals(Map.of(), f.locks.locksHeldPerSlot());
            assertEquals(0, f.locks.aborts().get(AbortReason.TIMEOUT), "no TIMEOUT made up");
            tx.restart();
            assertEquals(Decision.GRANTED, tx.tryLock(2, LockMode.SHARED));
        }
    }

    /** As documented: TxAbortedException with the recorded reason until restart; a commit names no key. */
    @Test
    void aTransactionAbortedByTheLockManagerReportsItsReasonUntilRestarted()
    {
        try (LockFixture f = fixture(LockPolicy.NO_WAIT); Txn holder = f.locks.begin(); Txn tx = f.locks.begin())
        {
            assertEquals(Decision.GRANTED, holder.tryLock(1, LockMode.EXCLUSIVE));
            assertEquals(Decision.GRANTED, tx.tryLock(2, LockMode.EXCLUSIVE));
            assertEquals(Decision.ABORTED, tx.tryLock(1, LockMode.SHARED));
            assertEquals(Map.of(f.region.slot(), 1), f.locks.locksHeldPerSlot(), "tx released lock 2");

            assertEquals(Decision.ABORTED, tx.tryLock(3, LockMode.SHARED), "still aborted");
            final TxAbortedException onLock = assertThrows(TxAbortedException.class, () -> tx.lock(3, LockMode.SHARED));
            assertEquals(AbortReason.NO_WAIT, onLock.reason());
            assertTrue(onLock.getMessage().contains("on key 0x3 (lock " + f.locks.lockIndex(3)), onLock.getMessage());

            final TxAbortedException onCommit = assertThrows(TxAbortedException.class, tx::commit);
            assertEquals(AbortReason.NO_WAIT, onCommit.reason());
            assertTrue(onCommit.getMessage().contains("at commit") && !onCommit.getMessage().contains("key"), onCommit.getMessage());
            assertEquals(AbortReason.NO_WAIT, assertThrows(TxAbortedException.class, tx::checkWounded).reason());
            assertEquals(Map.of(f.region.slot(), 1), f.locks.locksHeldPerSlot(), "only the holder's lock");
            assertEquals(1, f.locks.aborts().get(AbortReason.NO_WAIT), "counted once");

            tx.restart();
            assertEquals(Decision.GRANTED, tx.tryLock(3, LockMode.SHARED));
            tx.commit();
            holder.commit();
            assertEquals(Map.of(), f.locks.locksHeldPerSlot());
        }
    }

    @Test
    void aNullModeIsRefusedAndTakesNothing()
    {
        try (LockFixture f = fixture(LockPolicy.WAIT_DIE); Txn tx = f.locks.begin())
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> tx.lock(1, null));
            assertTrue(ex.getMessage().contains("mode=null"), ex.getMessage());
            assertThrows(IllegalArgumentException.class, () -> tx.tryLock(1, null));
            assertTrue(tx.held().isEmpty());
            assertEquals(Map.of(), f.locks.locksHeldPerSlot());
            assertTrue(tx.isActive(), "a refused argument does not end the transaction");
        }
    }
}
