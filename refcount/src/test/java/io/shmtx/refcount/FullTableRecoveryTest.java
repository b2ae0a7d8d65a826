package io.shmtx.refcount;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.deadlock.Decision;
import io.shmtx.deadlock.LockMode;
import io.shmtx.deadlock.Txn;
import io.shmtx.pool.ValidationReport;
import io.shmtx.region.OwnerDeathReport;
import io.shmtx.region.ProcessSlotInfo;
import io.shmtx.testkit.ChildJvm;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A process table full of dead slots, each holding blocks, references and locks: a newcomer must
 * recover them and attach, whatever else recovers at the same time; and every module can be
 * checked by a process that is not attached.
 */
class FullTableRecoveryTest
{
    private static final Duration WAIT = Duration.ofSeconds(60);

    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws Exception
    {
        temp.close();
    }

    private Path region(final int slots)
    {
        final Path file = temp.newPath("full-table");
        Stack.create(file, slots);
        return file;
    }

    /** Every slot attached, holding everything, then abandoned as killed processes leave them. */
    private static void fillWithDeadSlots(final Path file, final int slots)
    {
        final List<Stack> victims = new ArrayList<>();
        long common = 0;
        for (int i = 0; i < slots; i++)
        {
            final Stack victim = Stack.attached(file);
            if (common == 0)
            {
                common = victim.refs.allocate(64);
                victim.region.bindRoot(Stack.COMMON, common);
            }
            victim.holdEverything(common, 1 + victim.region.slot());
            victims.add(victim);
        }
        victims.forEach(victim -> victim.region.abandon()); // all die only now: an attach recovers what it finds dead
    }

    /** Point 2 of issue 9: attach() on a table of dead slots recovers one, takes it, and recovers the rest. */
    @Test
    void aNewcomerRecoversATableFullOfDeadSlotsAndTakesOne()
    {
        final Path file = region(2);
        fillWithDeadSlots(file, 2);
        try (Stack late = new Stack(file, Duration.ZERO))
        {
            final int slot = late.region.attach();
            assertRecoveredOnce(late.recoveries, List.of(0, 1), false);
            assertOnlyAttached(late, slot);
            assertEquals(List.of(), late.everythingWhole(slot));
            assertNothingHeld(late.pool.validate());
            assertEquals(0, late.refs.count(late.region.root(Stack.COMMON)), "every holder of the common block is gone: freed");
            try (Txn tx = late.locks.begin())
            {
                assertEquals(Decision.GRANTED, tx.tryLock(1, LockMode.EXCLUSIVE), "the dead holders' locks are released");
                assertEquals(Decision.GRANTED, tx.tryLock(Stack.COMMON_KEY, LockMode.EXCLUSIVE));
            }
        }
    }

    /** Point 2 of issue 9: validation needs no attachment, even when every slot is dead. */
    @Test
    void everyModuleIsValidatedByAProcessThatIsNotAttached()
    {
        final Path file = region(2);
        fillWithDeadSlots(file, 2);
        try (Stack inspector = new Stack(file, Duration.ZERO))
        {
            final ValidationReport pool = inspector.pool.validate();
            assertTrue(pool.valid(), pool.problems().toString());
            assertTrue(pool.tiers().stream().mapToInt(ValidationReport.TierCounts::allocated).sum() > 0,
                "the dead slots' blocks are still theirs: " + pool.tiers());
            assertEquals(List.of(), inspector.refs.validate(), "the dead slots' references are still counted");
            final List<String> locks = inspector.locks.validate();
            assertTrue(locks.stream().anyMatch(p -> p.contains("dead slot 0")) && locks.stream().anyMatch(p -> p.contains("dead slot 1")),
                "the dead slots' locks are named: " + locks);

            // a count that disagrees with the ledgers, and a word left locked by a dead slot, are named
            final long common = inspector.region.root(Stack.COMMON);
            final int word = inspector.refs.wordOffset(common);
            final long sound = inspector.region.buffer().getLongVolatile(word);
            final int count = RefCountDescriptor.count(sound);
            inspector.region.buffer().putLongVolatile(word, sound + 1);
            assertEquals(List.of("handle " + io.shmtx.pool.Handles.toString(common) + " has count " + (count + 1)
                + " but the ledgers hold " + count + " references"), inspector.refs.validate());
            inspector.region.buffer().putLongVolatile(word, RefCountDescriptor.locked(sound, 1));
            assertTrue(inspector.refs.validate().toString().contains("is locked by dead slot 1 (its recovery unlocks it)"),
                inspector.refs.validate().toString());
            inspector.region.buffer().putLongVolatile(word, sound);
            assertEquals(List.of(), inspector.refs.validate());
            assertEquals("ATTACHED", inspector.region.processes().get(0).state(), "validation recovers nothing");
        }
    }

    /**
     * Point 1 of issue 9: every recovery path at once, with three dead slots: explicit calls from
     * two threads, a lock-wait recovery in the reference counts and one in the lock table, a second
     * Region object with its watchdog, and a newcomer attaching. Each dead slot is recovered once,
     * and every module comes out whole.
     */
    @Test
    void everyRecoveryPathAtOnceRecoversEachSlotOnceAndLeavesEverythingWhole() throws Exception
    {
        final Path file = region(6);
        final ExecutorService threads = Executors.newFixedThreadPool(5);
        try (Stack survivor = Stack.attached(file); Stack second = new Stack(file, Duration.ofMillis(1)))
        {
            second.region.attach();
            final long common = survivor.refs.allocate(64);
            survivor.region.bindRoot(Stack.COMMON, common);
            final List<Stack> victims = new ArrayList<>();
            for (int i = 0; i < 3; i++)
            {
                final Stack victim = Stack.attached(file);
                victim.holdEverything(common, 1 + victim.region.slot());
                victims.add(victim);
            }
            final List<Integer> dead = victims.stream().map(v -> v.region.slot()).toList();
            // the count word of the common block left locked by the first victim, as a kill mid-update leaves it
            final int lockedBy = dead.get(0);
            final int word = survivor.refs.wordOffset(common);
            // locked while its holder still lives, then the holders die: written after the deaths, the store could
            // overwrite a count a watchdog's recovery had already lowered
            final long sound = survivor.region.buffer().getLongVolatile(word);
            assertTrue(survivor.region.buffer().compareAndSetLong(word, sound, RefCountDescriptor.locked(sound, lockedBy)),
                "the common block's count word changed while nobody was updating it");
            victims.forEach(victim -> victim.region.abandon());

            final CyclicBarrier start = new CyclicBarrier(5);
            final List<Callable<Object>> paths = List.of(
                () -> survivor.region.recoverDeadSlots().size(), // its reports reach the listeners too
                () -> second.region.recoverDeadSlots().size(),
                () ->
                {
                    survivor.refs.retain(common); // waits on the dead lock: recovers
                    return survivor.refs.release(common);
                },
                () ->
                {
                    try (Txn tx = second.locks.begin())
                    {
                        // held by a dead transaction: recovers it; while another path is recovering the holder's
                        // slot, WAIT_DIE may abort this younger requester instead (DIED): retry as a user would
                        for (int attempt = 0; ; attempt++)
                        {
                            try
                            {
                                tx.lock(1 + lockedBy, LockMode.EXCLUSIVE);
                                tx.commit();
                                return null;
                            }
                            catch (final io.shmtx.deadlock.TxAbortedException ex)
                            {
                                if (attempt >= 1_000)
                                {
                                    throw ex;
                                }
                                Thread.sleep(1);
                                tx.restart();
                            }
                        }
                    }
                },
                () ->
                {
                    try (Stack late = Stack.attached(file))
                    {
                        return late.recoveries;
                    }
                });
            final List<Future<Object>> results = new ArrayList<>();
            for (final Callable<Object> path : paths)
            {
                results.add(threads.submit(() ->
                {
                    start.await(30, TimeUnit.SECONDS);
                    return path.call();
                }));
            }
            final List<OwnerDeathReport> reports = new ArrayList<>();
            for (final Future<Object> result : results)
            {
                if (result.get(60, TimeUnit.SECONDS) instanceof List<?> late)
                {
                    late.forEach(report -> reports.add((OwnerDeathReport)report));
                }
            }
            // a slot whose recovery met a count word locked by another dead slot not recovered yet is
            // retried (by the watchdog, or here): wait for the table to hold the live ones only
            // (a watchdog tells its listeners after it has freed the slot: wait for its report too)
            final long deadline = System.nanoTime() + WAIT.toNanos();
            while ((survivor.region.processes().size() > 2 || completed(reports, survivor, second) < dead.size())
                && System.nanoTime() < deadline)
            {
                survivor.region.recoverDeadSlots();
                Thread.sleep(5);
            }
            reports.addAll(survivor.recoveries);
            reports.addAll(second.recoveries);
            assertRecoveredOnce(reports, dead, true);
            assertEquals(List.of(), survivor.everythingWhole(survivor.region.slot()));
            assertEquals(1, survivor.refs.count(common), "only the survivor's own reference is left");
        }
        finally
        {
            threads.shutdownNow();
        }
    }

    /**
     * The proof issue 9 asks for: real processes fill the table, each holding blocks, references and
     * locks, and are killed with SIGKILL; a new process attaches, recovering every one of them,
     * and then nothing is leaked or held.
     */
    @Test
    void aTableFullOfKilledProcessesIsRecoveredByTheNextOne() throws Exception
    {
        final int slots = 3;
        final Path file = region(slots);
        final List<ChildJvm> children = new ArrayList<>();
        try
        {
            for (int i = 0; i < slots; i++)
            {
                final ChildJvm child = ChildJvm.start(StackChild.class, file.toString());
                children.add(child);
                child.awaitLine("HOLDING", WAIT); // one at a time: the first binds the common block
            }
            for (final ChildJvm child : children)
            {
                child.kill();
            }
            try (Stack late = new Stack(file, Duration.ZERO))
            {
                assertEquals(slots, late.region.processes().size(), "a table full of dead slots");
                final int slot = late.region.attach();
                final List<Integer> all = new ArrayList<>();
                for (int i = 0; i < slots; i++)
                {
                    all.add(i);
                }
                assertRecoveredOnce(late.recoveries, all, false);
                assertOnlyAttached(late, slot);
                assertEquals(List.of(), late.everythingWhole(slot));
                assertNothingHeld(late.pool.validate());
                assertEquals(0, late.refs.count(late.region.root(Stack.COMMON)), "every holder of the common block was killed");
            }
        }
        finally
        {
            children.forEach(ChildJvm::close);
        }
    }

    /**
     * Each of {@code slots} recovered completely exactly once; with {@code retried}, attempts that
     * failed on a count word another dead slot held locked are allowed before it.
     */
    private static void assertRecoveredOnce(final List<OwnerDeathReport> reports, final List<Integer> slots, final boolean retried)
    {
        final Map<Integer, Integer> completed = new TreeMap<>();
        for (final OwnerDeathReport report : reports)
        {
            if (retried && !report.completed() && report.stepResults().toString().contains("also dead: recover it first"))
            {
                continue;
            }
            assertTrue(report.completed(), report.toString());
            completed.merge(report.dead().slot(), 1, Integer::sum);
        }
        final Map<Integer, Integer> expected = new TreeMap<>();
        slots.forEach(s -> expected.put(s, 1));
        assertEquals(expected, completed, "each dead slot recovered exactly once: " + reports);
    }

    private static long completed(final List<OwnerDeathReport> late, final Stack... stacks)
    {
        long completed = late.stream().filter(OwnerDeathReport::completed).count();
        for (final Stack stack : stacks)
        {
            completed += stack.recoveries.stream().filter(OwnerDeathReport::completed).count();
        }
        return completed;
    }

    private static void assertOnlyAttached(final Stack stack, final int slot)
    {
        final List<ProcessSlotInfo> processes = stack.region.processes();
        assertEquals(1, processes.size(), processes.toString());
        assertEquals(slot, processes.get(0).slot());
        assertEquals("ATTACHED", processes.get(0).state());
    }

    /** Every block listed or in the newcomer's cache: nobody holds one allocated, nothing in flight. */
    private static void assertNothingHeld(final ValidationReport report)
    {
        for (final ValidationReport.TierCounts tier : report.tiers())
        {
            assertEquals(0, tier.allocated() + tier.inFlight(), tier.toString());
            assertEquals(tier.capacity(), tier.listed() + tier.cached(), tier.toString());
        }
    }
}
