package io.shmtx.deadlock;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import org.agrona.concurrent.AtomicBuffer;

/**
 * A worker's loop for the concurrency tests: transactions over random key sets in random order,
 * checked by a witness word per key in shared memory (readers count up, a writer sets -1): a
 * writer beside anyone else, or a reader beside a writer, is a mutual-exclusion violation.
 */
final class LockWorkload
{
    static final int KEYS = 16;

    long committed;
    long aborts;
    long violations;

    void run(final LockFixture f, final long seed, final int transactions)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final AtomicBuffer buffer = f.region.buffer();
        try (Txn tx = f.locks.begin())
        {
            while (committed < transactions)
            {
                final Map<Integer, LockMode> plan = new LinkedHashMap<>();
                final int size = 1 + random.nextInt(4);
                while (plan.size() < size)
                {
                    plan.putIfAbsent(random.nextInt(KEYS), random.nextInt(3) == 0 ? LockMode.SHARED : LockMode.EXCLUSIVE);
                }
                while (true)
                {
                    try
                    {
                        for (final Map.Entry<Integer, LockMode> e : plan.entrySet())
                        {
                            tx.lock(e.getKey(), e.getValue());
                        }
                        for (final Map.Entry<Integer, LockMode> e : plan.entrySet())
                        {
                            enter(buffer, f.witness(e.getKey()), e.getValue());
                        }
                        for (int spin = 0; spin < 50; spin++)
                        {
                            Thread.onSpinWait();
                        }
                        for (final Map.Entry<Integer, LockMode> e : plan.entrySet())
                        {
                            leave(buffer, f.witness(e.getKey()), e.getValue());
                        }
                        tx.commit();
                        committed++;
                        tx.restart();
                        break;
                    }
                    catch (final TxAbortedException ex)
                    {
                        aborts++;
                        tx.restart(); // keeps its timestamp: it ages, so it cannot starve
                        Thread.yield();
                    }
                }
            }
        }
    }

    private void enter(final AtomicBuffer buffer, final int witness, final LockMode mode)
    {
        if (mode == LockMode.EXCLUSIVE)
        {
            if (!buffer.compareAndSetLong(witness, 0, -1))
            {
                violations++;
            }
            return;
        }
        while (true)
        {
            final long v = buffer.getLongVolatile(witness);
            if (v < 0)
            {
                violations++;
                return;
            }
            if (buffer.compareAndSetLong(witness, v, v + 1))
            {
                return;
            }
        }
    }

    private void leave(final AtomicBuffer buffer, final int witness, final LockMode mode)
    {
        if (mode == LockMode.EXCLUSIVE)
        {
            buffer.compareAndSetLong(witness, -1, 0);
        }
        else
        {
            buffer.getAndAddLong(witness, -1);
        }
    }
}
