package io.shmtx.pool;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.region.OwnerDeathReport;
import io.shmtx.region.ProcessSlotInfo;
import io.shmtx.testkit.ChildJvm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

/**
 * Threads and real processes allocating and freeing on one pool, and processes killed at random
 * points: afterwards every block is accounted for exactly once.
 */
class PoolConcurrencyTest
{
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final PoolConfig CONFIG = PoolConfig.builder()
        .tier(32, 2048).tier(64, 2048).tier(256, 512).tier(1024, 64).cacheSize(16).build();

    @Test
    void fourThreadsNeverShareABlock() throws Exception
    {
        try (PoolFixture f = new PoolFixture(CONFIG))
        {
            final ExecutorService threads = Executors.newFixedThreadPool(4);
            long allocated = 0;
            try
            {
                final List<Future<String>> results = new ArrayList<>();
                for (int t = 0; t < 4; t++)
                {
                    final int seed = t;
                    results.add(threads.submit(() -> churn(f.pool, seed, 150_000)));
                }
                for (final Future<String> result : results)
                {
                    final String outcome = result.get();
                    assertTrue(outcome.startsWith("ok "), outcome);
                    allocated += Long.parseLong(outcome.substring(3));
                }
            }
            finally
            {
                threads.shutdownNow();
            }
            f.pool.close(); // drains the worker threads' caches
            try (TieredPool pool = TieredPool.open(f.region))
            {
                assertAllBlocksAccountedFor(pool, allocated);
            }
        }
    }

    private static String churn(final TieredPool pool, final long seed, final int operations)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final List<long[]> held = new ArrayList<>();
        long allocated = 0;
        for (int i = 0; i < operations; i++)
        {
            if (held.isEmpty() || (held.size() < 200 && random.nextBoolean()))
            {
                final long h = pool.tryAllocate(1 + random.nextInt(1024));
                if (h != 0)
                {
                    final long stamp = (seed << 40) | i;
                    pool.putLong(h, 0, stamp);
                    held.add(new long[] {h, stamp});
                    allocated++;
                }
            }
            else
            {
                final long[] e = held.remove(random.nextInt(held.size()));
                if (pool.getLong(e[0], 0) != e[1])
                {
                    return "block " + Handles.toString(e[0]) + " was handed to another owner";
                }
                pool.free(e[0]);
            }
        }
        for (final long[] e : held)
        {
            pool.free(e[0]);
        }
        return "ok " + allocated;
    }

    @Test
    void threeProcessesNeverShareABlock() throws Exception
    {
        try (PoolFixture f = new PoolFixture(CONFIG))
        {
            final List<ChildJvm> children = new ArrayList<>();
            try
            {
                for (int i = 0; i < 3; i++)
                {
                    children.add(ChildJvm.start(PoolChild.class, "churn", f.file.toString(), "3", Integer.toString(i)));
                }
                long total = 0;
                for (final ChildJvm child : children)
                {
                    final String done = child.awaitLine(l -> l.startsWith("DONE") || l.startsWith("CORRUPTION"), WAIT);
                    assertTrue(done.startsWith("DONE"), done);
                    assertEquals(0, child.waitForExit(WAIT), child.transcript().toString());
                    total += Long.parseLong(done.replaceAll(".*allocations=(\\d+).*", "$1"));
                }
                assertTrue(total > 0);
                assertAllBlocksAccountedFor(f.pool, total);
            }
            finally
            {
                children.forEach(ChildJvm::close);
            }
        }
    }

    @Test
    void processesKilledAtRandomPointsLoseNoBlock() throws Exception
    {
        final PoolConfig strict = PoolConfig.builder().tier(32, 1024).tier(64, 1024).tier(256, 256).tier(1024, 64)
            .cacheSize(16).strict(true).emergencyReserve(4).build();
        try (PoolFixture f = new PoolFixture(strict))
        {
            final SplittableRandom random = new SplittableRandom(42);
            final List<OwnerDeathReport> reports = new ArrayList<>();
            f.region.addOwnerDeathListener(reports::add);
            try (ChildJvm survivor = ChildJvm.start(PoolChild.class, "churn", f.file.toString(), "30", "99"))
            {
                survivor.awaitLine("RUNNING", WAIT);
                for (int round = 0; round < 10; round++)
                {
                    try (ChildJvm victim = ChildJvm.start(PoolChild.class, "crashy", f.file.toString(), "0",
                        Integer.toString(round)))
                    {
                        final int slot = Integer.parseInt(victim.awaitLine("ATTACHED", WAIT).replaceAll("\\D+", ""));
                        victim.awaitLine("RUNNING", WAIT);
                        Thread.sleep(random.nextInt(200));
                        victim.kill();
                        awaitSlotFree(f, slot);
                    }
                    final ValidationReport report = f.pool.validate();
                    assertTrue(report.valid(), "round " + round + ": " + report.problems());
                }
                survivor.send("stop"); // ignored; the survivor ends by its deadline or by close below
                survivor.kill();
            }
            awaitNoProcessBut(f);
            assertTrue(reports.stream().allMatch(OwnerDeathReport::completed), reports.toString());
            for (final TierStats tier : f.pool.stats().tiers())
            {
                // the dead processes' unpublished blocks were given back and counted as frees;
                // what stays in use is what they published (nobody frees those in this test)
                assertTrue(tier.inUse() <= tier.outstanding(), "tier " + tier.tier() + ": in use " + tier.inUse()
                    + " <= outstanding " + tier.outstanding());
                assertEquals(f.pool.validate().tiers().get(tier.tier()).allocated(), tier.inUse(),
                    "tier " + tier.tier() + ": in use equals the allocated blocks found by validate");
            }
            // every block of every tier can be handed out exactly once more: none lost, none twice
            for (int t = 0; t < strict.tiers().size(); t++)
            {
                final TierConfig tier = strict.tiers().get(t);
                final Set<Long> drained = new HashSet<>();
                long h;
                while ((h = f.pool.tryAllocate(tier.blockSize(), Priority.CRITICAL)) != 0)
                {
                    assertTrue(drained.add(h), "handed out twice: " + Handles.toString(h));
                }
                final long published = f.pool.validate().tiers().get(t).allocated() - drained.size();
                assertEquals(tier.blockCount(), drained.size() + published,
                    "tier " + t + ": drained " + drained.size() + " + published by the dead " + published);
            }
        }
    }

    private static void awaitSlotFree(final PoolFixture f, final int slot) throws InterruptedException
    {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        while (f.region.processes().stream().anyMatch(p -> p.slot() == slot))
        {
            f.region.recoverDeadSlots();
            assertTrue(System.nanoTime() < deadline, "slot " + slot + " was not recovered: " + f.region.processes());
            Thread.sleep(10);
        }
    }

    private static void awaitNoProcessBut(final PoolFixture f) throws InterruptedException
    {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        while (true)
        {
            f.region.recoverDeadSlots();
            final List<ProcessSlotInfo> others = new ArrayList<>(f.region.processes());
            others.removeIf(p -> p.slot() == f.region.slot());
            if (others.isEmpty())
            {
                return;
            }
            assertTrue(System.nanoTime() < deadline, "still attached: " + others);
            Thread.sleep(10);
        }
    }

    static void assertAllBlocksAccountedFor(final TieredPool pool, final long minimumAllocations)
    {
        final ValidationReport report = pool.validate();
        assertTrue(report.valid(), report.problems().toString());
        long allocations = 0;
        for (final TierStats tier : pool.stats().tiers())
        {
            assertEquals(0, tier.inUse(), "tier " + tier.tier() + " in use after everyone freed everything");
            allocations += tier.allocations();
        }
        assertEquals(minimumAllocations, allocations, "every allocation counted once");
        for (final ValidationReport.TierCounts counts : report.tiers())
        {
            assertEquals(counts.capacity(), counts.listed() + counts.cached(), "tier " + counts.tier() + " fully free: " + counts);
        }
    }
}
