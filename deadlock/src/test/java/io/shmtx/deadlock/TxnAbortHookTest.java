package io.shmtx.deadlock;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The abort hook and the committing point that a transaction writing in place under its
 * exclusive locks needs: a wound found at commit (or at a lock request) must let it undo before
 * its locks go, and once past {@link Txn#prepareCommit()} it cannot be wounded.
 */
class TxnAbortHookTest
{
    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws Exception
    {
        temp.close();
    }

    private LockFixture fixture(final LockPolicy policy)
    {
        final Path file = temp.newPath("hook");
        LockFixture.create(file, LockManagerConfig.builder().locks(1024).transactionsPerProcess(16).policy(policy)
            .maxWait(Duration.ofMillis(300)).build());
        return new LockFixture(file);
    }

    @Test
    void aWoundFoundAtCommitRunsTheHookWhileTheLocksAreStillHeld()
    {
        try (LockFixture f = fixture(LockPolicy.WOUND_WAIT); Txn old = f.locks.begin(); Txn young = f.locks.begin())
        {
            final List<String> seen = new ArrayList<>();
            young.onAbort(() -> seen.add("hook with " + young.held().size() + " lock held; older granted: "
                + old.tryLock(3, LockMode.EXCLUSIVE)));
            assertEquals(Decision.GRANTED, young.tryLock(3, LockMode.EXCLUSIVE));
            assertEquals(Decision.WAIT, old.tryLock(3, LockMode.EXCLUSIVE), "older wounds and waits");
            assertEquals(AbortReason.WOUNDED, assertThrows(TxAbortedException.class, young::commit).reason());
            assertEquals(List.of("hook with 1 lock held; older granted: WAIT"), seen);
            assertEquals(Decision.GRANTED, old.tryLock(3, LockMode.EXCLUSIVE), "released after the hook");
        }
    }

    @Test
    void aWoundFoundAtALockRequestRunsTheHookFirst()
    {
        try (LockFixture f = fixture(LockPolicy.WOUND_WAIT); Txn old = f.locks.begin(); Txn young = f.locks.begin())
        {
            final List<Integer> held = new ArrayList<>();
            young.onAbort(() -> held.add(young.held().size()));
            assertEquals(Decision.GRANTED, young.tryLock(3, LockMode.EXCLUSIVE));
            assertEquals(Decision.WAIT, old.tryLock(3, LockMode.EXCLUSIVE));
            assertEquals(Decision.ABORTED, young.tryLock(4, LockMode.SHARED));
            assertEquals(List.of(1), held);
            young.restart();
            young.abort();
            assertEquals(List.of(1), held, "no locks, no hook");
        }
    }

    @Test
    void pastTheCommittingPointNoWoundAbortsIt()
    {
        try (LockFixture f = fixture(LockPolicy.WOUND_WAIT); Txn old = f.locks.begin(); Txn young = f.locks.begin())
        {
            final List<String> seen = new ArrayList<>();
            young.onAbort(() -> seen.add("aborted"));
            assertEquals(Decision.GRANTED, young.tryLock(3, LockMode.EXCLUSIVE));
            young.prepareCommit();
            young.prepareCommit(); // idempotent
            assertEquals(Decision.WAIT, old.tryLock(3, LockMode.EXCLUSIVE), "the older waits: no wound lands");
            assertFalse(f.locks.markVictim(young.cell(), AbortReason.WOUNDED));
            young.commit();
            assertEquals(List.of(), seen);
            assertEquals(Decision.GRANTED, old.tryLock(3, LockMode.EXCLUSIVE));
        }
    }

    @Test
    void renewTakesAFreshAgeWhereRestartKeepsIt()
    {
        try (LockFixture f = fixture(LockPolicy.WAIT_DIE); Txn a = f.locks.begin(); Txn b = f.locks.begin())
        {
            final long first = a.timestamp();
            a.restart();
            assertEquals(first, a.timestamp());
            a.renew();
            assertTrue(a.timestamp() > b.timestamp(), "a renewed transaction is younger than one begun before");
            assertTrue(a.isActive());
            assertEquals(Decision.GRANTED, b.tryLock(7, LockMode.EXCLUSIVE));
            assertEquals(Decision.ABORTED, a.tryLock(7, LockMode.EXCLUSIVE), "younger dies under WAIT_DIE");
        }
    }
}
