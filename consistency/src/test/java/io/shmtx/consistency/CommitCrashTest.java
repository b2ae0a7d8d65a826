package io.shmtx.consistency;

import static io.shmtx.consistency.ConsistencyDescriptor.*;
import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.region.OwnerDeathReport;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A process dies at each step of a commit (simulated in one JVM: the victim's attachment is
 * abandoned as a killed process's would be and its thread stops for good at that instruction);
 * a survivor recovers it, and must find all of the transaction or none of it: the balances, the
 * link to a new object, the free of an old one, no version lock left, the pool consistent.
 */
class CommitCrashTest
{
    private static final long START = 100;

    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws Exception
    {
        temp.close();
    }

    @ParameterizedTest(name = "{0}: death at step {1}, occurrence {2}: committed={3}")
    @CsvSource({
        "RELEASE, 1, 1, false",     // ACTIVE, nothing locked
        "RELEASE, 2, 1, false",     // one object locked
        "RELEASE, 2, 2, false",     // two objects locked
        "RELEASE, 3, 1, false",     // all locked, reads validated, not COMMITTING
        "RELEASE, 4, 1, true",      // COMMITTING, nothing applied
        "RELEASE, 5, 1, true",      // one redo record applied
        "RELEASE, 5, 3, true",      // three applied
        "RELEASE, 6, 1, true",      // all applied, all still locked
        "RELEASE, 7, 1, true",      // one object released
        "RELEASE, 7, 3, true",      // three released
        "RELEASE, 8, 1, true",      // all released, free not done
        "RELEASE, 9, 1, true",      // free done, log not IDLE
        "RELEASE, 12, 1, true",     // log being cleared after the commit
        "CAUSAL, 1, 1, false",      // as RELEASE, while an older snapshot is read: history made, linked, or not
        "CAUSAL, 2, 2, false",
        "CAUSAL, 3, 1, false",      // locked, timestamp taken, no history made yet
        "CAUSAL, 4, 1, true",       // COMMITTING: history made, not linked
        "CAUSAL, 5, 1, true",       // linked, one redo record applied
        "CAUSAL, 6, 1, true",
        "CAUSAL, 7, 1, true",
        "CAUSAL, 8, 1, true",
        "CAUSAL, 9, 1, true",
        "CAUSAL, 12, 1, true",
        "SEQUENTIAL, 10, 1, false", // first undo record written, its write not made
        "SEQUENTIAL, 10, 2, false", // one write in place made, the second's record written
        "SEQUENTIAL, 10, 3, false", // two writes in place
        "SEQUENTIAL, 1, 1, false",  // every write in place made, not committing
        "SEQUENTIAL, 4, 1, true",   // COMMITTING: writes final, no version stamped
        "SEQUENTIAL, 7, 1, true",   // one version stamped
        "SEQUENTIAL, 7, 3, true",   // three stamped
        "SEQUENTIAL, 8, 1, true",   // all stamped, allocation published, free not done
        "SEQUENTIAL, 9, 1, true",   // free done, log not IDLE, locks held
        "SEQUENTIAL, 12, 1, true",  // log being cleared after the commit, locks held
    })
    void recoveryLeavesAllOrNothing(final ConsistencyModel model, final int step, final int occurrence, final boolean committed)
        throws Exception
    {
        final Path file = temp.newPath("crash");
        final SharedMemoryConfig config = SharedMemoryTest.config().model(model).build();
        try (SharedMemory survivor = SharedMemory.open(file, config))
        {
            final long x = survivor.allocate(8);
            final long y = survivor.allocate(8);
            final long root = survivor.allocate(16);
            final long old = survivor.transactAndGet(tx ->
            {
                tx.putLong(x, 0, START);
                tx.putLong(y, 0, START);
                final long o = tx.allocate(8);
                tx.putLong(root, 8, o);
                return o;
            });
            final OldSnapshot reader = model == ConsistencyModel.CAUSAL ? new OldSnapshot(survivor, x, y) : null;
            final SharedMemory victim = SharedMemory.open(file, config);
            final int victimSlot = victim.region().slot();
            final CountDownLatch dead = new CountDownLatch(1);
            final AtomicInteger seen = new AtomicInteger();
            victim.hook = at ->
            {
                if (at == step && seen.incrementAndGet() == occurrence)
                {
                    victim.region().abandon(); // as the kernel drops a killed process's slot lock
                    dead.countDown();
                    while (true)
                    {
                        LockSupport.park(); // this thread never runs another instruction of the commit
                    }
                }
            };
            final long[] made = new long[1];
            final Thread thread = new Thread(() -> victim.transact(tx ->
            {
                tx.putLong(x, 0, tx.getLong(x, 0) - 10);
                tx.putLong(y, 0, tx.getLong(y, 0) + 10);
                final long node = tx.allocate(8);
                made[0] = node;
                tx.putLong(node, 0, 77);
                tx.putLong(root, 0, node);
                final long o = tx.getLong(root, 8);
                tx.free(o);
                tx.putLong(root, 8, 0);
            }), "victim");
            thread.setDaemon(true);
            thread.start();
            assertTrue(dead.await(30, TimeUnit.SECONDS), "the victim reached step " + step);

            final List<OwnerDeathReport> reports = recover(survivor, victimSlot);
            assertTrue(reports.stream().allMatch(OwnerDeathReport::completed), reports.toString());
            if (reader != null)
            {
                assertEquals(START + "," + START, reader.finish(), "the older snapshot still reads its values (history linked or never used)");
                survivor.transact(tx ->
                {
                    for (final long h : new long[] {x, y, root})
                    {
                        tx.putLong(h, 0, tx.getLong(h, 0)); // trims what no snapshot needs
                    }
                });
                assertEquals(0, survivor.versionsAlive(), "no version left behind");
            }

            final long[] state = survivor.readOnly(tx -> new long[] {tx.getLong(x, 0), tx.getLong(y, 0), tx.getLong(root, 0),
                tx.getLong(root, 8)});
            if (committed)
            {
                assertArrayEquals(new long[] {START - 10, START + 10, made[0], 0}, state, "all of it");
                assertFalse(survivor.pool().isLive(old), "the free took effect");
                assertEquals(77, (long)survivor.readOnly(tx -> tx.getLong(made[0], 0)));
                assertEquals(-1, survivor.pool().ownerSlot(made[0]), "the new object is published, not the dead slot's");
                assertFalse(isLocked(survivor.versionWord(made[0])));
            }
            else
            {
                assertArrayEquals(new long[] {START, START, 0, old}, state, "none of it");
                assertTrue(survivor.pool().isLive(old), "the free did not happen");
                assertTrue(made[0] == 0 || !survivor.pool().isLive(made[0]), "the new object was freed");
            }
            for (final long h : new long[] {x, y, root})
            {
                assertFalse(isLocked(survivor.versionWord(h)), "no version lock left on " + h);
            }
            assertTrue(survivor.pool().validate().valid(), survivor.pool().validate().toString());
            survivor.transact(tx -> tx.putLong(x, 0, tx.getLong(x, 0) + 1)); // the objects are usable
            assertEquals(state[0] + 1, (long)survivor.readOnly(tx -> tx.getLong(x, 0)));
        }
    }

    @org.junit.jupiter.api.Test
    void aSequentialCommitFinishedByRecoveryFreesTheHistoryACausalEpochLeft() throws Exception
    {
        final Path file = temp.newPath("crash-history");
        final SharedMemoryConfig config = SharedMemoryTest.config().model(ConsistencyModel.CAUSAL).build();
        try (SharedMemory survivor = SharedMemory.open(file, config))
        {
            final long x = survivor.allocate(8);
            final long y = survivor.allocate(8);
            final long baseline = survivor.pool().stats().tiers().get(0).inUse();
            final OldSnapshot reader = new OldSnapshot(survivor, x, y);
            survivor.transact(tx -> tx.putLong(x, 0, 5)); // the old snapshot needs x's first value: kept in history
            assertEquals("0,0", reader.finish());
            assertEquals(1, survivor.versionsAlive(), "the version the snapshot needed stays until x is written again");
            survivor.switchModel(ConsistencyModel.SEQUENTIAL);
            final SharedMemory victim = SharedMemory.open(file, config);
            final int victimSlot = victim.region().slot();
            final CountDownLatch dead = new CountDownLatch(1);
            victim.hook = at ->
            {
                if (at == SharedMemory.HOOK_COMMITTING)
                {
                    victim.region().abandon(); // as the kernel drops a killed process's slot lock
                    dead.countDown();
                    while (true)
                    {
                        LockSupport.park();
                    }
                }
            };
            final Thread thread = new Thread(() -> victim.transact(tx -> tx.putLong(x, 0, 6)), "victim");
            thread.setDaemon(true);
            thread.start();
            assertTrue(dead.await(30, TimeUnit.SECONDS), "the victim reached its commit record");
            final List<OwnerDeathReport> reports = recover(survivor, victimSlot);
            assertTrue(reports.stream().allMatch(OwnerDeathReport::completed), reports.toString());
            assertEquals(6L, (long)survivor.readOnly(tx -> tx.getLong(x, 0)), "the commit was finished");
            assertEquals(0, survivor.versionsAlive(), "and the history of x went with it, as a live SEQUENTIAL commit does");
            assertEquals(baseline, survivor.pool().stats().tiers().get(0).inUse(), "every history block back in the pool");
        }
    }

    @org.junit.jupiter.api.Test
    void aTransactionThatMeetsALockOfADeadProcessRecoversItAndGoesOn() throws Exception
    {
        final Path file = temp.newPath("dead-lock");
        final SharedMemoryConfig config = SharedMemoryTest.config().build();
        try (SharedMemory survivor = SharedMemory.open(file, config))
        {
            final long x = survivor.allocate(8);
            final SharedMemory victim = SharedMemory.open(file, config);
            final CountDownLatch dead = new CountDownLatch(1);
            victim.hook = at ->
            {
                if (at == SharedMemory.HOOK_VALIDATED)
                {
                    victim.region().abandon();
                    dead.countDown();
                    while (true)
                    {
                        LockSupport.park();
                    }
                }
            };
            final Thread thread = new Thread(() -> victim.transact(tx -> tx.putLong(x, 0, 5)), "victim");
            thread.setDaemon(true);
            thread.start();
            assertTrue(dead.await(30, TimeUnit.SECONDS));
            assertTrue(isLocked(survivor.versionWord(x)), "the dead process holds the version lock");
            final List<String> recoverers = new java.util.concurrent.CopyOnWriteArrayList<>();
            survivor.region().addOwnerDeathListener(report -> recoverers.add(Thread.currentThread().getName()));
            survivor.transact(tx -> tx.putLong(x, 0, tx.getLong(x, 0) + 1));
            assertEquals(1, (long)survivor.readOnly(tx -> tx.getLong(x, 0)), "the dead transaction left nothing");
            assertEquals(List.of(Thread.currentThread().getName()), recoverers, "recovered by the transaction that met the lock");
        }
    }

    /** A CAUSAL reader holding a snapshot from before the victim's transaction, on its own thread. */
    private static final class OldSnapshot
    {
        private final CountDownLatch read = new CountDownLatch(1);
        private final CountDownLatch again = new CountDownLatch(1);
        private final java.util.concurrent.atomic.AtomicReference<String> result = new java.util.concurrent.atomic.AtomicReference<>();
        private final Thread thread;

        OldSnapshot(final SharedMemory shm, final long x, final long y) throws InterruptedException
        {
            thread = new Thread(() ->
            {
                try (Tx tx = shm.begin())
                {
                    tx.getLong(x, 0);
                    read.countDown();
                    again.await();
                    result.set(tx.getLong(x, 0) + "," + tx.getLong(y, 0));
                    tx.commit();
                }
                catch (final Throwable ex)
                {
                    result.set(ex.toString());
                }
            }, "old snapshot");
            thread.start();
            assertTrue(read.await(10, TimeUnit.SECONDS));
        }

        String finish() throws InterruptedException
        {
            again.countDown();
            thread.join();
            return result.get();
        }
    }

    private static List<OwnerDeathReport> recover(final SharedMemory survivor, final int slot) throws InterruptedException
    {
        final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        final List<OwnerDeathReport> all = new java.util.ArrayList<>();
        while (survivor.region().processes().stream().anyMatch(p -> p.slot() == slot))
        {
            all.addAll(survivor.region().recoverDeadSlots());
            assertTrue(System.nanoTime() < deadline, "slot " + slot + " not recovered: " + survivor.region().processes());
            Thread.sleep(5);
        }
        return all;
    }
}
