package io.shmtx.pool;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.region.OwnerDeathReport;
import io.shmtx.region.ProcessSlotInfo;
import io.shmtx.region.Region;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * Several recoverers of one process at once: threads of one attachment, and a second Region
 * object on the same file in the same JVM, all calling {@link Region#recoverDeadSlots()} while two
 * slots are dead holding blocks. Each dead slot must be recovered once, and the free lists must
 * come out whole: every block listed once, or held by a live owner.
 */
class ConcurrentRecoveryTest
{
    private static final PoolConfig CONFIG = PoolConfig.builder()
        .tier(32, 65536).tier(64, 16384).tier(256, 4096).cacheSize(64).build();
    private static final int ROUNDS = 12;
    private static final int THREADS = 3;

    /**
     * Issue 9, point 1: with two dead slots, three threads of one attachment and a second Region
     * object on the same file recover at once, round after round. On the old code (the tier lock
     * re-entrant per attachment) two threads of one process walked and pushed a tier together:
     * blocks were listed twice, lost, or linked into a cycle (fails in the first round).
     */
    @Test
    void threadsOfOneProcessAndASecondRegionObjectRecoveringAtOnceKeepTheFreeListsWhole() throws Exception
    {
        recoverAtOnce(ROUNDS, Duration.ZERO, false);
    }

    /** The same, with the second Region object's watchdog running and a newcomer attaching as well. */
    @Test
    void aWatchdogAndAnAttachRecoveringWithThemKeepTheFreeListsWhole() throws Exception
    {
        recoverAtOnce(ROUNDS / 2, Duration.ofMillis(5), true);
    }

    private static void recoverAtOnce(final int rounds, final Duration watchdog, final boolean newcomer) throws Exception
    {
        try (TempRegions temp = new TempRegions())
        {
            final Path file = temp.newPath("concurrent-recovery");
            Region.create(file, PoolFixture.regionConfig(CONFIG)).close();
            final int paths = THREADS + (newcomer ? 2 : 1);
            final ExecutorService threads = Executors.newFixedThreadPool(paths);
            final List<OwnerDeathReport> reports = new CopyOnWriteArrayList<>();
            try (Region survivor = Region.open(file, Duration.ZERO); TieredPool pool = TieredPool.open(survivor);
                Region second = Region.open(file, watchdog); TieredPool secondPool = TieredPool.open(second))
            {
                survivor.addOwnerDeathListener(reports::add);
                second.addOwnerDeathListener(reports::add);
                survivor.attach();
                second.attach();
                final long kept = pool.allocate(40); // a live owner's block must survive every recovery
                pool.putLong(kept, 0, 0x5EED);
                for (int round = 0; round < rounds; round++)
                {
                    reports.clear();
                    final Region first = attachHolding(file, 1500);
                    final Region other = attachHolding(file, 1500);
                    final List<Integer> dead = List.of(first.slot(), other.slot());
                    first.abandon(); // both die only now: attaching recovers the dead slots it finds
                    other.abandon();
                    final CyclicBarrier start = new CyclicBarrier(paths);
                    final List<Future<?>> results = new ArrayList<>();
                    for (int t = 0; t < paths; t++)
                    {
                        final int path = t;
                        results.add(threads.submit(() ->
                        {
                            start.await(30, TimeUnit.SECONDS);
                            if (path == THREADS + 1)
                            {
                                try (Region late = Region.open(file, Duration.ZERO); TieredPool latePool = TieredPool.open(late))
                                {
                                    late.addOwnerDeathListener(reports::add);
                                    late.attach();
                                }
                                return null;
                            }
                            return (path == THREADS ? second : survivor).recoverDeadSlots();
                        }));
                    }
                    for (final Future<?> result : results)
                    {
                        result.get(60, TimeUnit.SECONDS);
                    }
                    // a watchdog may still be at work, or about to tell its listeners (after it freed the slot)
                    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while ((survivor.processes().size() > 2 || reports.size() < dead.size()) && System.nanoTime() < deadline)
                    {
                        Thread.sleep(1);
                    }
                    assertWhole(round, dead, reports, survivor, pool, kept);
                }
                pool.free(kept);
            }
            finally
            {
                threads.shutdownNow();
            }
        }
    }

    private static void assertWhole(final int round, final List<Integer> dead, final List<OwnerDeathReport> reports,
        final Region survivor, final TieredPool pool, final long kept)
    {
        final List<Integer> recovered = new ArrayList<>();
        for (final OwnerDeathReport report : reports)
        {
            assertTrue(report.completed(), "round " + round + ": " + report);
            recovered.add(report.dead().slot());
        }
        assertEquals(dead.stream().sorted().toList(), recovered.stream().sorted().toList(),
            "round " + round + ": each dead slot recovered exactly once");
        final ValidationReport report = pool.validate();
        assertTrue(report.valid(), "round " + round + ": " + report.problems().size() + " problems, the first: "
            + report.problems().subList(0, Math.min(5, report.problems().size())));
        for (final ValidationReport.TierCounts tier : report.tiers())
        {
            assertEquals(tier.capacity(), tier.listed() + tier.cached() + tier.allocated(),
                "round " + round + ": every block listed or held by a live owner: " + tier);
            assertEquals(0, tier.inFlight(), "round " + round + ": " + tier);
        }
        for (final LeakEntry leak : pool.leakReport(0))
        {
            assertTrue(leak.ownerSlot() == survivor.slot(), "round " + round + ": a dead slot's block was left: " + leak);
        }
        assertEquals(0x5EED, pool.getLong(kept, 0));
        for (final ProcessSlotInfo info : survivor.processes())
        {
            assertEquals("ATTACHED", info.state(), "round " + round + ": " + info);
        }
    }

    /**
     * A process that is not attached validates too (issue 9, point 2): it takes no lock, and keeps
     * only readings during which the lists did not change, so a pool another thread keeps busy
     * never shows a false problem, and damage is still named.
     */
    @Test
    void aProcessThatIsNotAttachedValidatesWithoutLockingAndWithoutFalseProblems() throws Exception
    {
        try (PoolFixture f = new PoolFixture(PoolConfig.builder().tier(32, 4096).tier(256, 512).cacheSize(16).build());
            Region viewerRegion = Region.open(f.file, Duration.ZERO); TieredPool viewer = TieredPool.open(viewerRegion))
        {
            final List<Long> held = new ArrayList<>();
            for (int i = 0; i < 300; i++)
            {
                held.add(f.pool.allocate(i % 2 == 0 ? 20 : 200));
            }
            final ValidationReport quiet = viewer.validate();
            assertTrue(quiet.valid(), quiet.problems().toString());
            assertEquals(f.pool.validate().tiers(), quiet.tiers(), "the same counts as a locked reading");

            final Thread churn = new Thread(() ->
            {
                for (int i = 0; i < 200_000; i++)
                {
                    final int at = i % held.size();
                    f.pool.free(held.get(at));
                    held.set(at, f.pool.allocate(i % 3 == 0 ? 200 : 20));
                }
            });
            churn.start();
            while (churn.isAlive())
            {
                for (final String problem : viewer.validate().problems())
                {
                    assertTrue(problem.contains("changed during each of"), "a false problem under churn: " + problem);
                }
            }
            churn.join();
            held.forEach(f.pool::free);

            final int top = PoolDescriptor.headIndex(f.pool.buffer().getLongVolatile(f.pool.tierHeader(0) + PoolDescriptor.MAIN_HEAD_OFFSET));
            final int aux = f.pool.blockHeader(0, top) + PoolDescriptor.BLOCK_AUX_OFFSET;
            final long link = f.pool.buffer().getLong(aux);
            f.pool.buffer().putLong(aux, top + 1); // a cycle: the top block links to itself
            final ValidationReport broken = viewer.validate();
            assertTrue(broken.problems().toString().contains("block " + top + " is linked twice (a cycle)"), broken.problems().toString());
            f.pool.buffer().putLong(aux, link);
            assertTrue(viewer.validate().valid(), viewer.validate().problems().toString());
            assertEquals(-1, viewerRegion.slot(), "validation attached nothing");
        }
    }

    /**
     * An attachment that takes {@code blocks} blocks over every tier and frees a third of them into
     * its thread cache; {@link Region#abandon()} then leaves it as a killed process would.
     */
    private static Region attachHolding(final Path file, final int blocks) throws Exception
    {
        final Region victim = Region.open(file, Duration.ZERO);
        final TieredPool pool = TieredPool.open(victim);
        final int slot = victim.attach();
        final CountDownLatch done = new CountDownLatch(1);
        final Thread worker = new Thread(() ->
        {
            final List<Long> held = new ArrayList<>();
            for (int i = 0; i < blocks; i++)
            {
                held.add(pool.allocate(i % 3 == 0 ? 200 : i % 3 == 1 ? 60 : 20));
            }
            for (int i = 0; i < held.size(); i += 3)
            {
                pool.free(held.get(i));
            }
            done.countDown();
        });
        worker.start();
        assertTrue(done.await(30, TimeUnit.SECONDS));
        worker.join();
        assertEquals(slot, victim.slot());
        return victim;
    }
}
