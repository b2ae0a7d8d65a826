package io.shmtx.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.deadlock.LockManager;
import io.shmtx.deadlock.LockMode;
import io.shmtx.deadlock.LockPolicy;
import io.shmtx.deadlock.Txn;
import io.shmtx.pool.TieredPool;
import io.shmtx.refcount.RefCounts;
import io.shmtx.region.Region;
import io.shmtx.testkit.TempRegions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code shmtx soak} without the long run (that is {@link SoakTest}, under {@code -Pdeep}): usage
 * errors, a region that exists already, and the end check ({@code soak-check}) on soak regions
 * left by a process that died holding blocks, a reference and a lock (it must recover them and
 * pass) or that leaked a block (it must fail and say so).
 */
class SoakCommandTest
{
    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws IOException
    {
        temp.close();
    }

    private static void assertUsageError(final Cli.Result result, final String fragment)
    {
        assertEquals(Main.EXIT_USAGE, result.exitCode(), result::toString);
        assertEquals(1, result.err().lines().count(), result::toString);
        assertTrue(result.err().contains(fragment), result::toString);
    }

    @Test
    void outOfRangeSettingsAreUsageErrors()
    {
        assertUsageError(Cli.run("soak", "--workers=0"), "--workers=0 must be in 1..64");
        assertUsageError(Cli.run("soak", "--threads=33"), "--threads=33 must be in 1..32");
        assertUsageError(Cli.run("soak", "--kill-every=5ms"), "--kill-every=5ms must be at least 10ms");
        assertUsageError(Cli.run("soak", "--workers=4", "--process-slots=3"), "--process-slots=3 must be in 4..4096");
        assertUsageError(Cli.run("soak", "--kill-every=800-200ms"), "is longer than the second");
        assertUsageError(Cli.run("soak", "--duration=5x"), "'5x' is not a duration");
        assertUsageError(Cli.run("soak", "--policy=SOMETIMES"), "SOMETIMES");
    }

    @Test
    void durationsAndRangesParseWithTheirUnits()
    {
        assertEquals(Duration.ofMinutes(5), Durations.parse("5m"));
        assertEquals(Duration.ofMillis(500), Durations.parse("500ms"));
        assertEquals(Duration.ofHours(1), Durations.parse(" 1h "));
        assertEquals(new Durations.Range(Duration.ofMillis(200), Duration.ofMillis(800)), Durations.parseRange("200-800ms"));
        assertEquals(new Durations.Range(Duration.ofSeconds(1), Duration.ofSeconds(3)), Durations.parseRange("1s-3s"));
        assertEquals(new Durations.Range(Duration.ofMillis(500), Duration.ofMillis(500)), Durations.parseRange("500ms"));
        assertEquals("200ms-800ms", Durations.parseRange("200-800ms").toString());
        assertEquals("1m30s", Durations.text(Duration.ofSeconds(90)));
        assertThrows(picocli.CommandLine.TypeConversionException.class, () -> Durations.parse("5"));
    }

    @Test
    void anExistingRegionIsRefusedAndLeftAsItWas() throws IOException
    {
        final Path file = temp.newPath("soak-exists");
        createSoakRegion(file, 2);
        final long size = Files.size(file);
        final Set<Path> before = soakDirectories();

        final Cli.Result result = Cli.run("soak", "--file=" + file, "--duration=1s");

        assertEquals(Main.EXIT_ERROR, result.exitCode(), result::toString);
        assertTrue(result.err().contains(file.toString()), result::toString);
        assertEquals(size, Files.size(file));
        assertEquals(before, soakDirectories(), "the soak left its work directory");
    }

    @Test
    void endCheckRecoversADeadWorkersBlocksReferenceAndLockAndPasses()
    {
        final Path file = temp.newPath("soak-check-clean");
        createSoakRegion(file, 2);
        dieHolding(file, false);

        final Cli.Result result = Cli.run("soak-check", file.toString());

        assertEquals(0, result.exitCode(), result::toString);
        final String out = result.out();
        assertTrue(out.contains("\nRECOVERY slot="), out);
        assertTrue(out.contains(" completed=true "), out);
        assertTrue(out.contains("CHECK recover PASS 1 dead slots recovered, every one completely\n"), out);
        assertTrue(out.contains("CHECK pool.validate PASS valid; 17 blocks allocated (the soak's 17), none cached or in flight\n"),
            out);
        assertTrue(out.contains("CHECK locks.table PASS "), out);
        assertTrue(out.contains("CHECK refs.orphans PASS "), out);
        assertTrue(out.endsWith(SoakCheckCommand.PASSED + "\n"), out);
    }

    @Test
    void endCheckFailsOnABlockNobodyCanFree()
    {
        final Path file = temp.newPath("soak-check-leak");
        createSoakRegion(file, 2);
        dieHolding(file, true);

        final Cli.Result result = Cli.run("soak-check", file.toString());

        assertEquals(1, result.exitCode(), result::toString);
        final String out = result.out();
        assertTrue(out.contains("CHECK pool.validate FAIL valid, but 18 blocks allocated (the soak keeps 17)"), out);
        assertTrue(out.contains("CHECK pool.stats FAIL counters say 18 in use and 18 outstanding"), out);
        assertTrue(out.contains("CHECK recover PASS "), out);
        assertTrue(out.endsWith(SoakCheckCommand.FAILED + " 2\n"), out);
    }

    /** Creates a soak region as the coordinator does. */
    private static void createSoakRegion(final Path file, final int slots)
    {
        try (Region region = Region.create(file, SoakLayout.regionConfig(slots, 2, LockPolicy.WAIT_DIE));
            TieredPool pool = TieredPool.open(region))
        {
            RefCounts.open(region, pool);
            LockManager.open(region);
            region.attach();
            SoakLayout.format(region, pool);
        }
    }

    /**
     * A worker that dies (its attachment abandoned, as a killed process leaves it) holding pool
     * blocks, a reference and an exclusive lock on an account, and with {@code leak} a published
     * block nobody will ever free.
     */
    private static void dieHolding(final Path file, final boolean leak)
    {
        final Region region = Region.open(file, Duration.ZERO);
        final TieredPool pool = TieredPool.open(region);
        final RefCounts refs = RefCounts.open(region, pool);
        final LockManager locks = LockManager.open(region);
        region.attach();
        final SoakLayout layout = SoakLayout.open(region, pool);
        pool.allocate(64);
        pool.allocate(3000);
        refs.allocate(48);
        final Txn tx = locks.begin();
        tx.lock(layout.account(3), LockMode.EXCLUSIVE);
        if (leak)
        {
            pool.publish(pool.allocate(200));
        }
        assertFalse(locks.locksHeldPerSlot().isEmpty());
        region.abandon();
    }

    private static Set<Path> soakDirectories() throws IOException
    {
        try (Stream<Path> files = Files.list(DemoCommand.baseDirectory()))
        {
            return files.filter(p -> p.getFileName().toString().startsWith("shmtx-soak-")).collect(Collectors.toSet());
        }
    }
}
