package io.shmtx.consistency;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.pool.PoolConfig;
import io.shmtx.testkit.ChildJvm;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code Tx.retry()} (a consumer waits for a producer through a shared object, across processes,
 * under every model), {@code getForUpdate}, the non-transactional word operations and the
 * statistics.
 */
class RetryTest
{
    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws Exception
    {
        temp.close();
    }

    static SharedMemoryConfig config(final ConsistencyModel model)
    {
        return SharedMemoryConfig.builder().model(model).processSlots(4).logsPerProcess(4)
            .pool(PoolConfig.builder().tier(64, 256).build()).build();
    }

    @ParameterizedTest
    @MethodSource("io.shmtx.consistency.Models#implemented")
    void aChildProcessAnswersPingsThroughRetry(final ConsistencyModel model) throws Exception
    {
        final Path file = temp.newPath("pong");
        final int rounds = 200;
        try (SharedMemory shm = SharedMemory.open(file, config(model)))
        {
            final long box = shm.allocate(8);
            shm.bindRoot("box", box);
            try (ChildJvm pong = ChildJvm.start(PongWorker.class, file.toString(), "box", Integer.toString(rounds)))
            {
                pong.awaitLine("READY", Duration.ofSeconds(60));
                for (int r = 0; r < rounds; r++)
                {
                    shm.transact(tx -> tx.putLong(box, 0, tx.getLong(box, 0) + 1)); // ping: odd
                    final long answered = shm.readOnly(tx ->
                    {
                        final long v = tx.getLong(box, 0);
                        if ((v & 1) != 0)
                        {
                            tx.retry(); // until the child's pong
                        }
                        return v;
                    });
                    assertEquals(2L * (r + 1), answered);
                }
                assertTrue(pong.awaitLine("DONE", Duration.ofSeconds(60)).startsWith("DONE"));
                assertEquals(0, pong.waitForExit(Duration.ofSeconds(60)));
            }
            assertTrue(shm.stats().retryWaits() > 0, shm.stats().toString());
            assertEquals(model, shm.stats().model());
        }
    }

    @Test
    void aRetryTimesOutWithNothingVisibleAndIsRefusedWhereItCannotWait()
    {
        try (SharedMemory shm = SharedMemory.open(temp.newPath("retry-timeout"), config(ConsistencyModel.RELEASE)))
        {
            final long box = shm.allocate(16);
            final RetryTimeoutException ex = assertThrows(RetryTimeoutException.class, () -> shm.transact(tx ->
            {
                tx.putLong(box, 8, 99);
                if (tx.getLong(box, 0) == 0)
                {
                    tx.retry(Duration.ofMillis(50));
                }
            }));
            assertTrue(ex.getMessage().contains("none of the 1 objects read"), ex.getMessage());
            assertEquals(0L, (long)shm.readOnly(tx -> tx.getLong(box, 8)), "the attempt's write is not visible");
            assertThrows(IllegalStateException.class, () -> shm.transact(Tx::retry), "nothing read: would wait for ever");
            try (Tx tx = shm.begin())
            {
                tx.getLong(box, 0);
                assertThrows(IllegalStateException.class, tx::retry, "a manual transaction cannot be run again");
            }
            shm.transact(tx -> tx.putLong(box, 0, 1)); // the thread's Tx is usable again
        }
    }

    @ParameterizedTest
    @MethodSource("io.shmtx.consistency.Models#implemented")
    void getForUpdatePutsTheObjectInTheWriteSet(final ConsistencyModel model) throws Exception
    {
        final Path file = temp.newPath("for-update");
        try (SharedMemory a = SharedMemory.open(file, config(model)); SharedMemory b = SharedMemory.open(file, config(model)))
        {
            final long x = a.allocate(8);
            final CountDownLatch read = new CountDownLatch(1);
            final AtomicReference<String> other = new AtomicReference<>();
            final Thread writer;
            try (Tx tx = a.begin())
            {
                assertEquals(0, tx.getForUpdate(x, 0));
                writer = new Thread(() ->
                {
                    read.countDown();
                    b.transact(t -> t.putLong(x, 0, t.getLong(x, 0) + 5));
                    other.set("committed");
                }, "other writer");
                writer.start();
                assertTrue(read.await(10, TimeUnit.SECONDS));
                Thread.sleep(50);
                if (model == ConsistencyModel.SEQUENTIAL)
                {
                    assertNull(other.get(), "the exclusive lock makes the other writer wait (it dies and retries: it is younger)");
                    tx.putLong(x, 0, 1);
                    tx.commit();
                }
                else
                {
                    writer.join(); // not blocked: it commits first
                    final TransactionAbortedException ex = assertThrows(TransactionAbortedException.class, tx::commit,
                        "read for update: a commit in between conflicts, as with a write");
                    assertEquals(AbortReason.CONFLICT, ex.reason());
                }
            }
            writer.join();
            assertEquals(model == ConsistencyModel.SEQUENTIAL ? 6L : 5L, (long)a.readOnly(t -> t.getLong(x, 0)));
        }
    }

    @ParameterizedTest
    @MethodSource("io.shmtx.consistency.Models#implemented")
    void singleWordsOutsideTransactions(final ConsistencyModel model)
    {
        try (SharedMemory shm = SharedMemory.open(temp.newPath("words"), config(model)))
        {
            final long h = shm.allocate(16);
            shm.putLong(h, 8, 40);
            assertEquals(40, shm.getAndAdd(h, 8, 2));
            assertTrue(shm.compareAndSet(h, 8, 42, 7));
            assertFalse(shm.compareAndSet(h, 8, 42, 8));
            assertEquals(7, shm.getLong(h, 8));
            assertEquals(7L, (long)shm.readOnly(tx -> tx.getLong(h, 8)), "transactions read it");
            assertThrows(IndexOutOfBoundsException.class, () -> shm.getLong(h, 16), "past the object");
            assertThrows(IndexOutOfBoundsException.class, () -> shm.putLong(h, 4, 1), "not aligned");
            assertThrows(IndexOutOfBoundsException.class, () -> shm.getAndAdd(h, -8, 1));
            shm.release(h);
            assertThrows(io.shmtx.pool.StaleHandleException.class, () -> shm.getLong(h, 0), "a freed handle");
        }
    }

    @Test
    void statisticsCountCommitsAbortsByReasonAndSwitches() throws Exception
    {
        final Path file = temp.newPath("stats");
        try (SharedMemory a = SharedMemory.open(file, config(ConsistencyModel.RELEASE));
            SharedMemory b = SharedMemory.open(file, config(ConsistencyModel.RELEASE)))
        {
            final long x = a.allocate(8);
            for (int k = 0; k < 5; k++)
            {
                a.transact(tx -> tx.putLong(x, 0, tx.getLong(x, 0) + 1));
            }
            try (Tx tx = a.begin())
            {
                tx.putLong(x, 0, tx.getLong(x, 0) + 1);
                final Thread other = new Thread(() -> b.transact(t -> t.putLong(x, 0, 100)));
                other.start();
                other.join();
                assertThrows(TransactionAbortedException.class, tx::commit);
            }
            a.switchModel(ConsistencyModel.CAUSAL);
            final TxStats stats = b.stats();
            assertEquals(6, stats.commits(), stats.toString());
            assertEquals(1, stats.aborts().get(AbortReason.CONFLICT));
            assertEquals(1, stats.totalAborts());
            assertEquals(ConsistencyModel.CAUSAL, stats.model());
            assertEquals(2, stats.epoch());
            assertEquals(1, stats.switches());
            assertEquals(0, stats.versionsAlive());
            assertTrue(stats.toString().contains("commits 6, aborts 1 (CONFLICT 1)"), stats.toString());
        }
    }
}
