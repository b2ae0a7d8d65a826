package io.shmtx.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.pool.Handles;
import io.shmtx.pool.PoolConfig;
import io.shmtx.pool.PoolStats;
import io.shmtx.pool.TierStats;
import io.shmtx.pool.TieredPool;
import io.shmtx.region.Region;
import io.shmtx.region.RegionConfig;
import io.shmtx.testkit.TempRegions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code shmtx stat} on real region files: the values it prints are the pool's own statistics.
 */
class StatTest
{
    private static final int SLOTS = 8;
    /** A row of the tier table: 12 numbers and the fragmentation with one decimal. */
    private static final Pattern TIER_ROW = Pattern.compile("(?m)^ +(\\d+)((?: +\\d+){11}) +(\\d+\\.\\d)$");

    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws IOException
    {
        temp.close();
    }

    /** Tiny tiers, so that a few requests fall back (tier 0) and fail (tier 2). */
    private static PoolConfig smallPool()
    {
        return PoolConfig.builder().tier(32, 2).tier(64, 256).tier(128, 2).build();
    }

    private Path regionWithPool(final PoolConfig poolConfig)
    {
        final Path file = temp.newPath("stat");
        Region.create(file, RegionConfig.builder().processSlots(SLOTS).heartbeatInterval(Duration.ofMillis(50))
            .watchdogInterval(Duration.ZERO).section(TieredPool.section(poolConfig, SLOTS)).build()).close();
        return file;
    }

    /**
     * Tier rows as printed: {tier, blockSize, capacity, reserve, inUse, outstanding, highWater, util%,
     * allocations, frees, failures, fallbacks}.
     */
    private static List<long[]> tierRows(final String out)
    {
        final List<long[]> rows = new ArrayList<>();
        final Matcher row = TIER_ROW.matcher(out);
        while (row.find())
        {
            final String[] numbers = (row.group(1) + row.group(2)).trim().split(" +");
            final long[] values = new long[numbers.length];
            for (int i = 0; i < numbers.length; i++)
            {
                values[i] = Long.parseLong(numbers[i]);
            }
            rows.add(values);
        }
        return rows;
    }

    private static List<String> fragmentations(final String out)
    {
        final List<String> result = new ArrayList<>();
        final Matcher row = TIER_ROW.matcher(out);
        while (row.find())
        {
            result.add(row.group(3));
        }
        return result;
    }

    @Test
    void statOncePrintsThePoolsStatisticsOfEveryTier()
    {
        final Path file = regionWithPool(smallPool());
        try (Region region = Region.open(file, Duration.ZERO); TieredPool pool = TieredPool.open(region))
        {
            final int slot = region.attach();
            final List<Long> held = new ArrayList<>();
            for (int i = 0; i < 3; i++)
            {
                held.add(pool.allocate(24)); // the third falls back from tier 0 to tier 1
            }
            for (int i = 0; i < 7; i++)
            {
                held.add(pool.allocate(40 + i));
            }
            held.add(pool.allocate(100));
            held.add(pool.allocate(128));
            assertEquals(Handles.NULL, pool.tryAllocate(120), "tier 2 has two blocks and nothing larger");
            pool.free(held.remove(4));
            pool.free(held.remove(4));
            final PoolStats expected = pool.stats();

            final Cli.Result result = Cli.run("stat", file.toString(), "--once");

            assertEquals(0, result.exitCode(), result::toString);
            assertEquals("", result.err(), result::toString);
            final String out = result.out();
            assertTrue(out.startsWith("region " + file + "\n  at "), out);
            assertTrue(out.contains(": attached processes: 1 of " + SLOTS + " slots\n"), out);
            final List<long[]> rows = tierRows(out);
            assertEquals(expected.tiers().size(), rows.size(), out);
            for (int t = 0; t < rows.size(); t++)
            {
                final TierStats s = expected.tiers().get(t);
                final long[] want = {s.tier(), s.blockSize(), s.capacity(), s.reserve(), s.inUse(), s.outstanding(),
                    s.highWater(), s.utilisationPercent(), s.allocations(), s.frees(), s.failures(), s.fallbacks()};
                assertArrayEquals(want, rows.get(t), "tier " + t + " in:\n" + out);
                assertEquals(String.format(Locale.ROOT, "%.1f", 100 * s.fragmentation()), fragmentations(out).get(t),
                    out);
            }
            // the statistics exercised every column: a table of zeros would pass the comparison above
            final TierStats t0 = expected.tiers().get(0);
            final TierStats t1 = expected.tiers().get(1);
            final TierStats t2 = expected.tiers().get(2);
            assertEquals(1, t0.fallbacks(), expected::toString);
            assertEquals(1, t2.failures(), expected::toString);
            assertEquals(2, t1.frees(), expected::toString);
            assertTrue(t1.outstanding() > t1.inUse(), "no thread-cached blocks: " + expected);
            assertTrue(t1.fragmentation() > 0 && t2.utilisationPercent() == 100, expected::toString);
            final String overall =
                String.format(Locale.ROOT, "overall utilisation %.1f %% (", 100 * expected.utilisation());
            assertTrue(out.contains(overall), out);
            final long inUse = expected.tiers().stream().mapToLong(TierStats::inUse).sum();
            final long outstanding = expected.tiers().stream().mapToLong(TierStats::outstanding).sum();
            assertTrue(out.contains("; " + inUse + " blocks in use, " + outstanding + " outstanding\n"), out);
            assertFalse(out.contains("blocks held for"), "a leak report without --leaks-older-than-ms: " + out);
            assertFalse(out.contains("request sizes"), "patterns without --patterns: " + out);
            assertFalse(out.contains("\033"), "cleared the screen in --once mode: " + out);
            assertEquals(1, region.inspect().processes().size(), "stat must not attach");
            assertEquals(slot, region.slot());
        }
    }

    @Test
    void statListsLongHeldBlocksByOwnerAndPrintsPatterns()
    {
        final Path file = regionWithPool(smallPool());
        try (Region region = Region.open(file, Duration.ZERO); TieredPool pool = TieredPool.open(region))
        {
            final int slot = region.attach();
            final long small = pool.allocate(20);
            final long large = pool.allocate(100);
            final long pid = ProcessHandle.current().pid();

            final Cli.Result all =
                Cli.run("stat", file.toString(), "--once", "--leaks-older-than-ms", "0", "--patterns");

            assertEquals(0, all.exitCode(), all::toString);
            final String out = all.out();
            assertTrue(out.contains("blocks held for 0 ms or longer (2), oldest first"), out);
            for (final long handle : new long[] {small, large})
            {
                final String row = String.format(Locale.ROOT, "0x%016x +%d +%d +[0-9.]+ s +%d\n", handle, slot, pid,
                    pool.blockSize(handle));
                assertTrue(Pattern.compile(row).matcher(out).find(), "no row /" + row + "/ in:\n" + out);
            }
            // two requests: 20 bytes in (16, 32], 100 bytes in (64, 128]
            final long[] histogram = pool.stats().histogram();
            assertEquals(1, histogram[5], () -> Arrays.toString(histogram));
            assertEquals(1, histogram[7], () -> Arrays.toString(histogram));
            assertEquals(2, Arrays.stream(histogram).sum(), () -> Arrays.toString(histogram));
            assertTrue(out.contains("\nrequest sizes (2 requests; how they fit: FRAG%, FALLBACKS, FAILS above)\n"
                + "  MAX BYTES REQUESTS SHARE%\n"
                + "         32        1   50.0\n"
                + "        128        1   50.0\n"), out);

            final Cli.Result none = Cli.run("stat", file.toString(), "--once", "--leaks-older-than-ms", "3600000");

            assertEquals(0, none.exitCode(), none::toString);
            assertTrue(none.out().contains("blocks held for 3600000 ms or longer (0), oldest first\n  (none)\n"),
                none::toString);
            pool.free(small);
            pool.free(large);
        }
    }

    @Test
    void statOfARegionWithoutAPoolSaysSo()
    {
        final Path file = temp.newPath("nopool");
        Region.create(file, RegionConfig.builder().processSlots(3).build()).close();

        final Cli.Result result =
            Cli.run("stat", file.toString(), "--once", "--leaks-older-than-ms", "0", "--patterns");

        assertEquals(0, result.exitCode(), result::toString);
        assertEquals("", result.err(), result::toString);
        final String[] lines = result.out().split("\n");
        assertEquals(3, lines.length, result::toString);
        assertEquals("region " + file, lines[0], result::toString);
        assertTrue(lines[1].matches("  at \\S+: attached processes: 0 of 3 slots"), result::toString);
        assertTrue(lines[2].startsWith("no pool section"), result::toString);
    }

    @Test
    void createWithPoolMakesTheDefaultPoolThatStatShows()
    {
        final Path file = temp.newPath("create-pool");

        final Cli.Result created = Cli.run("create", file.toString(), "--pool", "--process-slots", "4");

        assertEquals(0, created.exitCode(), created::toString);
        assertTrue(created.out().matches("(?s).*\n  pool +3 +\\d+ +\\d+ +needs a step\n.*"), created::toString);
        assertTrue(created.out().contains("pool (9 tiers"), created::toString);
        final Cli.Result stat = Cli.run("stat", file.toString(), "--once");
        assertEquals(0, stat.exitCode(), stat::toString);
        final List<long[]> rows = tierRows(stat.out());
        final PoolConfig defaults = PoolConfig.defaults();
        assertEquals(defaults.tiers().size(), rows.size(), stat::toString);
        for (int t = 0; t < rows.size(); t++)
        {
            assertEquals(defaults.tiers().get(t).blockSize(), rows.get(t)[1], stat::toString);
            assertEquals(defaults.tiers().get(t).blockCount(), rows.get(t)[2], stat::toString);
            assertEquals(0, rows.get(t)[5], "outstanding blocks in a fresh pool: " + stat);
        }
        try (Region region = Region.open(file, Duration.ZERO); TieredPool pool = TieredPool.open(region, defaults))
        {
            assertEquals(4, region.processSlots());
            assertEquals(defaults.tiers(), pool.config().tiers()); // open(region, expected) checked the rest
        }
    }

    @Test
    void createWithPoolTiersMakesThoseTiers()
    {
        final Path file = temp.newPath("create-tiers");

        final Cli.Result created =
            Cli.run("create", file.toString(), "--pool-tiers", "16:100,1k:10:2", "--process-slots", "2");

        assertEquals(0, created.exitCode(), created::toString);
        try (Region region = Region.open(file, Duration.ZERO); TieredPool pool = TieredPool.open(region))
        {
            assertEquals(List.of(new io.shmtx.pool.TierConfig(16, 100, 0), new io.shmtx.pool.TierConfig(1024, 10, 2)),
                pool.config().tiers());
        }
        final Cli.Result stat = Cli.run("stat", file.toString(), "--once");
        final List<long[]> rows = tierRows(stat.out());
        assertEquals(2, rows.size(), stat::toString);
        assertArrayEquals(new long[] {1, 1024, 10, 2}, java.util.Arrays.copyOf(rows.get(1), 4), stat::toString);
    }

    @Test
    void theDefaultTiersInTheHelpAreThePoolModulesDefaults()
    {
        final String defaults = CreateCommand.DEFAULT_POOL_TIERS.replace(", ", ",");
        assertEquals(TierSpec.format(PoolConfig.defaults().tiers()), defaults);
        final Cli.Result help = Cli.run("help", "create");
        assertTrue(help.out().replaceAll("\\s+", "").contains("Default:" + defaults + "."), help::toString);
        final Path file = temp.newPath("spaced-defaults");
        final Cli.Result created = Cli.run("create", file.toString(), "--pool-tiers", CreateCommand.DEFAULT_POOL_TIERS,
            "--process-slots", "2");
        assertEquals(0, created.exitCode(), "the tiers as the help shows them do not work: " + created);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void withoutOnceStatRefreshesUntilTheCount()
    {
        final Path file = regionWithPool(smallPool());

        final Cli.Result result = Cli.run("stat", file.toString(), "--interval-ms", "10", "--count", "3");

        assertEquals(0, result.exitCode(), result::toString);
        final String[] views = result.out().split("\n\n");
        assertEquals(3, views.length, "three views separated by blank lines: " + result);
        for (final String view : views)
        {
            assertTrue(view.startsWith("region " + file + "\n  at "), view);
            assertEquals(3, tierRows(view).size(), view);
        }
        assertFalse(result.out().contains("\033"), "cleared a screen that is not a terminal: " + result);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aRegionDeletedWhileWatchedIsAnErrorNamingIt() throws Exception
    {
        final Path file = regionWithPool(smallPool());
        final CompletableFuture<Cli.Result> watching = CompletableFuture.supplyAsync(
            () -> Cli.run("stat", file.toString(), "--interval-ms", "50", "--count", "400"));
        TimeUnit.MILLISECONDS.sleep(300);
        Region.delete(file);

        final Cli.Result result = watching.get(20, TimeUnit.SECONDS);

        assertEquals(Main.EXIT_ERROR, result.exitCode(), result::toString);
        assertTrue(result.err().contains(file.toString()) && result.err().contains("deleted or replaced"),
            result::toString);
        assertEquals(1, result.err().lines().count(), result::toString);
        assertTrue(result.out().startsWith("region "), result::toString);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void anInterruptStopsTheWatchBetweenRefreshes() throws Exception
    {
        final Path file = regionWithPool(smallPool());
        final Cli.Result[] result = new Cli.Result[1];
        final Thread watcher =
            new Thread(() -> result[0] = Cli.run("stat", file.toString(), "--interval-ms", "3600000"));
        watcher.start();
        TimeUnit.MILLISECONDS.sleep(500);
        final long interrupted = System.nanoTime();
        watcher.interrupt();
        watcher.join(10_000);

        assertFalse(watcher.isAlive(), "the watch did not stop");
        assertTrue(System.nanoTime() - interrupted < TimeUnit.SECONDS.toNanos(5));
        assertEquals(0, result[0].exitCode(), result[0]::toString);
        assertEquals("", result[0].err(), result[0]::toString);
        assertEquals(1, result[0].out().split("\n\n").length, result[0]::toString);
        assertTrue(Files.exists(file));
    }
}
