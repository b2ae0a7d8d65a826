package io.shmtx.cli;

import static io.shmtx.cli.SoakCounter.*;

import io.shmtx.deadlock.AbortReason;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Prints the soak's summary: what ran, the kills and restarts, the workers' operations by kind,
 * the recoveries, the failures grouped by kind, the end check's lines, and the result.
 *
 * <p>This class is threadsafe (it has no state).
 */
final class SoakSummary
{
    /** Label of the result line: {@code result PASS} or {@code result FAIL}. */
    static final String RESULT = "result";
    private static final String ROW = "  %-12s %s";

    private SoakSummary()
    {
    }

    /**
     * Prints the summary.
     *
     * @param out         where to print.
     * @param settings    what the soak ran with.
     * @param coordinator the finished run.
     * @param check       the end check's outcome.
     * @return whether the soak passed: no failure and every end check passed.
     */
    static boolean print(final PrintWriter out, final SoakCoordinator.Settings settings,
        final SoakCoordinator coordinator, final SoakCoordinator.CheckResult check)
    {
        final SoakCounter.Counters c = coordinator.totals();
        final double seconds = coordinator.elapsed().toMillis() / 1000.0;
        final long failures = coordinator.failureCount();
        out.println();
        out.println("soak summary");
        row(out, "ran", String.format(Locale.ROOT, "%.1f s, %d workers x %d threads, kill every %s, seed %d", seconds,
            settings.workers(), settings.threads(), settings.killEvery(), settings.seed()));
        row(out, "workers", coordinator.workerStarts() + " started; kills " + coordinator.kills() + " (SIGKILL at random: "
            + (coordinator.kills() - coordinator.killsWhileStarting()) + " attached, " + coordinator.killsWhileStarting()
            + " while starting; " + coordinator.pairKills() + " times two at once, " + coordinator.massKills()
            + " times every worker at once" + (coordinator.massKillsGivenUp() == 0 ? "" : ", "
            + coordinator.massKillsGivenUp() + " such mass kills given up: the workers were not all attached within "
            + SoakCoordinator.MASS_KILL_WAIT_SECONDS + " s") + "), " + coordinator.finalKills()
            + " more at the end, all at once");
        final long[] attach = coordinator.attachMillis();
        row(out, "attaching", "a started worker attached after " + attach[0] + " ms (median; the longest " + attach[1]
            + " ms), JVM start included");
        row(out, "operations", c.operations() + String.format(Locale.ROOT, " (%.0f/s; counts as of each worker's last"
            + " report before its kill)", c.operations() / Math.max(seconds, 0.001)));
        row(out, "pool", "allocated " + c.get(POOL_ALLOCATE) + ", freed " + c.get(POOL_FREE) + ", exhausted "
            + c.get(POOL_EXHAUSTED) + "; mailbox: put " + c.get(POOL_MAILBOX_PUT) + ", freed by the taker "
            + c.get(POOL_MAILBOX_FREE) + ", freed by a dead putter's recovery " + c.get(POOL_MAILBOX_ORPHAN));
        row(out, "refs", "created " + c.get(REFS_CREATE) + ", retained " + c.get(REFS_RETAIN) + ", released "
            + c.get(REFS_RELEASE) + " (" + c.get(REFS_ZERO) + " to zero), directory entries found stale "
            + c.get(REFS_STALE));
        row(out, "locks", "transfers " + c.get(LOCKS_TRANSFER) + ", audits " + c.get(LOCKS_AUDIT) + ", aborts "
            + aborts(c) + ", gave up " + c.get(LOCKS_GAVE_UP) + ", witnesses of killed holders "
            + c.get(LOCKS_STALE_WITNESS));
        final long checkerRecoveries = check.lines().stream().filter(l -> l.startsWith(SoakCheckCommand.RECOVERY + " ")).count();
        final long checkerCompleted = check.lines().stream()
            .filter(l -> l.startsWith(SoakCheckCommand.RECOVERY + " ") && l.contains(" completed=true ")).count();
        row(out, "recoveries", "slots recovered by workers " + c.get(RECOVER_SLOTS) + " (watchdogs, attach and "
            + c.get(RECOVER_CALLS) + " recoverDeadSlots() calls), by the end check " + checkerCompleted
            + (checkerCompleted == checkerRecoveries ? "" : " (of " + checkerRecoveries + " attempts)")
            + "; attach refusals " + c.get(ATTACH_REFUSED));
        row(out, "failures", Long.toString(failures));
        for (final SoakCoordinator.Failures.Group group : coordinator.failures().groups())
        {
            out.println("    " + group.count + " x " + group.first);
        }
        final List<SoakCoordinator.Failures.Group> notes = coordinator.failures().notes();
        if (!notes.isEmpty())
        {
            row(out, "notes", "(expected events, the first of each kind; a worker notes at most "
                + SoakWorkerCommand.MAX_NOTES + ")");
            notes.forEach(n -> out.println("    " + n.count + " x " + n.first));
        }
        final boolean checkPassed = check.passed();
        row(out, "end check", (checkPassed ? "PASS" : "FAIL") + " (exit code " + check.exitCode() + ")");
        check.lines().forEach(l -> out.println("    " + l));
        final boolean passed = checkPassed && failures == 0;
        row(out, RESULT, passed ? "PASS" : "FAIL");
        out.flush();
        return passed;
    }

    private static String aborts(final SoakCounter.Counters c)
    {
        long total = 0;
        final List<String> byReason = new ArrayList<>();
        for (final AbortReason reason : AbortReason.values())
        {
            final long n = c.get(SoakCounter.abort(reason));
            total += n;
            if (n > 0)
            {
                byReason.add(reason + " " + n);
            }
        }
        return total + (byReason.isEmpty() ? "" : " (" + String.join(", ", byReason) + ")");
    }

    private static void row(final PrintWriter out, final String label, final String text)
    {
        out.println(String.format(Locale.ROOT, ROW, label, text).stripTrailing());
    }
}
