package io.shmtx.cli;

import io.shmtx.deadlock.LockManager;
import io.shmtx.pool.PoolStats;
import io.shmtx.pool.TieredPool;
import io.shmtx.refcount.RefCounts;
import io.shmtx.region.ProcessSlotInfo;
import io.shmtx.region.Region;
import io.shmtx.region.Section;
import io.shmtx.region.SectionSpec;

import java.io.PrintWriter;
import java.util.List;

/**
 * What {@code shmtx stat} prints once: a header (file; time and attached processes), then the
 * pool's tier table and overall utilisation, optionally the request-size histogram and the leak
 * report, or "no pool section"; then, when the region has them, the "locks" part (lock table),
 * the "references" part (reference counts) and the "transactions" part (consistency section).
 * The demo prints the same view. Every line fits in {@link Text#WIDTH} columns (but for a longer
 * file name), and no heading is printed without something under it.
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
        return hasSection(region, SectionSpec.POOL);
    }

    /**
     * Whether the region has a section.
     *
     * @param region an open region.
     * @param id     a {@link SectionSpec} id.
     * @return whether it has one.
     */
    static boolean hasSection(final Region region, final int id)
    {
        for (final Section section : region.sections())
        {
            if (section.id() == id)
            {
                return true;
            }
        }
        return false;
    }

    /**
     * Opens what the view reads of a region: its pool, lock table and reference counts, each
     * when the region has its section (reference counts also need the pool). Opening registers
     * their recovery steps on {@code region}; an inspector that never attaches never runs them.
     *
     * @param region an open region.
     * @return the readers; close them before the region.
     */
    static Readers open(final Region region)
    {
        final TieredPool pool = hasPool(region) ? TieredPool.open(region) : null;
        LockManager locks = null;
        try
        {
            locks = hasSection(region, SectionSpec.LOCK_TABLE) ? LockManager.open(region) : null;
            final boolean refcount = hasSection(region, SectionSpec.REFCOUNT);
            final RefCounts refs = refcount && pool != null ? RefCounts.open(region, pool) : null;
            return new Readers(pool, locks, refs, refcount);
        }
        catch (final RuntimeException ex)
        {
            if (locks != null)
            {
                locks.close();
            }
            if (pool != null)
            {
                pool.close();
            }
            throw ex;
        }
    }

    /**
     * Prints the view of a region that has no lock table or reference counts (or of which they
     * are not to be shown).
     *
     * @param out                  where to print.
     * @param region               an open region, attached or not.
     * @param pool                 its pool, or null when it has none.
     * @param leaksOlderThanMillis leak report threshold, or {@link #NO_LEAK_REPORT}.
     * @param patterns             whether to print the request-size histogram.
     * @param indent               prefix of every line.
     */
    static void print(final PrintWriter out, final Region region, final TieredPool pool,
        final long leaksOlderThanMillis, final boolean patterns, final String indent)
    {
        print(out, region, new Readers(pool, null, null, false), leaksOlderThanMillis, patterns, false, indent);
    }

    /**
     * Prints the view.
     *
     * @param out                  where to print.
     * @param region               an open region, attached or not.
     * @param readers              what {@link #open} opened of it.
     * @param leaksOlderThanMillis leak report threshold (blocks and references), or {@link #NO_LEAK_REPORT}.
     * @param patterns             whether to print the request-size histogram.
     * @param orphans              whether to list the handles of orphaned reference-counted blocks.
     * @param indent               prefix of every line.
     * @return what could not be true (printed as UNREADABLE), empty when everything could.
     */
    static List<String> print(final PrintWriter out, final Region region, final Readers readers,
        final long leaksOlderThanMillis, final boolean patterns, final boolean orphans, final String indent)
    {
        final List<ProcessSlotInfo> processes = region.processes();
        header(out, region, processes, indent);
        final TieredPool pool = readers.pool();
        if (pool == null)
        {
            out.println(indent + "no pool section (shmtx create --pool makes a region with one)");
        }
        else
        {
            final PoolStats stats = pool.stats();
            PoolPrinter.tiers(out, stats, indent);
            PoolPrinter.overall(out, stats, indent);
            if (patterns)
            {
                PoolPrinter.patterns(out, stats, indent);
            }
            if (leaksOlderThanMillis != NO_LEAK_REPORT)
            {
                PoolPrinter.leaks(out, pool.leakReport(leaksOlderThanMillis), leaksOlderThanMillis, indent);
            }
        }
        if (readers.locks() != null)
        {
            LockPrinter.stat(out, readers.locks(), processes, indent);
        }
        if (readers.refs() != null)
        {
            RefCountPrinter.stat(out, readers.refs(), processes, region.processSlots(), orphans, leaksOlderThanMillis,
                indent);
        }
        else if (readers.refcountSection())
        {
            out.println(indent + "references: the region has a refcount section but no pool section to count in");
        }
        final List<String> problems = TxPrinter.print(out, region, false, indent);
        out.flush();
        return problems;
    }

    private static void header(final PrintWriter out, final Region region, final List<ProcessSlotInfo> processes,
        final String indent)
    {
        final long attached = processes.stream().filter(p -> p.alive() && "ATTACHED".equals(p.state())).count();
        final long dead = processes.stream().filter(p -> !p.alive()).count();
        final long recovering = processes.size() - attached - dead;
        out.println(indent + "region " + region.file());
        out.println(indent + "  at " + RegionPrinter.time(System.currentTimeMillis())
            + ": attached processes: " + attached + " of " + region.processSlots() + " slots"
            + (dead > 0 ? ", " + dead + " dead (not recovered yet)" : "")
            + (recovering > 0 ? ", " + recovering + " being recovered" : ""));
    }

    /**
     * What the view reads of a region, each null when the region lacks its section. Closing
     * closes each (not the region); close before the region detaches, or on a region that never
     * attached (closing reference counts of an attached region releases its references). Not
     * threadsafe.
     *
     * @param pool            the pool.
     * @param locks           the lock table.
     * @param refs            the reference counts (null also when the region has no pool).
     * @param refcountSection whether the region has a reference-count section.
     */
    record Readers(TieredPool pool, LockManager locks, RefCounts refs, boolean refcountSection)
        implements AutoCloseable
    {
        @Override
        public void close()
        {
            if (refs != null)
            {
                refs.close();
            }
            if (locks != null)
            {
                locks.close();
            }
            if (pool != null)
            {
                pool.close();
            }
        }
    }
}
