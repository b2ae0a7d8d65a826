package io.shmtx.cli;

import io.shmtx.deadlock.LockManager;
import io.shmtx.deadlock.LockPolicy;
import io.shmtx.pool.TieredPool;
import io.shmtx.refcount.RefCounts;
import io.shmtx.region.Region;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code shmtx soak}: worker JVMs doing pool, reference-count and lock-table work on one region,
 * killed with SIGKILL at random and restarted, for a chosen duration; then a fresh JVM checks that
 * nothing leaked and nothing is held. See {@link SoakCoordinator}, {@link SoakWorkload} (what the
 * workers do and check) and {@link SoakCheckCommand} (the end check).
 *
 * <p>Not threadsafe: picocli fills one instance per command line.
 */
@Command(
    name = "soak",
    mixinStandardHelpOptions = true,
    description = {
        "Soak test with real processes: worker JVMs doing pool, reference-count and lock-table work, killed with"
            + " SIGKILL at random and restarted; then a fresh JVM checks that nothing leaked and nothing is held.",
        "",
        "Creates a region (pool, reference counts, lock table; as many process slots as workers) and starts worker JVMs"
            + " (default JIT) whose threads allocate and free pool blocks, hand blocks between processes, retain and"
            + " release shared blocks, run transfers and audits under the lock table with an isolation witness, and"
            + " recover dead slots (every thread may, the watchdog too); kills a random worker with SIGKILL at random"
            + " intervals (sometimes two, sometimes all) and starts it again. At the end it kills every worker at once and"
            + " checks, in a fresh JVM, that attaching recovers them all, the pool validates with only the soak's own"
            + " blocks allocated, no reference or lock is held and no other slot is in use; it prints the counts. Exit 0"
            + " only when no worker reported a failure and every end check passed.",
    },
    footer = {
        "",
        "Exit codes: 0 every check passed, 1 a failure (the summary names it) or a runtime error, 2 usage error.",
    })
final class SoakCommand implements Callable<Integer>
{
    private static final String REGION_FILE = "soak.region";

    @Spec
    private CommandSpec spec;

    @Option(names = "--workers", paramLabel = "N", defaultValue = "4",
        description = "Worker JVMs (1 to 64). Default: ${DEFAULT-VALUE}.")
    private int workers;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "2",
        description = "Threads per worker (1 to 32). Default: ${DEFAULT-VALUE}.")
    private int threads;

    @Option(names = "--duration", paramLabel = "TIME", defaultValue = "5m", converter = Durations.class,
        description = "How long workers are killed and restarted, e.g. 90s, 5m, 1h. Default: ${DEFAULT-VALUE}.")
    private Duration duration;

    @Option(names = "--policy", paramLabel = "POLICY", defaultValue = "WAIT_DIE",
        description = "Lock policy: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.")
    private LockPolicy policy;

    @Option(names = "--kill-every", paramLabel = "RANGE", defaultValue = "200-800ms",
        converter = Durations.RangeConverter.class,
        description = "Interval between two kills, uniform in the range, e.g. 200-800ms, 1s-3s, 500ms (at least 10ms)."
            + " Default: ${DEFAULT-VALUE}.")
    private Durations.Range killEvery;

    @Option(names = "--file", paramLabel = "FILE",
        description = "Region file to create (it must not exist). Default: a new temporary directory under /dev/shm.")
    private Path file;

    @Option(names = "--seed", paramLabel = "N",
        description = "Seed of the kill schedule and the workers' choices (timing still varies). Default: random, printed.")
    private Long seed;

    @Option(names = "--process-slots", paramLabel = "N",
        description = "Process slots of the region, at least the workers. Default: the number of workers, so a restarted"
            + " worker often has to recover its predecessor's slot to attach.")
    private Integer processSlots;

    @Option(names = "--keep", description = "Keep the region file at the end (it is kept anyway when a check fails).")
    private boolean keep;

    @Override
    public Integer call() throws IOException, InterruptedException
    {
        checkUsage();
        final PrintWriter out = spec.commandLine().getOut();
        final long seedValue = seed != null ? seed : System.nanoTime() ^ ProcessHandle.current().pid() << 32;
        final int slots = processSlots != null ? processSlots : workers;
        final Path workDir = Files.createTempDirectory(DemoCommand.baseDirectory(), "shmtx-soak-");
        final Path region = file != null ? RegionPaths.canonical(file) : workDir.resolve(REGION_FILE);
        final SoakCoordinator.Settings settings =
            new SoakCoordinator.Settings(region, workDir, workers, threads, duration, killEvery, seedValue);
        try
        {
            create(region, slots);
        }
        catch (final RuntimeException ex)
        {
            DemoCommand.deleteAll(workDir.resolve(REGION_FILE), workDir);
            throw ex;
        }
        boolean passed = false;
        try
        {
            out.println("shmtx soak: " + workers + " workers x " + threads + " threads, policy " + policy + ", kill every "
                + killEvery + ", for " + Durations.text(duration) + ", seed " + seedValue);
            out.println("  region " + region + " (" + slots + " process slots); workers run in " + workDir);
            out.flush();
            passed = run(out, settings);
        }
        finally
        {
            cleanUp(out, region, workDir, passed);
        }
        return passed ? 0 : Main.EXIT_ERROR;
    }

    private void checkUsage()
    {
        final String error = workers < 1 || workers > 64 ? "--workers=" + workers + " must be in 1..64"
            : threads < 1 || threads > 32 ? "--threads=" + threads + " must be in 1..32"
            : duration.isZero() || duration.isNegative() ? "--duration=" + Durations.text(duration) + " must be positive"
            : killEvery.min().toMillis() < 10 ? "--kill-every=" + killEvery + " must be at least 10ms"
            : processSlots != null && (processSlots < workers || processSlots > 4096)
                ? "--process-slots=" + processSlots + " must be in " + workers + "..4096 (at least the workers)"
            : null;
        if (error != null)
        {
            throw new ParameterException(spec.commandLine(), error);
        }
    }

    /** Creates the region and the soak's own blocks, as a process that attaches, formats and detaches. */
    private void create(final Path region, final int slots)
    {
        try (Region created = Region.create(region, SoakLayout.regionConfig(slots, threads, policy));
            TieredPool pool = TieredPool.open(created))
        {
            RefCounts.open(created, pool);
            LockManager.open(created);
            created.attach();
            SoakLayout.format(created, pool);
        }
    }

    private boolean run(final PrintWriter out, final SoakCoordinator.Settings settings) throws InterruptedException
    {
        final SoakCoordinator coordinator = new SoakCoordinator(settings, out);
        final Thread killChildren = new Thread(coordinator::destroyAll, "shmtx-soak-cleanup");
        Runtime.getRuntime().addShutdownHook(killChildren);
        try
        {
            coordinator.run();
            out.println("  every worker killed; end check in a fresh JVM");
            out.flush();
            final SoakCoordinator.CheckResult check = coordinator.check();
            return SoakSummary.print(out, settings, coordinator, check);
        }
        finally
        {
            coordinator.destroyAll();
            try
            {
                Runtime.getRuntime().removeShutdownHook(killChildren);
            }
            catch (final IllegalStateException ex)
            {
                // the JVM is shutting down: the hook runs and finds nothing left to kill
            }
        }
    }

    /** Deletes the region and the work directory after a pass; keeps the region (and any JVM crash log) otherwise. */
    private void cleanUp(final PrintWriter out, final Path region, final Path workDir, final boolean passed) throws IOException
    {
        final boolean crashLogs;
        try (Stream<Path> files = Files.list(workDir))
        {
            crashLogs = files.anyMatch(p -> p.getFileName().toString().startsWith("hs_err"));
        }
        if (!passed || keep || crashLogs)
        {
            out.println("kept " + region + (crashLogs ? " and the JVM crash logs in " + workDir : "")
                + " (shmtx inspect / shmtx stat read it; delete the file and its .lock when done)");
            if (!region.startsWith(workDir) && !crashLogs)
            {
                DemoCommand.deleteAll(workDir.resolve(REGION_FILE), workDir);
            }
        }
        else
        {
            if (!region.startsWith(workDir))
            {
                Region.delete(region);
            }
            DemoCommand.deleteAll(workDir.resolve(REGION_FILE), workDir);
        }
        out.flush();
    }
}
