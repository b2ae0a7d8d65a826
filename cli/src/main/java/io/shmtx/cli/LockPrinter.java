package io.shmtx.cli;

import io.shmtx.deadlock.AbortReason;
import io.shmtx.deadlock.LockManager;
import io.shmtx.deadlock.LockManagerConfig;
import io.shmtx.deadlock.LockStats;
import io.shmtx.region.ProcessSlotInfo;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Prints a lock table as text: its policy, counters, the locks each process slot holds and the
 * wait-for graph ({@code stat}), and (for {@code create}) its configuration.
 *
 * <p>This class is threadsafe (it has no state).
 */
final class LockPrinter
{

    private LockPrinter()
    {
    }

    /**
     * The "locks" part of {@code stat}: policy, counters since creation, locks held per slot and
     * the wait-for graph.
     *
     * @param out       where to print.
     * @param locks     the lock table, opened on the region (attached or not).
     * @param processes the region's process table ({@code Region.processes()}), for pids.
     * @param indent    prefix of every line.
     */
    static void stat(final PrintWriter out, final LockManager locks, final List<ProcessSlotInfo> processes,
        final String indent)
    {
        out.println(indent + "locks: policy " + locks.policy());
        final LockStats stats = locks.stats();
        final List<String> aborts = new ArrayList<>();
        for (final Map.Entry<AbortReason, Long> abort : stats.aborts().entrySet())
        {
            aborts.add(abort.getKey() + " " + abort.getValue());
        }
        Text.list(out, indent + "  ", "counters: ", List.of("grants " + stats.grants(), "waits " + stats.waits(), "wounds " + stats.wounds()));
        Text.list(out, indent + "  ", "aborts by reason (" + stats.totalAborts() + "): ", aborts);
        held(out, locks.locksHeldPerSlot(), processes, indent);
        out.println(indent + "  wait-for graph");
        locks.waitForGraphText().lines().forEach(line -> Text.sentence(out, indent + "    ", line));
    }

    private static void held(final PrintWriter out, final Map<Integer, Integer> perSlot,
        final List<ProcessSlotInfo> processes, final String indent)
    {
        final int total = perSlot.values().stream().mapToInt(Integer::intValue).sum();
        if (perSlot.isEmpty())
        {
            out.println(indent + "  locks held: none");
            return;
        }
        out.println(indent + "  locks held: " + total + " by " + perSlot.size()
            + (perSlot.size() == 1 ? " slot" : " slots"));
        final TextTable table = new TextTable("SLOT", "PID", "STATE", "LOCKS").left(2);
        perSlot.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e ->
        {
            final ProcessSlotInfo process = RegionPrinter.process(processes, e.getKey());
            table.row(e.getKey(), RegionPrinter.pid(process), RegionPrinter.slotState(process), e.getValue());
        });
        table.print(out, indent + "    ");
    }

    /**
     * A lock table's configuration, as {@code create} made it.
     *
     * @param out    where to print.
     * @param config the configuration the section was made with.
     */
    static void config(final PrintWriter out, final LockManagerConfig config)
    {
        out.println("lock table (" + config.locks() + " locks, " + config.transactionsPerProcess()
            + " open transactions per process, policy " + config.policy() + ", waits bounded by "
            + config.maxWait().toMillis() + " ms)");
    }
}
