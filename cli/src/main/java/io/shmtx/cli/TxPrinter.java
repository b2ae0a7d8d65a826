package io.shmtx.cli;

import io.shmtx.consistency.AbortReason;
import io.shmtx.consistency.ConsistencyInfo;
import io.shmtx.consistency.TxStats;
import io.shmtx.region.Region;
import io.shmtx.region.RegionException;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Prints the "transactions" part of {@code stat} and {@code inspect}: what a region's consistency
 * section holds ({@link ConsistencyInfo}): the model in force and its epoch, switches, a switch in
 * progress, the counters summed over every process (commits, aborts by reason, retries,
 * {@code retry()} waits), CAUSAL versions alive and the transaction logs in use. A value that
 * cannot be true prints as UNREADABLE and is named on a line of its own.
 *
 * <p>This class is threadsafe (it has no state).
 */
final class TxPrinter
{
    private static final String UNREADABLE = "UNREADABLE";

    private TxPrinter()
    {
    }

    /**
     * Prints the part, when the region has a consistency section.
     *
     * @param out    where to print.
     * @param region an open region, attached or not, read-only or not.
     * @param layout whether to print the logs' geometry too ({@code inspect}).
     * @param indent prefix of every line.
     * @return what could not be true (printed as UNREADABLE), empty when everything could.
     */
    static List<String> print(final PrintWriter out, final Region region, final boolean layout, final String indent)
    {
        if (!ConsistencyInfo.present(region))
        {
            return List.of();
        }
        final ConsistencyInfo info;
        try
        {
            info = ConsistencyInfo.read(region);
        }
        catch (final RegionException ex)
        {
            final String message = RegionPaths.withoutFile(ex, region.file());
            Text.sentence(out, indent, "transactions: " + UNREADABLE + ": " + message);
            return List.of(message);
        }
        final TxStats stats = info.stats();
        out.println(indent + "transactions: model " + stats.model() + " (epoch " + stats.epoch() + "); switches "
            + count(stats.switches()) + " (" + count(stats.switchFailures()) + " given up)");
        final String more = indent + "  ";
        switchState(out, info, more);
        counters(out, stats, more);
        logs(out, info, layout, more);
        for (final String problem : info.problems())
        {
            Text.sentence(out, more, UNREADABLE + ": " + problem);
        }
        return info.problems();
    }

    private static void counters(final PrintWriter out, final TxStats stats, final String indent)
    {
        Text.list(out, indent, "", List.of("commits " + count(stats.commits()), "retries " + count(stats.retries()),
            "retry() waits " + count(stats.retryWaits())));
        long total = 0;
        final List<String> reasons = new ArrayList<>();
        for (final Map.Entry<AbortReason, Long> reason : stats.aborts().entrySet())
        {
            final long n = reason.getValue();
            total = n == ConsistencyInfo.UNREADABLE || total == ConsistencyInfo.UNREADABLE ? ConsistencyInfo.UNREADABLE
                : total + n;
            if (n != 0)
            {
                reasons.add(reason.getKey() + " " + count(n));
            }
        }
        Text.list(out, indent, "aborts " + count(total) + (reasons.isEmpty() ? "" : ": "), reasons);
        out.println(indent + "versions alive " + count(stats.versionsAlive()) + " (CAUSAL: older values kept for"
            + " snapshots)");
    }

    private static void logs(final PrintWriter out, final ConsistencyInfo info, final boolean layout, final String indent)
    {
        Text.sentence(out, indent, "logs in use: " + info.transactionsRunning() + " running, " + info.logsActive()
            + " active, " + info.logsCommitting() + " committing, " + info.snapshotsPinned() + " pinning a snapshot (of "
            + info.logs() + ", " + info.logsPerProcess() + " per process slot)");
        if (layout)
        {
            out.println(indent + "log size: " + info.maxObjectsPerTransaction() + " objects, " + info.redoCapacity()
                + " bytes of redo or undo records per transaction");
        }
    }

    private static void switchState(final PrintWriter out, final ConsistencyInfo info, final String indent)
    {
        final String owner = info.switchOwner() == 0 ? ""
            : info.switchOwnerGone() ? ", by a process that is gone (the next transaction, switch or recovery clears it)"
            : ", by a live process";
        if (info.switchingTo() != null)
        {
            Text.sentence(out, indent, "switching to " + info.switchingTo() + " (epoch " + (info.stats().epoch() + 1)
                + "): waiting for the transactions of " + info.stats().model() + " to end" + owner);
        }
        else if (info.switchOwner() != 0)
        {
            Text.sentence(out, indent, "a switch is starting or ending" + owner);
        }
    }

    private static String count(final long value)
    {
        return value == ConsistencyInfo.UNREADABLE ? UNREADABLE : Long.toString(value);
    }
}
