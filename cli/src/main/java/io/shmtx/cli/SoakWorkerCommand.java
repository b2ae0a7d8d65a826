package io.shmtx.cli;

import io.shmtx.deadlock.LockManager;
import io.shmtx.pool.TieredPool;
import io.shmtx.refcount.RefCounts;
import io.shmtx.region.OwnerDeathReport;
import io.shmtx.region.ProcessTableFullException;
import io.shmtx.region.Region;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code shmtx soak-worker FILE} (hidden, run by {@code soak} in its worker JVMs): opens the soak
 * region with the watchdog on, attaches (retrying while the table is full and a dead slot is being
 * recovered by someone else), prints {@code READY slot=N pid=P}, then runs {@code --threads}
 * {@link SoakWorkload}s until it is killed.
 *
 * <p>Output protocol, one line each, flushed at once (a kill loses at most the counts since the last
 * {@code STATS}): {@code STATS key=value ...} (the cumulative {@link SoakCounter}s, every
 * {@value #STATS_MILLIS} ms), {@code FAIL kind: text} (a failure, as it happens; at most
 * {@value #MAX_FAIL_LINES} lines, the {@code failures} counter counts all), {@code NOTE text} (an
 * expected event worth showing: the first attach refusals). The worker also reports a thread that
 * made no progress for {@value #STUCK_SECONDS} s, with its stack, and any error of the region's
 * watchdog. It halts when its standard input ends (the coordinator is gone).
 *
 * <p>Not threadsafe: picocli fills one instance per command line; the worker's threads share only
 * the counters and {@link #fail}.
 */
@Command(
    name = "soak-worker",
    hidden = true,
    description = "Run soak work on FILE until killed (started by shmtx soak).")
final class SoakWorkerCommand implements Callable<Integer>
{
    static final String READY = "READY";
    static final String STATS = "STATS";
    static final String FAIL = "FAIL";
    static final String NOTE = "NOTE";
    static final long STATS_MILLIS = 200;
    static final int MAX_FAIL_LINES = 40;
    static final int STUCK_SECONDS = 30;
    static final int MAX_NOTES = 5;
    private static final int MAX_LINE = 3000;
    private static final long ATTACH_SECONDS = 30;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "Soak region file.")
    private Path file;

    @Option(names = "--index", required = true, description = "Worker index (for seeds and messages).")
    private int index;

    @Option(names = "--incarnation", required = true, description = "How many times this worker was started before.")
    private int incarnation;

    @Option(names = "--threads", required = true, description = "Worker threads.")
    private int threads;

    @Option(names = "--seed", required = true, description = "The soak's seed.")
    private long seed;

    private final SoakCounter.Counters counters = new SoakCounter.Counters();
    private volatile PrintWriter out;
    private volatile SoakWorkload[] workloads;
    private volatile Thread[] workers;
    private int failLines;
    private int notes;

    @Override
    public Integer call() throws InterruptedException
    {
        out = spec.commandLine().getOut();
        haltAtEndOfInput(System.in);
        // never closed: the worker runs until it is killed, like a process that crashes
        final Region region = Region.open(RegionPaths.canonical(file), SoakLayout.WATCHDOG);
        final TieredPool pool = TieredPool.open(region);
        final RefCounts refs = RefCounts.open(region, pool);
        final LockManager locks = LockManager.open(region);
        region.addOwnerDeathListener(this::onRecovery);
        final Thread reporter = new Thread(() -> report(region), "soak-report");
        reporter.setDaemon(true);
        reporter.start(); // from now on: attach refusals and recoveries are reported even if attaching takes long
        final int slot = attach(region);
        emit(READY + " slot=" + slot + " pid=" + ProcessHandle.current().pid());
        final SoakLayout layout = SoakLayout.open(region, pool);
        final SplittableRandom seeds = new SplittableRandom(seed ^ (index * 0x9E3779B97F4A7C15L) ^ ((long)incarnation << 32));
        final SoakWorkload[] loads = new SoakWorkload[threads];
        final Thread[] started = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            loads[t] = new SoakWorkload(region, pool, refs, locks, layout, counters, this::fail, seeds.nextLong(),
                seeds.nextLong());
            started[t] = new Thread(loads[t], "soak-" + index + "." + incarnation + "-" + t);
            started[t].setDaemon(true);
        }
        workers = started;
        workloads = loads; // published last: the reporter reads workloads, then workers
        for (final Thread worker : started)
        {
            worker.start();
        }
        reporter.join(); // never ends: the worker runs until it is killed
        return 0;
    }

    /**
     * Prints the counters every {@value #STATS_MILLIS} ms, watches the region's watchdog and, once
     * they run, the worker threads; never returns.
     */
    private void report(final Region region)
    {
        boolean[] reported = new boolean[0];
        Throwable lastWatchdogError = null;
        while (true)
        {
            try
            {
                TimeUnit.MILLISECONDS.sleep(STATS_MILLIS);
            }
            catch (final InterruptedException ex)
            {
                return;
            }
            emit(STATS + " " + counters.format());
            final SoakWorkload[] running = workloads;
            final Thread[] named = workers;
            if (running != null && reported.length != running.length)
            {
                reported = new boolean[running.length];
            }
            final long now = System.nanoTime();
            for (int t = 0; running != null && t < running.length; t++)
            {
                final long idle = TimeUnit.NANOSECONDS.toSeconds(now - running[t].progressNanos());
                if (!reported[t] && idle >= STUCK_SECONDS)
                {
                    reported[t] = true;
                    fail("stuck", "thread " + named[t].getName() + " has been in one " + running[t].operation()
                        + " operation for " + idle + " s: " + stack(named[t]));
                }
            }
            final Throwable watchdogError = region.lastWatchdogError();
            if (watchdogError != null && watchdogError != lastWatchdogError)
            {
                lastWatchdogError = watchdogError;
                fail("watchdog", "the region's watchdog failed: " + SoakWorkload.describe(watchdogError));
            }
        }
    }

    private int attach(final Region region) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ATTACH_SECONDS);
        while (true)
        {
            try
            {
                return region.attach();
            }
            catch (final ProcessTableFullException ex)
            {
                // legitimate while the one slot not held by a live worker is being recovered by another process
                counters.increment(SoakCounter.ATTACH_REFUSED);
                if (System.nanoTime() > deadline)
                {
                    fail("attach", "no slot within " + ATTACH_SECONDS + " s: " + ex.getMessage() + "; process table: "
                        + region.processes());
                    throw ex;
                }
                note("attach refused (retrying): " + ex.getMessage() + "; process table: " + region.processes());
                TimeUnit.MILLISECONDS.sleep(10);
            }
        }
    }

    /** Every recovery this process runs (explicit, watchdog, attach): counted; an incomplete one is a failure. */
    private void onRecovery(final OwnerDeathReport report)
    {
        if (report.completed())
        {
            counters.increment(SoakCounter.RECOVER_SLOTS);
        }
        else
        {
            fail("recovery", "recovery of slot " + report.dead().slot() + " (pid " + report.dead().pid() + ", sequence "
                + report.dead().attachSequence() + ") by this process did not complete: " + report.stepResults());
        }
    }

    /**
     * Reports a failure at once (the first {@value #MAX_FAIL_LINES}) and counts it.
     *
     * @param kind short name.
     * @param text details.
     */
    void fail(final String kind, final String text)
    {
        counters.increment(SoakCounter.FAILURES);
        synchronized (this)
        {
            if (failLines++ < MAX_FAIL_LINES)
            {
                emit(FAIL + " " + kind + ": " + text);
            }
        }
    }

    private synchronized void note(final String text)
    {
        if (notes++ < MAX_NOTES)
        {
            emit(NOTE + " " + text);
        }
    }

    /** One line, flushed at once, cut to a size a pipe writes whole. */
    private void emit(final String line)
    {
        final String one = line.replaceAll("\\s*\\R\\s*", " ");
        synchronized (out)
        {
            out.println(one.length() > MAX_LINE ? one.substring(0, MAX_LINE) + "..." : one);
            out.flush();
        }
    }

    private static String stack(final Thread thread)
    {
        final StringBuilder text = new StringBuilder();
        for (final StackTraceElement frame : thread.getStackTrace())
        {
            text.append(text.length() == 0 ? "" : " < ").append(frame);
        }
        return text.toString();
    }

    /** The coordinator holds this process's standard input open; when it ends, the coordinator is gone. */
    private static void haltAtEndOfInput(final InputStream in)
    {
        final Thread watcher = new Thread(() ->
        {
            final byte[] bytes = new byte[64];
            try
            {
                while (in.read(bytes) >= 0)
                {
                    // discard
                }
            }
            catch (final IOException ex)
            {
                // a broken pipe ends the input too
            }
            Runtime.getRuntime().halt(0);
        }, "stdin-watch");
        watcher.setDaemon(true);
        watcher.start();
    }
}
