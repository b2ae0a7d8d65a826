package io.shmtx.cli;

import io.shmtx.pool.LeakEntry;
import io.shmtx.pool.PoolConfig;
import io.shmtx.pool.PoolStats;
import io.shmtx.pool.TierConfig;
import io.shmtx.pool.TierStats;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/**
 * Prints a pool as text: its tier table with statistics, overall utilisation, the leak report,
 * and (for {@code create}) its configuration.
 *
 * <p>This class is threadsafe (it has no state).
 */
final class PoolPrinter
{
    private static final String TIER_ROW = "%4s %8s %9s %7s %9s %11s %10s %5s %10s %10s %8s %9s %6s";
    private static final String LEAK_ROW = "%-18s %4s %8s %9s %9s";

    private PoolPrinter()
    {
    }

    /**
     * The tier table: one row per tier, every column a {@link TierStats} value.
     *
     * @param out    where to print.
     * @param stats  the snapshot.
     * @param indent prefix of every line.
     */
    static void tiers(final PrintWriter out, final PoolStats stats, final String indent)
    {
        out.println(indent + "pool tiers (" + stats.tiers().size() + ")");
        out.println(indent + "  " + String.format(Locale.ROOT, TIER_ROW, "TIER", "BLOCK", "CAPACITY", "RESERVE",
            "IN USE", "OUTSTANDING", "HIGH-WATER", "UTIL%", "ALLOCS", "FREES", "FAILURES", "FALLBACKS", "FRAG%"));
        for (final TierStats t : stats.tiers())
        {
            out.println(indent + "  " + String.format(Locale.ROOT, TIER_ROW, t.tier(), t.blockSize(), t.capacity(),
                t.reserve(), t.inUse(), t.outstanding(), t.highWater(), t.utilisationPercent(), t.allocations(),
                t.frees(), t.failures(), t.fallbacks(), String.format(Locale.ROOT, "%.1f", 100 * t.fragmentation())));
        }
        out.println(indent + "  (BLOCK in bytes; OUTSTANDING = IN USE + blocks cached by threads;"
            + " UTIL% = OUTSTANDING / CAPACITY; FRAG% = granted bytes not requested)");
    }

    /**
     * One line: overall utilisation (outstanding block bytes over all block bytes) and totals.
     *
     * @param out    where to print.
     * @param stats  the snapshot.
     * @param indent prefix of the line.
     */
    static void overall(final PrintWriter out, final PoolStats stats, final String indent)
    {
        long inUse = 0;
        long outstanding = 0;
        long outstandingBytes = 0;
        long totalBytes = 0;
        for (final TierStats t : stats.tiers())
        {
            inUse += t.inUse();
            outstanding += t.outstanding();
            outstandingBytes += t.outstanding() * (long)t.blockSize();
            totalBytes += t.capacity() * (long)t.blockSize();
        }
        out.println(indent + String.format(Locale.ROOT, "overall utilisation %.1f %% (%s of %s of blocks outstanding);"
            + " %d blocks in use, %d outstanding", 100 * stats.utilisation(), ByteSize.format(outstandingBytes),
            ByteSize.format(totalBytes), inUse, outstanding));
    }

    /**
     * The leak report: blocks held at least {@code minAgeMillis}, oldest first.
     *
     * @param out          where to print.
     * @param leaks        the report ({@code TieredPool.leakReport}).
     * @param minAgeMillis the threshold it was made with.
     * @param indent       prefix of every line.
     */
    static void leaks(final PrintWriter out, final List<LeakEntry> leaks, final long minAgeMillis, final String indent)
    {
        out.println(indent + "blocks held for " + minAgeMillis + " ms or longer (" + leaks.size() + "), oldest first");
        if (leaks.isEmpty())
        {
            out.println(indent + "  (none)");
            return;
        }
        out.println(indent + "  " + String.format(Locale.ROOT, LEAK_ROW, "HANDLE", "SLOT", "PID", "AGE", "SIZE"));
        for (final LeakEntry leak : leaks)
        {
            out.println(indent + "  " + String.format(Locale.ROOT, LEAK_ROW,
                String.format(Locale.ROOT, "0x%016x", leak.handle()), leak.ownerSlot(), leak.ownerPid(),
                RegionPrinter.age(leak.ageMillis()), leak.blockSize()));
        }
    }

    /**
     * A pool's configuration, as {@code create} made it.
     *
     * @param out    where to print.
     * @param config the configuration stored in the region.
     */
    static void config(final PrintWriter out, final PoolConfig config)
    {
        long bytes = 0;
        for (final TierConfig tier : config.tiers())
        {
            bytes += tier.blockSize() * (long)tier.blockCount();
        }
        out.println("pool (" + config.tiers().size() + " tiers, " + ByteSize.format(bytes) + " of blocks"
            + (config.strict() ? ", strict" : ", falls back to larger tiers") + ", thresholds "
            + config.lowThresholdPercent() + "/" + config.criticalThresholdPercent() + " %, thread caches of up to "
            + config.cacheSize() + " blocks per tier, " + config.threadsPerProcess() + " threads per process)");
        out.println(String.format(Locale.ROOT, "  %4s %8s %9s %7s  %s", "TIER", "BLOCK", "BLOCKS", "RESERVE", "BYTES"));
        for (int t = 0; t < config.tiers().size(); t++)
        {
            final TierConfig tier = config.tiers().get(t);
            out.println(String.format(Locale.ROOT, "  %4d %8d %9d %7d  %s", t, tier.blockSize(), tier.blockCount(),
                tier.reserve(), ByteSize.format(tier.blockSize() * (long)tier.blockCount())));
        }
    }
}
