package io.shmtx.cli;

import io.shmtx.refcount.RefCountConfig;
import io.shmtx.refcount.RefCounts;
import io.shmtx.region.ProcessSlotInfo;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Prints reference counts as text: the handles and references each process slot holds, the
 * orphans and the leak report ({@code stat}), and (for {@code create}) their configuration.
 *
 * <p>This class is threadsafe (it has no state).
 */
final class RefCountPrinter
{

    private RefCountPrinter()
    {
    }

    /**
     * The "references" part of {@code stat}: per slot in use (and any other slot whose ledger
     * holds references) the handles and references it holds; the orphan count (with
     * {@code listOrphans} their handles); with a threshold other than
     * {@link StatView#NO_LEAK_REPORT}, the references held at least that long.
     *
     * @param out                  where to print.
     * @param refs                 the reference counts, opened on the region (attached or not).
     * @param processes            the region's process table ({@code Region.processes()}).
     * @param processSlots         the region's process slot count.
     * @param listOrphans          whether to list the orphans' handles.
     * @param leaksOlderThanMillis leak report threshold, or {@link StatView#NO_LEAK_REPORT}.
     * @param indent               prefix of every line.
     */
    static void stat(final PrintWriter out, final RefCounts refs, final List<ProcessSlotInfo> processes,
        final int processSlots, final boolean listOrphans, final long leaksOlderThanMillis, final String indent)
    {
        out.println(indent + "references");
        final Map<Integer, Map<Long, Long>> bySlot = new TreeMap<>();
        for (int slot = 0; slot < processSlots; slot++)
        {
            final Map<Long, Long> held = refs.references(slot);
            if (!held.isEmpty() || RegionPrinter.process(processes, slot) != null)
            {
                bySlot.put(slot, held);
            }
        }
        if (bySlot.isEmpty())
        {
            out.println(indent + "  (no process attached, no references held)");
        }
        else
        {
            final TextTable table = new TextTable("SLOT", "PID", "STATE", "HANDLES", "REFERENCES").left(2);
            bySlot.forEach((slot, held) ->
            {
                final ProcessSlotInfo process = RegionPrinter.process(processes, slot);
                table.row(slot, RegionPrinter.pid(process), RegionPrinter.slotState(process), held.size(),
                    held.values().stream().mapToLong(Long::longValue).sum());
            });
            table.print(out, indent + "  ");
        }
        final List<Long> orphans = refs.orphanReport();
        Text.sentence(out, indent + "  ", "orphans: " + orphans.size() + " (shared blocks no live process holds a"
            + " reference to" + (listOrphans || orphans.isEmpty() ? ")" : "; --orphans lists them)"));
        if (listOrphans)
        {
            orphans.forEach(handle -> out.println(indent + "    " + handle(handle)));
        }
        if (leaksOlderThanMillis != StatView.NO_LEAK_REPORT)
        {
            leaks(out, refs.leakReport(leaksOlderThanMillis), leaksOlderThanMillis, indent);
        }
    }

    private static void leaks(final PrintWriter out, final List<RefCounts.HeldReference> leaks,
        final long minAgeMillis, final String indent)
    {
        out.println(indent + "  references held for " + minAgeMillis + " ms or longer (" + leaks.size()
            + "), oldest first");
        if (leaks.isEmpty())
        {
            out.println(indent + "    (none)");
            return;
        }
        final TextTable table = new TextTable("SLOT", "HANDLE", "HELD", "AGE");
        for (final RefCounts.HeldReference leak : leaks)
        {
            table.row(leak.slot(), handle(leak.handle()), leak.held(), RegionPrinter.age(leak.ageMillis()));
        }
        table.print(out, indent + "    ");
    }

    /**
     * Reference counts' configuration, as {@code create} made it.
     *
     * @param out    where to print.
     * @param config the configuration the section was made with.
     */
    static void config(final PrintWriter out, final RefCountConfig config)
    {
        out.println("reference counts (ledgers of " + config.ledgerCapacity() + " handles per process, "
            + config.threadsPerProcess() + " threads per process with their own intent cell, grace period "
            + config.gracePeriod().toMillis() + " ms)");
    }

    private static String handle(final long handle)
    {
        return String.format(Locale.ROOT, "0x%016x", handle);
    }
}
