package io.shmtx.cli;

import io.shmtx.pool.PoolStats;
import io.shmtx.pool.TieredPool;
import io.shmtx.region.ProcessSlotInfo;
import io.shmtx.region.Region;
import io.shmtx.region.Section;
import io.shmtx.region.SectionSpec;

import java.io.PrintWriter;
import java.util.List;

/**
 * What {@code shmtx stat} prints once: a header line (file, time, attached processes), then the
 * pool's tier table and overall utilisation, optionally the request patterns and the leak
 * report; or "no pool section". The demo prints the same view.
 *
 * <p>This class is threadsafe (it has no state).
 */
final class StatView
{
    /** {@code leaksOlderThanMillis} value for "no leak report". */
    static final long NO_LEAK_REPORT = -1;

    private StatView()
    {
    }

    /**
     * Whether the region has a pool section ({@link TieredPool#open} throws if not).
     *
     * @param region an open region.
     * @return whether it has one.
     */
    static boolean hasPool(final Region region)
    {
        for (final Section section : region.sections())
        {
            if (section.id() == SectionSpec.POOL)
            {
                return true;
            }
        }
        return false;
    }

    /**
     * Prints the view.
     *
     * @param out                  where to print.
     * @param region               an open region, attached or not.
     * @param pool                 its pool, or null when it has none.
     * @param leaksOlderThanMillis leak report threshold, or {@link #NO_LEAK_REPORT}.
     * @param patterns             whether to print {@link TieredPool#patternsReport()}.
     * @param indent               prefix of every line.
     */
    static void print(final PrintWriter out, final Region region, final TieredPool pool,
        final long leaksOlderThanMillis, final boolean patterns, final String indent)
    {
        header(out, region, indent);
        if (pool == null)
        {
            out.println(indent + "no pool section (shmtx create --pool makes a region with one)");
            out.flush();
            return;
        }
        final PoolStats stats = pool.stats();
        PoolPrinter.tiers(out, stats, indent);
        PoolPrinter.overall(out, stats, indent);
        if (patterns)
        {
            out.println(indent + "patterns");
            pool.patternsReport().lines().forEach(line -> out.println(indent + "  " + line));
        }
        if (leaksOlderThanMillis != NO_LEAK_REPORT)
        {
            PoolPrinter.leaks(out, pool.leakReport(leaksOlderThanMillis), leaksOlderThanMillis, indent);
        }
        out.flush();
    }

    private static void header(final PrintWriter out, final Region region, final String indent)
    {
        final List<ProcessSlotInfo> processes = region.processes();
        final long attached = processes.stream().filter(p -> p.alive() && "ATTACHED".equals(p.state())).count();
        final long dead = processes.stream().filter(p -> !p.alive()).count();
        final long recovering = processes.size() - attached - dead;
        out.println(indent + "region " + region.file() + " at " + RegionPrinter.time(System.currentTimeMillis())
            + ": attached processes: " + attached + " of " + region.processSlots() + " slots"
            + (dead > 0 ? ", " + dead + " dead (not recovered yet)" : "")
            + (recovering > 0 ? ", " + recovering + " being recovered" : ""));
    }
}
