package io.shmtx.consistency;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.testkit.TempRegions;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import io.shmtx.deadlock.LockPolicy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Threads of one process racing transfers between a few accounts while another thread audits:
 * the same-process races of the protocol (read validation, lock CAS, snapshot extension).
 */
class ThreadsTest
{
    private static final int ACCOUNTS = 6;
    private static final long START = 1_000;

    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws Exception
    {
        temp.close();
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"CAUSAL, WAIT_DIE", "RELEASE, WAIT_DIE", "SEQUENTIAL, WAIT_DIE", "SEQUENTIAL, WOUND_WAIT", "SEQUENTIAL, NO_WAIT", "SEQUENTIAL, TIMEOUT"})
    void racingTransfersKeepTheTotalAndAuditsSeeIt(final ConsistencyModel model, final LockPolicy policy) throws Exception
    {
        try (SharedMemory shm = SharedMemory.open(temp.newPath("threads"), SharedMemoryTest.config().model(model).lockPolicy(policy).build()))
        {
            final long[] accounts = new long[ACCOUNTS];
            for (int a = 0; a < ACCOUNTS; a++)
            {
                accounts[a] = shm.allocate(8);
            }
            shm.transact(tx ->
            {
                for (final long h : accounts)
                {
                    tx.putLong(h, 0, START);
                }
            });
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final AtomicLong audits = new AtomicLong();
            final long deadline = System.nanoTime() + 3_000_000_000L;
            final Thread[] threads = new Thread[3];
            for (int t = 0; t < threads.length; t++)
            {
                final int seed = t;
                threads[t] = new Thread(() ->
                {
                    final SplittableRandom random = new SplittableRandom(seed);
                    try
                    {
                        for (int i = 0; i < 200_000 && System.nanoTime() < deadline; i++)
                        {
                            final long from = accounts[random.nextInt(ACCOUNTS)];
                            final long to = accounts[random.nextInt(ACCOUNTS)];
                            final long amount = 1 + random.nextInt(20);
                            shm.transact(tx ->
                            {
                                final long balance = tx.getLong(from, 0);
                                if (from != to && balance >= amount)
                                {
                                    tx.putLong(from, 0, balance - amount);
                                    tx.putLong(to, 0, tx.getLong(to, 0) + amount);
                                }
                            });
                        }
                    }
                    catch (final Throwable ex)
                    {
                        failure.compareAndSet(null, ex);
                    }
                });
                threads[t].start();
            }
            while (System.nanoTime() < deadline && threads[0].isAlive())
            {
                final long total = shm.readOnly(tx ->
                {
                    long sum = 0;
                    for (final long h : accounts)
                    {
                        sum += tx.getLong(h, 0);
                    }
                    return sum;
                });
                assertEquals(ACCOUNTS * START, total, "an audit saw a partial transfer");
                audits.incrementAndGet();
            }
            for (final Thread thread : threads)
            {
                thread.join();
            }
            assertNull(failure.get());
            assertTrue(audits.get() > 0);
            final long total = shm.readOnly(tx ->
            {
                long sum = 0;
                for (final long h : accounts)
                {
                    sum += tx.getLong(h, 0);
                }
                return sum;
            });
            assertEquals(ACCOUNTS * START, total);
        }
    }
}
