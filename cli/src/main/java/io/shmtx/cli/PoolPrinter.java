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
        final TextTable table = new TextTable("TIER", "BLOCK", "CAPACITY", "RESERVE", "IN-USE", "OUTST", "HIGH", "UTIL%",
            "ALLOCS", "FREES", "FAILS", "FALLBACKS", "FRAG%");
        for (final TierStats t : stats.tiers())
        {
            table.row(t.tier(), t.blockSize(), t.capacity(), t.reserve(), t.inUse(), t.outstanding(), t.highWater(),
                t.utilisationPercent(), t.allocations(), t.frees(), t.failures(), t.fallbacks(),
                String.format(Locale.ROOT, "%.1f", 100 * t.fragmentation()));
        }
        table.print(out, indent + "  ");
        Text.sentence(out, indent + "  ", "(BLOCK: bytes; OUTST: outstanding, IN-USE plus blocks cached by threads;"
            + " HIGH: most OUTST seen; UTIL%: OUTST / CAPACITY; FAILS and FALLBACKS: requests that fitted the tier and"
            + " failed or were served by a larger one; FRAG%: granted bytes not requested)");
    }

    /**
     * The request-size histogram: requests per power-of-two size class, or that there were none.
     * (How well they fit the tiers is in the tier table: FRAG%, FALLBACKS, FAILS.)
     *
     * @param out    where to print.
     * @param stats  the snapshot.
     * @param indent prefix of every line.
     */
    static void patterns(final PrintWriter out, final PoolStats stats, final String indent)
    {
        final long[] histogram = stats.histogram();
        long total = 0;
        for (final long n : histogram)
        {
            total += n;
        }
        if (total == 0)
        {
            out.println(indent + "request sizes: no requests yet");
            return;
        }
        out.println(indent + "request sizes (" + total + " requests; how they fit: FRAG%, FALLBACKS, FAILS above)");
        final TextTable table = new TextTable("MAX BYTES", "REQUESTS", "SHARE%");
        for (int b = 0; b < histogram.length; b++)
        {
            if (histogram[b] != 0)
            {
                table.row(1L << b, histogram[b],
                    String.format(Locale.ROOT, "%.1f", 100.0 * histogram[b] / total));
            }
        }
        table.print(out, indent + "  ");
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
        Text.sentence(out, indent, String.format(Locale.ROOT, "overall utilisation %.1f %% (%s of %s outstanding);"
            + " %d blocks in use, %d outstanding", 100 * stats.utilisation(),
            ByteSize.format(outstandingBytes), ByteSize.format(totalBytes), inUse, outstanding));
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
        final TextTable table = new TextTable("HANDLE", "SLOT", "PID", "AGE", "SIZE");
        for (final LeakEntry leak : leaks)
        {
            table.row(String.format(Locale.ROOT, "0x%016x", leak.handle()), leak.ownerSlot(), leak.ownerPid(),
                RegionPrinter.age(leak.ageMillis()), leak.blockSize());
        }
        table.print(out, indent + "  ");
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
