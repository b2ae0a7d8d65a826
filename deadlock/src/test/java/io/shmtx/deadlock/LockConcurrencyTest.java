package io.shmtx.deadlock;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.testkit.ChildJvm;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * Four workers (threads, then processes) taking random lock sets in random order under each
 * policy: no deadlock (every worker finishes), no mutual-exclusion violation.
 */
class LockConcurrencyTest
{
    private static final Duration WAIT = Duration.ofSeconds(120);

    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws Exception
    {
        temp.close();
    }

    private Path region(final LockPolicy policy)
    {
        final Path file = temp.newPath("conc");
        LockFixture.create(file, LockManagerConfig.builder().locks(1024).policy(policy).maxWait(Duration.ofMillis(200)).build());
        return file;
    }

    @ParameterizedTest
    @EnumSource(LockPolicy.class)
    void fourThreadsUnderEachPolicy(final LockPolicy policy) throws Exception
    {
        final Path file = region(policy);
        try (LockFixture f = new LockFixture(file))
        {
            final ExecutorService threads = Executors.newFixedThreadPool(4);
            try
            {
                final List<Future<LockWorkload>> results = new ArrayList<>();
                for (int t = 0; t < 4; t++)
                {
                    final int seed = t;
                    results.add(threads.submit(() ->
                    {
                        final LockWorkload w = new LockWorkload();
                        w.run(f, seed, 1500);
                        return w;
                    }));
                }
                long aborts = 0;
                for (final Future<LockWorkload> r : results)
                {
                    final LockWorkload w = r.get(120, java.util.concurrent.TimeUnit.SECONDS); // a liveness bug fails, not hangs
                    assertEquals(0, w.violations, policy + ": mutual exclusion violated");
                    aborts += w.aborts;
                }
                final long counted = f.locks.aborts().values().stream().mapToLong(Long::longValue).sum();
                assertEquals(aborts, counted, policy + ": every abort counted by reason " + f.locks.aborts());
                assertTrue(f.locks.locksHeldPerSlot().isEmpty());
                assertEquals(0, f.totalWaiterCount(), policy + ": every wait withdrawn from the waiter counts");
            }
            finally
            {
                threads.shutdownNow();
            }
        }
    }

    @Test
    void fourProcessesUnderWoundWait() throws Exception
    {
        final Path file = region(LockPolicy.WOUND_WAIT);
        final List<ChildJvm> children = new ArrayList<>();
        try (LockFixture f = new LockFixture(file))
        {
            for (int i = 0; i < 4; i++)
            {
                children.add(ChildJvm.start(LockChild.class, "work", file.toString(), Integer.toString(i), "1000"));
            }
            for (final ChildJvm child : children)
            {
                final String done = child.awaitLine("DONE", WAIT);
                assertTrue(done.endsWith("violations=0"), done);
                assertTrue(done.contains("committed=1000"), done);
                assertEquals(0, child.waitForExit(WAIT));
            }
            assertTrue(f.locks.locksHeldPerSlot().isEmpty());
            assertEquals(0, f.totalWaiterCount(), "every wait withdrawn from the waiter counts");
            assertTrue(f.locks.stats().grants() > 0);
        }
        finally
        {
            children.forEach(ChildJvm::close);
        }
    }

    @Test
    void aWaiterInAnotherProcessProceedsWhenTheHolderIsKilled() throws Exception
    {
        final Path file = temp.newPath("crash");
        LockFixture.create(file, LockManagerConfig.builder().policy(LockPolicy.TIMEOUT).maxWait(Duration.ofSeconds(20)).build());
        try (LockFixture f = new LockFixture(file); ChildJvm holder = ChildJvm.start(LockChild.class, "hold", file.toString(), "0", "0"))
        {
            final int slot = Integer.parseInt(holder.awaitLine("LOCKED", WAIT).replaceAll("\\D+", ""));
            assertEquals(2, f.locks.locksHeldPerSlot().get(slot));
            try (Txn tx = f.locks.begin())
            {
                assertEquals(Decision.WAIT, tx.tryLock(1, LockMode.EXCLUSIVE));
                holder.kill();
                tx.lock(1, LockMode.EXCLUSIVE); // notices the dead holder and recovers instead of timing out
                tx.lock(2, LockMode.EXCLUSIVE);
                tx.commit();
            }
            assertEquals(0, f.locks.aborts().get(AbortReason.TIMEOUT));
            assertNull(f.locks.locksHeldPerSlot().get(slot), "no lock stays held by the dead process");
        }
    }
}
