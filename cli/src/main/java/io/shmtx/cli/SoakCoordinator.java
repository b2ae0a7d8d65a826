package io.shmtx.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The soak's coordinator: starts the worker JVMs, kills a random one with SIGKILL at random
 * intervals and starts it again, watches them (a worker that exits on its own, never attaches,
 * stops reporting, or crashes the JVM is a failure), collects what they report, and at the end
 * kills every worker and runs the end check in a fresh JVM.
 *
 * <p>Not threadsafe except where noted: the run loop is one thread; the workers' output threads
 * only touch their {@link Worker} and the synchronized {@link Failures}.
 */
final class SoakCoordinator
{
    /** A worker that has not attached this long after its start is a failure (JVM start included). */
    static final long START_LIMIT_SECONDS = 60;
    /** A worker that printed no STATS line this long is hung. */
    static final long SILENCE_LIMIT_SECONDS = 30;
    /** How long a SIGKILLed worker or the checker may take to end. */
    static final long END_LIMIT_MILLIS = 30_000;
    /** How long the end check may take. */
    static final long CHECK_LIMIT_MILLIS = 180_000;
    /** Exit code of a process killed by SIGKILL. */
    static final int SIGKILL_EXIT = 128 + 9;
    /** How long a mass kill waits for every worker to be attached before it is given up. */
    static final long MASS_KILL_WAIT_SECONDS = 20;
    private static final long PROGRESS_SECONDS = 10;
    private static final long TICK_MILLIS = 50;
    private static final String JVM_CRASH = "A fatal error has been detected by the Java Runtime Environment";

    /**
     * What the soak runs with.
     *
     * @param file      the region, created already.
     * @param workDir   the workers' working directory (fatal error logs go there).
     * @param workers   worker JVMs.
     * @param threads   threads per worker.
     * @param duration  how long workers are killed and restarted.
     * @param killEvery the range of the interval between two kills.
     * @param seed      seed of the kill schedule and of the workers' choices.
     */
    record Settings(Path file, Path workDir, int workers, int threads, Duration duration, Durations.Range killEvery,
        long seed)
    {
    }

    /**
     * Outcome of the end check.
     *
     * @param exitCode the checker's exit code (-1 when it did not end in time).
     * @param lines    what it printed.
     */
    record CheckResult(int exitCode, List<String> lines)
    {
        boolean passed()
        {
            return exitCode == 0 && lines.contains(SoakCheckCommand.PASSED);
        }
    }

    private final Settings settings;
    private final PrintWriter out;
    private final SplittableRandom random;
    private final Worker[] current;
    private final List<Worker> all = new ArrayList<>();
    private final Failures failures = new Failures();
    private volatile SoakChild checker;
    private int kills;
    private int killsWhileStarting;
    private int finalKills;
    private int pairKills;
    private int massKills;
    private int massKillsGivenUp;
    private long massKillSince;
    private long startNanos;
    private long endNanos;

    SoakCoordinator(final Settings settings, final PrintWriter out)
    {
        this.settings = settings;
        this.out = out;
        this.random = new SplittableRandom(settings.seed());
        this.current = new Worker[settings.workers()];
    }

    /**
     * Runs the workers for the duration, killing and restarting them, then kills them all.
     *
     * @throws InterruptedException when interrupted.
     */
    void run() throws InterruptedException
    {
        startNanos = System.nanoTime();
        final long deadline = startNanos + settings.duration().toNanos();
        for (int i = 0; i < current.length; i++)
        {
            start(i);
        }
        long nextKill = startNanos + nextInterval();
        long nextProgress = startNanos + TimeUnit.SECONDS.toNanos(PROGRESS_SECONDS);
        while (true)
        {
            final long now = System.nanoTime();
            if (now >= deadline)
            {
                break;
            }
            TimeUnit.NANOSECONDS.sleep(Math.min(TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS),
                Math.max(0, Math.min(nextKill, deadline) - now)));
            supervise();
            if (massKillSince != 0)
            {
                if (massKill())
                {
                    nextKill = System.nanoTime() + nextInterval();
                }
            }
            else if (System.nanoTime() >= nextKill && System.nanoTime() < deadline)
            {
                killSome();
                nextKill = System.nanoTime() + nextInterval();
            }
            if (System.nanoTime() >= nextProgress)
            {
                progress();
                nextProgress += TimeUnit.SECONDS.toNanos(PROGRESS_SECONDS);
            }
        }
        endNanos = System.nanoTime();
        awaitAttached();
        final List<Worker> alive = new ArrayList<>();
        for (final Worker worker : current)
        {
            if (worker.child.isAlive())
            {
                alive.add(worker);
            }
            else
            {
                endedOnItsOwn(worker);
            }
        }
        finalKills = alive.size();
        kill(alive);
        crashLogs();
    }

    /**
     * Waits (bounded, still supervising) until every worker is attached, so that the final kill
     * leaves every slot of the table dead (with as many slots as workers): the end check must
     * attach to such a table.
     */
    private void awaitAttached() throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_LIMIT_SECONDS + 1);
        while (System.nanoTime() < deadline && !allAttached())
        {
            TimeUnit.MILLISECONDS.sleep(TICK_MILLIS);
            supervise();
        }
    }

    private boolean allAttached()
    {
        return Arrays.stream(current).allMatch(w -> w.readyNanos != 0);
    }

    /** A fatal error log in the workers' directory is a JVM crash, even one whose output line was lost. */
    private void crashLogs()
    {
        try (Stream<Path> files = Files.list(settings.workDir()))
        {
            files.filter(p -> p.getFileName().toString().startsWith("hs_err"))
                .forEach(p -> failures.add("a JVM", "crashed: fatal error log " + p));
        }
        catch (final IOException ex)
        {
            failures.add("coordinator", "cannot list " + settings.workDir() + " for JVM crash logs: " + ex);
        }
    }

    /**
     * Runs the end check in a fresh JVM (every worker must be dead).
     *
     * @return what it found.
     * @throws InterruptedException when interrupted.
     */
    CheckResult check() throws InterruptedException
    {
        final List<String> lines = Collections.synchronizedList(new ArrayList<>());
        final SoakChild child = SoakChild.start("check", settings.workDir(),
            List.of("soak-check", settings.file().toString()), lines::add);
        checker = child;
        if (!child.awaitEnd(CHECK_LIMIT_MILLIS))
        {
            child.destroy();
            failures.add("end check (pid " + child.pid() + ")", "did not end within " + CHECK_LIMIT_MILLIS / 1000
                + " s; killed");
            return new CheckResult(-1, copy(lines));
        }
        return new CheckResult(child.exitCode(), copy(lines));
    }

    /** Kills every child still running (for a shutdown hook); never throws. Threadsafe. */
    void destroyAll()
    {
        synchronized (all)
        {
            all.forEach(w -> w.child.destroy());
        }
        final SoakChild check = checker;
        if (check != null)
        {
            check.destroy();
        }
    }

    private static List<String> copy(final List<String> lines)
    {
        synchronized (lines)
        {
            return new ArrayList<>(lines);
        }
    }

    private long nextInterval()
    {
        final long min = settings.killEvery().min().toNanos();
        final long max = settings.killEvery().max().toNanos();
        return min == max ? min : min + random.nextLong(max - min + 1);
    }

    private void start(final int index)
    {
        final int incarnation = current[index] == null ? 0 : current[index].incarnation + 1;
        final Worker worker = new Worker(index, incarnation, failures);
        worker.child = SoakChild.start("worker-" + index + "." + incarnation, settings.workDir(), List.of(
            "soak-worker", settings.file().toString(),
            "--index=" + index, "--incarnation=" + incarnation, "--threads=" + settings.threads(),
            "--seed=" + settings.seed()), worker::onLine);
        current[index] = worker;
        synchronized (all)
        {
            all.add(worker);
        }
    }

    /** Restarts a worker that ended on its own, and kills and restarts one that never attached or went silent. */
    private void supervise() throws InterruptedException
    {
        final long now = System.nanoTime();
        for (int i = 0; i < current.length; i++)
        {
            final Worker worker = current[i];
            if (!worker.child.isAlive())
            {
                endedOnItsOwn(worker);
                start(i);
            }
            else if (worker.readyNanos == 0 && now - worker.startNanos > TimeUnit.SECONDS.toNanos(START_LIMIT_SECONDS))
            {
                failures.add(worker.label(), "did not attach within " + START_LIMIT_SECONDS + " s of its start; last output: "
                    + worker.tail());
                kill(worker);
                start(i);
            }
            else if (worker.readyNanos != 0
                && now - Math.max(worker.readyNanos, worker.statsNanos) > TimeUnit.SECONDS.toNanos(SILENCE_LIMIT_SECONDS))
            {
                failures.add(worker.label(), "printed no STATS line for " + SILENCE_LIMIT_SECONDS + " s: hung; last output: "
                    + worker.tail());
                kill(worker);
                start(i);
            }
        }
    }

    private void endedOnItsOwn(final Worker worker) throws InterruptedException
    {
        worker.child.awaitEnd(END_LIMIT_MILLIS); // read its last lines
        failures.add(worker.label(), "exited on its own with code " + worker.child.exitCode() + "; last output: "
            + worker.tail());
    }

    /**
     * One kill event: usually one random worker; one time in eight two at once (two dead slots to
     * recover at the same time, by several threads of each survivor). A victim is an attached
     * worker, one time in eight a starting one (it may be attaching, or recovering as it attaches).
     * One time in forty, a mass kill instead: see {@link #massKill()}.
     */
    private void killSome() throws InterruptedException
    {
        final int r = random.nextInt(40);
        if (r == 0 && current.length > 1)
        {
            massKillSince = System.nanoTime();
            massKill();
            return;
        }
        final List<Integer> candidates = candidates();
        final int n = Math.min(candidates.size(), r < 6 ? 2 : 1);
        final List<Worker> victims = new ArrayList<>();
        for (int k = 0; k < n; k++)
        {
            victims.add(current[candidates.remove(random.nextInt(candidates.size()))]);
        }
        pairKills += n == 2 ? 1 : 0;
        killAndRestart(victims);
    }

    /**
     * Kills every worker at once as soon as all are attached (other kills wait meanwhile, at most
     * {@value #MASS_KILL_WAIT_SECONDS} s): the restarted workers then find a table whose every slot
     * is dead, and the first to attach has to recover one without a slot of its own.
     *
     * @return whether the mass kill is over (done, or given up).
     */
    private boolean massKill() throws InterruptedException
    {
        if (allAttached())
        {
            massKillSince = 0;
            massKills++;
            killAndRestart(List.of(current));
            return true;
        }
        if (System.nanoTime() - massKillSince > TimeUnit.SECONDS.toNanos(MASS_KILL_WAIT_SECONDS))
        {
            massKillSince = 0;
            massKillsGivenUp++;
            return true;
        }
        return false;
    }

    private void killAndRestart(final List<Worker> victims) throws InterruptedException
    {
        for (final Worker victim : victims)
        {
            kills++;
            killsWhileStarting += victim.readyNanos == 0 ? 1 : 0;
        }
        kill(victims);
        for (final Worker victim : victims)
        {
            start(victim.index);
        }
    }

    /** Indices of the attached workers; one time in eight (or when none is attached) of those starting for 300 ms. */
    private List<Integer> candidates()
    {
        final long now = System.nanoTime();
        final List<Integer> ready = new ArrayList<>();
        final List<Integer> starting = new ArrayList<>();
        for (int i = 0; i < current.length; i++)
        {
            if (current[i].readyNanos != 0)
            {
                ready.add(i);
            }
            else if (now - current[i].startNanos > TimeUnit.MILLISECONDS.toNanos(300))
            {
                starting.add(i);
            }
        }
        return !starting.isEmpty() && (ready.isEmpty() || random.nextInt(8) == 0) ? starting : ready;
    }

    /** Sends SIGKILL to every worker first, then waits for each to end: none lives to recover the others' slots. */
    private void kill(final List<Worker> workers) throws InterruptedException
    {
        for (final Worker worker : workers)
        {
            worker.child.signalKill();
        }
        for (final Worker worker : workers)
        {
            kill(worker);
        }
    }

    private void kill(final Worker worker) throws InterruptedException
    {
        if (!worker.child.kill(END_LIMIT_MILLIS))
        {
            failures.add(worker.label(), "did not end within " + END_LIMIT_MILLIS / 1000 + " s of SIGKILL");
            return;
        }
        final int code = worker.child.exitCode();
        if (code != SIGKILL_EXIT)
        {
            failures.add(worker.label(), "ended with code " + code + " when killed (SIGKILL gives " + SIGKILL_EXIT
                + "): it had exited on its own; last output: " + worker.tail());
        }
    }

    private void progress()
    {
        final long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNanos);
        int ready = 0;
        for (final Worker worker : current)
        {
            ready += worker.readyNanos != 0 ? 1 : 0;
        }
        final SoakCounter.Counters totals = totals();
        out.println(String.format(Locale.ROOT, "  %4d s: kills %d, workers attached %d/%d, operations %d,"
            + " slots recovered %d, failures %d", seconds, kills, ready, current.length, totals.operations(),
            totals.get(SoakCounter.RECOVER_SLOTS), failureCount()));
        out.flush();
    }

    /** The workers' counters summed over every incarnation (each as of its last STATS line). */
    SoakCounter.Counters totals()
    {
        final SoakCounter.Counters totals = new SoakCounter.Counters();
        synchronized (all)
        {
            all.forEach(w -> totals.addAll(w.counters));
        }
        return totals;
    }

    /** Failures seen: the coordinator's own, and per worker the larger of its failure counter and its FAIL lines. */
    long failureCount()
    {
        long count = failures.coordinatorCount();
        synchronized (all)
        {
            for (final Worker worker : all)
            {
                count += Math.max(worker.counters.get(SoakCounter.FAILURES), worker.failLines);
            }
        }
        return count;
    }

    Failures failures()
    {
        return failures;
    }

    int workerStarts()
    {
        synchronized (all)
        {
            return all.size();
        }
    }

    int kills()
    {
        return kills;
    }

    int killsWhileStarting()
    {
        return killsWhileStarting;
    }

    int finalKills()
    {
        return finalKills;
    }

    /**
     * How long workers took from their start to attaching (JVM start included), in ms.
     *
     * @return the median and the longest, or zeros when none attached.
     */
    long[] attachMillis()
    {
        final List<Long> times = new ArrayList<>();
        synchronized (all)
        {
            for (final Worker worker : all)
            {
                final long ready = worker.readyNanos;
                if (ready != 0)
                {
                    times.add(TimeUnit.NANOSECONDS.toMillis(ready - worker.startNanos));
                }
            }
        }
        if (times.isEmpty())
        {
            return new long[] {0, 0};
        }
        Collections.sort(times);
        return new long[] {times.get(times.size() / 2), times.get(times.size() - 1)};
    }

    int pairKills()
    {
        return pairKills;
    }

    int massKills()
    {
        return massKills;
    }

    int massKillsGivenUp()
    {
        return massKillsGivenUp;
    }

    Duration elapsed()
    {
        return Duration.ofNanos(endNanos - startNanos);
    }

    /**
     * One incarnation of a worker: its child JVM and what it reported.
     *
     * <p>Threadsafe: written by its output thread, read by the run loop.
     */
    static final class Worker
    {
        private static final int TAIL = 8;

        final int index;
        final int incarnation;
        final long startNanos = System.nanoTime();
        final SoakCounter.Counters counters = new SoakCounter.Counters();
        final Failures failures;
        volatile SoakChild child;
        volatile long readyNanos;
        volatile long statsNanos;
        volatile int failLines;
        private final Deque<String> tail = new ArrayDeque<>();

        Worker(final int index, final int incarnation, final Failures failures)
        {
            this.index = index;
            this.incarnation = incarnation;
            this.failures = failures;
        }

        String label()
        {
            final SoakChild c = child;
            return "worker " + index + "." + incarnation + (c == null ? "" : " (pid " + c.pid() + ")");
        }

        void onLine(final String line)
        {
            if (line.startsWith(SoakWorkerCommand.STATS + " "))
            {
                counters.parse(line.substring(SoakWorkerCommand.STATS.length() + 1));
                statsNanos = System.nanoTime();
                return;
            }
            if (line.startsWith(SoakWorkerCommand.READY + " "))
            {
                readyNanos = System.nanoTime();
            }
            else if (line.startsWith(SoakWorkerCommand.FAIL + " "))
            {
                failLines++;
                failures.addWorker(label(), line.substring(SoakWorkerCommand.FAIL.length() + 1));
            }
            else if (line.startsWith(SoakWorkerCommand.NOTE + " "))
            {
                failures.note(label(), line.substring(SoakWorkerCommand.NOTE.length() + 1));
            }
            else if (line.contains(JVM_CRASH))
            {
                failures.add(label(), "the JVM crashed: " + line);
            }
            else if (line.startsWith("Exception in thread"))
            {
                failures.add(label(), "uncaught: " + line);
            }
            synchronized (tail)
            {
                tail.addLast(line);
                if (tail.size() > TAIL)
                {
                    tail.removeFirst();
                }
            }
        }

        String tail()
        {
            synchronized (tail)
            {
                return tail.isEmpty() ? "(none)" : String.join(" | ", tail);
            }
        }
    }

    /**
     * Failures and notes from every source, grouped by kind for the summary (a kind is the text
     * with its numbers blanked, so one bug hit many times shows once, with a count and its first
     * occurrence).
     *
     * <p>Threadsafe.
     */
    static final class Failures
    {
        /** Longest text kept of a group's first occurrence. */
        private static final int FIRST_CHARS = 1500;
        /** How much of a failure's text (numbers blanked) tells its kind: enough to tell recovery steps apart. */
        private static final int FAILURE_KEY = 600;
        /** How much of a note's text tells its kind (the process tables that follow vary). */
        private static final int NOTE_KEY = 120;

        private final Map<String, Group> groups = new LinkedHashMap<>();
        private final Map<String, Group> notes = new LinkedHashMap<>();
        private long coordinatorCount;

        /** One kind of failure or note: how often, and the first occurrence. */
        static final class Group
        {
            long count;
            final String first;

            Group(final String first)
            {
                this.first = first.length() > FIRST_CHARS ? first.substring(0, FIRST_CHARS) + "..." : first;
            }
        }

        /** A failure the coordinator found. */
        synchronized void add(final String who, final String text)
        {
            coordinatorCount++;
            group(groups, FAILURE_KEY, who, text);
        }

        /** A failure a worker reported (its counter counts it; the group shows it). */
        synchronized void addWorker(final String who, final String text)
        {
            group(groups, FAILURE_KEY, who, text);
        }

        /** An expected event worth showing (a worker's first attach refusals). */
        synchronized void note(final String who, final String text)
        {
            group(notes, NOTE_KEY, who, text);
        }

        private static void group(final Map<String, Group> into, final int keyChars, final String who, final String text)
        {
            final String kind = text.replaceAll("0x[0-9a-f]+|\\d+", "#");
            into.computeIfAbsent(kind.length() > keyChars ? kind.substring(0, keyChars) : kind,
                k -> new Group(who + ": " + text)).count++;
        }

        synchronized long coordinatorCount()
        {
            return coordinatorCount;
        }

        synchronized List<Group> groups()
        {
            return new ArrayList<>(groups.values());
        }

        synchronized List<Group> notes()
        {
            return new ArrayList<>(notes.values());
        }
    }
}
