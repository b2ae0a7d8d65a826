package io.shmtx.consistency;

import static io.shmtx.consistency.ConsistencyDescriptor.*;
import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Model switching in one JVM: epochs, listeners, the drain (no transaction of the old epoch runs
 * once the new one is in force), the timeout, and a switcher that dies half-way (simulated:
 * its attachment abandoned as a killed process's would be, its thread parked for good).
 */
class ModelSwitchTest
{
    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws Exception
    {
        temp.close();
    }

    private static SharedMemoryConfig config(final Duration switchTimeout)
    {
        return SharedMemoryTest.config().switchTimeout(switchTimeout).build();
    }

    @Test
    void aSwitchPublishesANewEpochToEveryProcessAndTellsListeners()
    {
        final Path file = temp.newPath("switch");
        try (SharedMemory a = SharedMemory.open(file, config(Duration.ofSeconds(5)));
            SharedMemory b = SharedMemory.open(file, config(Duration.ofSeconds(5))))
        {
            final long h = a.allocate(8);
            final List<String> seenByA = new CopyOnWriteArrayList<>();
            final List<String> seenByB = new CopyOnWriteArrayList<>();
            a.addSwitchListener((from, to, epoch) -> seenByA.add(from + ">" + to + "@" + epoch));
            b.addSwitchListener((from, to, epoch) -> seenByB.add(from + ">" + to + "@" + epoch));
            assertEquals(1, b.epoch());
            a.switchModel(ConsistencyModel.RELEASE);
            assertEquals(2, a.epoch());
            assertEquals(2, b.epoch());
            assertEquals(ConsistencyModel.RELEASE, b.model());
            assertEquals(List.of("RELEASE>RELEASE@2"), seenByA, "the switcher's listener, before switchModel returns");
            assertEquals(List.of(), seenByB, "b has not begun a transaction since");
            assertEquals(2L, (long)b.readOnly(tx -> tx.epoch()), "b's next transaction runs in the new epoch");
            assertEquals(List.of("RELEASE>RELEASE@2"), seenByB, "told before its first transaction of the epoch");
            b.transact(tx -> tx.putLong(h, 0, 9));
            assertEquals(1, seenByB.size(), "once per epoch");
            assertEquals(1, a.region().buffer().getLongVolatile(a.modelSwitch().base() + SWITCHES_OFFSET));
        }
    }

    @Test
    void aSwitchWaitsForTransactionsOfTheOldEpochThenGivesUpLeavingTheOldModel() throws Exception
    {
        try (SharedMemory shm = SharedMemory.open(temp.newPath("timeout"), config(Duration.ofMillis(200))))
        {
            final long h = shm.allocate(8);
            final CountDownLatch open = new CountDownLatch(1);
            final CountDownLatch finish = new CountDownLatch(1);
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread holder = new Thread(() ->
            {
                try (Tx tx = shm.begin())
                {
                    tx.putLong(h, 0, tx.getLong(h, 0) + 1);
                    open.countDown();
                    finish.await();
                    tx.commit(); // its model is still in force: it commits
                }
                catch (final Throwable ex)
                {
                    failure.set(ex);
                }
            }, "long transaction");
            holder.start();
            assertTrue(open.await(10, TimeUnit.SECONDS));
            final ModelSwitchTimeoutException ex = assertThrows(ModelSwitchTimeoutException.class,
                () -> shm.switchModel(ConsistencyModel.RELEASE));
            assertTrue(ex.getMessage().contains("still runs a transaction of epoch 1"), ex.getMessage());
            assertEquals(ConsistencyModel.RELEASE, shm.model());
            assertEquals(3, shm.epoch(), "given up at a fresh epoch: the old model stays in force");
            finish.countDown();
            holder.join();
            assertNull(failure.get());
            assertEquals(1L, (long)shm.readOnly(tx -> tx.getLong(h, 0)));
            shm.switchModel(ConsistencyModel.RELEASE); // nothing runs now: it goes through
            assertEquals(4, shm.epoch());
        }
    }

    @Test
    void noTransactionOfTheOldEpochRunsOnceTheNewOneIsInForce() throws Exception
    {
        try (SharedMemory shm = SharedMemory.open(temp.newPath("drain"), config(Duration.ofSeconds(10))))
        {
            final long h = shm.allocate(8);
            final AtomicReference<String> bad = new AtomicReference<>();
            final AtomicLong transactions = new AtomicLong();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            final Thread[] threads = new Thread[3];
            for (int t = 0; t < threads.length; t++)
            {
                threads[t] = new Thread(() ->
                {
                    while (System.nanoTime() < deadline && bad.get() == null)
                    {
                        shm.transact(tx ->
                        {
                            tx.putLong(h, 0, tx.getLong(h, 0) + 1);
                            for (int i = 0; i < 50; i++)
                            {
                                final long inForce = shm.epoch();
                                if (inForce != tx.epoch())
                                {
                                    bad.compareAndSet(null, "a transaction of epoch " + tx.epoch() + " ran while epoch " + inForce
                                        + " was in force");
                                }
                                Thread.onSpinWait();
                            }
                        });
                        transactions.incrementAndGet();
                    }
                }, "tx-" + t);
                threads[t].start();
            }
            int switches = 0;
            while (System.nanoTime() < deadline && bad.get() == null)
            {
                shm.switchModel(ConsistencyModel.RELEASE);
                switches++;
            }
            for (final Thread thread : threads)
            {
                thread.join();
            }
            assertNull(bad.get());
            assertTrue(switches > 10 && transactions.get() > 10, switches + " switches, " + transactions.get() + " transactions");
            assertEquals(transactions.get(), (long)shm.readOnly(tx -> tx.getLong(h, 0)));
            assertEquals(1 + switches, shm.epoch());
        }
    }

    @Test
    void aSwitcherThatDiesHalfWayDoesNotWedgeTheRegion() throws Exception
    {
        final Path file = temp.newPath("dead-switcher");
        final SharedMemoryConfig config = config(Duration.ofSeconds(30));
        try (SharedMemory survivor = SharedMemory.open(file, config))
        {
            final long h = survivor.allocate(8);
            final SharedMemory victim = SharedMemory.open(file, config);
            dieAt(victim, ModelSwitch.HOOK_PUBLISHED);
            assertTrue(isSwitching(survivor.region().buffer().getLongVolatile(survivor.modelSwitch().base() + MODEL_WORD_OFFSET)),
                "the victim died with its switch published");
            final long started = System.nanoTime();
            survivor.transact(tx -> tx.putLong(h, 0, 1)); // would wait 2 x 30 s for the dead switcher, then throw
            assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(30), "the dead switch was cleared, not timed out");
            assertEquals(ConsistencyModel.RELEASE, survivor.model());
            assertEquals(3, survivor.epoch(), "the dead switch was given up at a fresh epoch");
            assertEquals(0, survivor.region().buffer().getLongVolatile(survivor.modelSwitch().base() + SWITCH_OWNER_OFFSET));
            survivor.switchModel(ConsistencyModel.RELEASE);
            assertEquals(4, survivor.epoch());
        }
    }

    @Test
    void recoveryOfADeadSwitcherGivesItsSwitchUp() throws Exception
    {
        final Path file = temp.newPath("recover-switcher");
        final SharedMemoryConfig config = config(Duration.ofSeconds(30));
        try (SharedMemory survivor = SharedMemory.open(file, config))
        {
            final SharedMemory victim = SharedMemory.open(file, config);
            dieAt(victim, ModelSwitch.HOOK_DRAINED);
            final String reports = survivor.region().recoverDeadSlots().toString();
            assertTrue(reports.contains("a model switch it left was given up"), reports);
            final long word = survivor.region().buffer().getLongVolatile(survivor.modelSwitch().base() + MODEL_WORD_OFFSET);
            assertEquals(modelWord(ConsistencyModel.RELEASE.ordinal(), 3), word);
            assertEquals(0, survivor.region().buffer().getLongVolatile(survivor.modelSwitch().base() + SWITCH_OWNER_OFFSET));
        }
    }

    @Test
    void theRecoveryRunByANewcomersAttachGivesADeadSwitchUp() throws Exception
    {
        final Path file = temp.newPath("attach-recovers-switcher");
        final SharedMemoryConfig config = config(Duration.ofSeconds(30));
        final SharedMemory victim = SharedMemory.open(file, config);
        dieAt(victim, ModelSwitch.HOOK_PUBLISHED); // the only process attached dies with its switch published
        try (SharedMemory newcomer = SharedMemory.open(file, config)) // its attach() recovers the dead slot
        {
            final int base = newcomer.modelSwitch().base();
            final long word = newcomer.region().buffer().getLongVolatile(base + MODEL_WORD_OFFSET);
            assertFalse(isSwitching(word), "given up by the attach's recovery, before any transaction or switch");
            assertEquals(modelWord(ConsistencyModel.RELEASE.ordinal(), 3), word);
            assertEquals(0, newcomer.region().buffer().getLongVolatile(base + SWITCH_OWNER_OFFSET));
        }
    }

    /** Starts a switch in {@code victim} that dies at {@code step}; returns once it is dead. */
    private static void dieAt(final SharedMemory victim, final int step) throws InterruptedException
    {
        final CountDownLatch dead = new CountDownLatch(1);
        victim.hook = at ->
        {
            if (at == step)
            {
                victim.region().abandon(); // as the kernel drops a killed process's slot lock
                dead.countDown();
                while (true)
                {
                    LockSupport.park();
                }
            }
        };
        final Thread thread = new Thread(() -> victim.switchModel(ConsistencyModel.RELEASE), "victim switcher");
        thread.setDaemon(true);
        thread.start();
        assertTrue(dead.await(30, TimeUnit.SECONDS), "the victim reached step " + step);
    }
}
