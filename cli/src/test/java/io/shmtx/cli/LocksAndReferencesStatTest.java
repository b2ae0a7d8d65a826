package io.shmtx.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.deadlock.AbortReason;
import io.shmtx.deadlock.Decision;
import io.shmtx.deadlock.LockManager;
import io.shmtx.deadlock.LockMode;
import io.shmtx.deadlock.LockPolicy;
import io.shmtx.deadlock.LockStats;
import io.shmtx.deadlock.TxAbortedException;
import io.shmtx.deadlock.Txn;
import io.shmtx.pool.PoolConfig;
import io.shmtx.region.Region;
import io.shmtx.region.Section;
import io.shmtx.region.SectionSpec;
import io.shmtx.testkit.TempRegions;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code shmtx create --refcounts --locks} and the "locks" and "references" parts of
 * {@code shmtx stat}, on regions the real deadlock and refcount modules use in this JVM.
 */
class LocksAndReferencesStatTest
{
    private static final String SLOTS = "4";

    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws IOException
    {
        temp.close();
    }

    private static Set<Integer> sectionIds(final Region region)
    {
        return region.sections().stream().map(Section::id).collect(Collectors.toSet());
    }

    private static String hex(final long handle)
    {
        return String.format(Locale.ROOT, "0x%016x", handle);
    }

    private static void assertFinds(final String regex, final String out)
    {
        assertTrue(Pattern.compile(regex, Pattern.MULTILINE).matcher(out).find(),
            () -> "no /" + regex + "/ in:\n" + out);
    }

    @Test
    void createWithPoolRefcountsAndLocksThenStatShowsThePoolLocksAndReferencesParts()
    {
        final Path file = temp.newPath("three-parts");

        final Cli.Result created = Cli.run("create", file.toString(), "--pool", "--refcounts", "--locks",
            "--process-slots", SLOTS);

        assertEquals(0, created.exitCode(), created::toString);
        assertEquals("", created.err(), created::toString);
        assertFinds("^  refcount +6 +\\d+ +\\d+ +needs a step$", created.out());
        assertFinds("^  lock-table +4 +\\d+ +\\d+ +needs a step$", created.out());
        assertFinds("^reference counts \\(ledgers of 1024 handles per process", created.out());
        assertFinds("^lock table \\(4096 locks, 16 open transactions per process, policy WAIT_DIE,", created.out());
        try (Region region = Region.open(file, Duration.ZERO); LockManager locks = LockManager.open(region))
        {
            assertEquals(Set.of(SectionSpec.PROCESS_TABLE, SectionSpec.ROOTS, SectionSpec.POOL, SectionSpec.REFCOUNT,
                SectionSpec.LOCK_TABLE), sectionIds(region));
            assertEquals(LockPolicy.WAIT_DIE, locks.policy(), "--locks makes the default lock table");
        }

        final Cli.Result stat = Cli.run("stat", file.toString(), "--once");

        assertEquals(0, stat.exitCode(), stat::toString);
        assertEquals("", stat.err(), stat::toString);
        final String out = stat.out();
        final int pool = out.indexOf("\npool tiers (" + PoolConfig.defaults().tiers().size() + ")\n");
        final int locks = out.indexOf("\nlocks: policy WAIT_DIE\n");
        final int references = out.indexOf("\nreferences\n");
        assertTrue(pool > 0 && locks > pool && references > locks, "pool, locks and references in order:\n" + out);
        assertFalse(out.contains("no pool section"), out);
        assertTrue(out.contains("\n  counters: grants 0, waits 0, wounds 0\n"), out);
        assertTrue(out.contains("\n  aborts by reason (0): DIED 0, WOUNDED 0, NO_WAIT 0, TIMEOUT 0, DEADLOCK 0\n"),
            out);
        assertTrue(out.contains("\n  locks held: none\n  wait-for graph\n    no waits\n"), out);
        assertTrue(out.contains("\nreferences\n  (no process attached, no references held)\n  orphans: 0 ("), out);
        assertFalse(out.contains("references held for"), "a reference leak report without --leaks-older-than-ms: "
            + out);
        assertFalse(out.contains("transactions"), "a transactions part without a consistency section: " + out);
        try (Region region = Region.open(file, Duration.ZERO))
        {
            assertTrue(region.processes().isEmpty(), "stat must not attach");
        }
    }

    @Test
    void aLockPolicyImpliesLocksAndStatShowsLocksWithoutAPool()
    {
        final Path file = temp.newPath("policy");

        final Cli.Result created = Cli.run("create", file.toString(), "--lock-policy", "WOUND_WAIT",
            "--process-slots", SLOTS);

        assertEquals(0, created.exitCode(), created::toString);
        assertTrue(created.out().contains("policy WOUND_WAIT"), created::toString);
        try (Region region = Region.open(file, Duration.ZERO); LockManager locks = LockManager.open(region))
        {
            assertEquals(Set.of(SectionSpec.PROCESS_TABLE, SectionSpec.ROOTS, SectionSpec.LOCK_TABLE),
                sectionIds(region));
            assertEquals(LockPolicy.WOUND_WAIT, locks.policy());
        }
        final Cli.Result stat = Cli.run("stat", file.toString(), "--once");
        assertEquals(0, stat.exitCode(), stat::toString);
        assertTrue(stat.out().contains("\nno pool section (shmtx create --pool makes a region with one)\n"
            + "locks: policy WOUND_WAIT\n"), stat::toString);
        assertFalse(stat.out().contains("\nreferences\n"), stat::toString);
    }

    /** Keys whose locks hash to distinct entries of the table, so that each is one lock held. */
    static long[] distinctKeys(final LockManager locks, final int n)
    {
        final long[] keys = new long[n];
        final Set<Integer> indexes = new HashSet<>();
        int found = 0;
        for (long key = 1; found < n; key++)
        {
            if (indexes.add(locks.lockIndex(key)))
            {
                keys[found++] = key;
            }
        }
        return keys;
    }

    @Test
    void statShowsTheLocksAndReferencesTwoProcessesHoldOneOfThemDead()
    {
        final Path file = temp.newPath("held");
        final Cli.Result created = Cli.run("create", file.toString(), "--pool-tiers", "64:256,256:64", "--refcounts",
            "--locks", "--process-slots", SLOTS, "--heartbeat-ms", "50");
        assertEquals(0, created.exitCode(), created::toString);
        final long pid = ProcessHandle.current().pid();

        try (SharedFixture a = new SharedFixture(file))
        {
            final long[] k = distinctKeys(a.locks, 5);
            // a: two handles, four references
            final long shared = a.refs.allocate(40);
            a.refs.retain(shared);
            a.refs.retain(shared);
            final long big = a.refs.allocate(200);
            // a: four locks; the older transaction waits for the younger (WAIT_DIE lets the older wait)
            final Txn older = a.locks.begin();
            final Txn younger = a.locks.begin();
            younger.lockExclusive(k[0]);
            younger.lockExclusive(k[1]);
            younger.lockShared(k[2]);
            older.lockShared(k[3]);
            assertEquals(Decision.WAIT, older.tryLock(k[0], LockMode.EXCLUSIVE));
            // the youngest meets an older holder and dies
            try (Txn youngest = a.locks.begin())
            {
                assertThrows(TxAbortedException.class, () -> youngest.lock(k[3], LockMode.EXCLUSIVE));
            }

            // b: one lock, two handles (one shared with a, one only its own), two references; then it dies
            final int deadSlot;
            final long orphan;
            final SharedFixture b = new SharedFixture(file);
            try
            {
                deadSlot = b.slot;
                b.refs.retain(shared);
                orphan = b.refs.allocate(48);
                final Txn held = b.locks.begin();
                held.lockExclusive(k[4]);
            }
            finally
            {
                b.crash(); // nothing recovers it: its references and its lock stay, its block is an orphan
            }
            assertEquals(List.of(orphan), a.refs.orphanReport(), "the setup did not make exactly one orphan");
            // grants are counted when a transaction commits or aborts: all five are open
            final LockStats expected = new LockStats(0, 1, 0, Map.of(AbortReason.DIED, 1L));
            assertEquals(expected, a.locks.stats(), "the setup did not count what the test expects");
            assertEquals(Map.of(a.slot, 4, deadSlot, 1), a.locks.locksHeldPerSlot());

            final Cli.Result stat = Cli.run("stat", file.toString(), "--once");

            assertEquals(0, stat.exitCode(), stat::toString);
            assertEquals("", stat.err(), stat::toString);
            final String out = stat.out();
            assertTrue(out.contains(": attached processes: 1 of " + SLOTS + " slots, 1 dead (not recovered yet)\n"),
                out);
            // locks
            assertTrue(out.contains("\nlocks: policy WAIT_DIE\n  counters: grants 0, waits 1, wounds 0\n"
                + "  aborts by reason (1): DIED 1, WOUNDED 0, NO_WAIT 0, TIMEOUT 0, DEADLOCK 0\n"
                + "  locks held: 5 by 2 slots\n"), out);
            assertFinds("^    SLOT +PID +STATE +LOCKS$", out);
            assertFinds("^ +" + a.slot + " +" + pid + " +attached +4$", out);
            assertFinds("^ +" + deadSlot + " +" + pid + " +dead +1$", out);
            final String edge = "txn(slot " + a.slot + ", cell 0, ts " + older.timestamp() + ") waits for txn(slot "
                + a.slot + ", cell 1, ts " + younger.timestamp() + ")";
            assertEquals(edge + "\n", a.locks.waitForGraphText(), "the setup made another wait-for graph");
            assertTrue(out.contains("\n  wait-for graph\n    " + edge + "\n"), out);
            // references
            assertTrue(out.contains("\nreferences\n"), out);
            assertFinds("^  SLOT +PID +STATE +HANDLES +REFERENCES$", out);
            assertFinds("^ +" + a.slot + " +" + pid + " +attached +2 +4$", out);
            assertFinds("^ +" + deadSlot + " +" + pid + " +dead +2 +2$", out);
            assertTrue(out.contains("\n  orphans: 1 (shared blocks no live process holds a reference to;"
                + " --orphans lists them)\n"), out);
            assertFalse(out.contains(hex(orphan)), "orphan handles without --orphans: " + out);
            assertFalse(out.contains("references held for"), out);

            final Cli.Result detailed =
                Cli.run("stat", file.toString(), "--once", "--orphans", "--leaks-older-than-ms", "0");

            assertEquals(0, detailed.exitCode(), detailed::toString);
            final String more = detailed.out();
            assertTrue(more.contains("\n  orphans: 1 (shared blocks no live process holds a reference to)\n    "
                + hex(orphan) + "\n"), more);
            assertTrue(more.contains("\n  references held for 0 ms or longer (4), oldest first\n"), more);
            assertFinds("^    SLOT +HANDLE +HELD +AGE$", more);
            final List<String> rows = new ArrayList<>();
            rows.add(a.slot + " " + hex(shared) + " 3");
            rows.add(a.slot + " " + hex(big) + " 1");
            rows.add(deadSlot + " " + hex(shared) + " 1");
            rows.add(deadSlot + " " + hex(orphan) + " 1");
            for (final String row : rows)
            {
                assertFinds("^    +" + row.replace(" ", " +") + " +[0-9.]+ s$", more);
            }
            assertTrue(more.contains("\nblocks held for 0 ms or longer ("), "the pool's leak report is still there: "
                + more);

            final Cli.Result none = Cli.run("stat", file.toString(), "--once", "--leaks-older-than-ms", "3600000");
            assertTrue(none.out().contains("\n  references held for 3600000 ms or longer (0), oldest first\n"
                + "    (none)\n"), none::toString);

            older.close();
            younger.close();
            final Cli.Result released = Cli.run("stat", file.toString(), "--once");
            assertTrue(released.out().contains("  locks held: 1 by 1 slot\n"), released::toString);
            assertTrue(released.out().contains("\n    no waits\n"), released::toString);
        }
    }
}
