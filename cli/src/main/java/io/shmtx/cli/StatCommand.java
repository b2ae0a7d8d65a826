package io.shmtx.cli;

import io.shmtx.region.Region;

import java.io.Console;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code shmtx stat FILE}: the pool statistics of a region, its lock table's, reference counts'
 * and transactions' diagnostics when it has them, once or refreshed until interrupted. Opens the
 * region read-only ({@link Region#openReadOnly}: read access is enough; it never attaches, never
 * runs recovery, writes and creates nothing), and its pool, lock table and reference counts on it.
 * Exits 1 when a value read could not be true (printed as UNREADABLE), after printing the rest.
 *
 * <p>Not threadsafe: picocli fills one instance per command line.
 *
 * <p>Bounded: each refresh reads the region once (the leak report scans every block header, the
 * locks part the lock table, the references part every ledger and count word, the transactions
 * part every transaction log's header and counters); the
 * wait between refreshes ends at once on Ctrl-C, when a shutdown hook asks the loop to stop and
 * waits (at most {@link #STOP_WAIT}) until it has closed what it opened and the region.
 */
@Command(
    name = "stat",
    mixinStandardHelpOptions = true,
    description = {
        "Print a region's statistics: a header (file; time and attached processes), the pool's tier table (block"
            + " size, capacity, reserve, in use, outstanding incl. thread caches, high-water, utilisation, allocations,"
            + " frees, failures, fallbacks, fragmentation) and overall utilisation.",
        "With a lock table (create --locks): the policy, the counters (grants, waits, wounds, aborts by reason),"
            + " the locks each process slot holds and the wait-for graph. With reference counts (create --refcounts):"
            + " the handles and references each process slot holds and the count of orphans (blocks no live process"
            + " holds a reference to). With a consistency section (a region made by SharedMemory): the model in force"
            + " and its epoch, switches, commits, aborts by reason, retries, retry() waits, CAUSAL versions alive and"
            + " the transaction logs in use, summed over every process since the region was made.",
        "Lines fit in 100 columns. A value read from the region that cannot be true prints as UNREADABLE (exit 1).",
        "Refreshes every --interval-ms until interrupted (Ctrl-C), clearing the screen when standard output is a"
            + " terminal; --once prints once. Reads only: read access to FILE (and to FILE.lock, if there is one) is"
            + " enough; nothing is written or created.",
    })
final class StatCommand implements Callable<Integer>
{
    /** How long a shutdown hook waits for the loop to close the region. */
    static final Duration STOP_WAIT = Duration.ofSeconds(2);

    private static final String CLEAR_SCREEN = "\033[H\033[2J";
    private static final long MIN_INTERVAL_MS = 10;
    private static final long MAX_INTERVAL_MS = 3_600_000;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE",
        description = "Region file. Symbolic links are resolved: the lock file is the one beside the real file.")
    private Path file;

    @Option(names = "--once", description = "Print once and exit.")
    private boolean once;

    @Option(names = "--interval-ms", paramLabel = "MS", defaultValue = "1000",
        description = "Time between refreshes, " + MIN_INTERVAL_MS + " to " + MAX_INTERVAL_MS + " ms."
            + " Default: ${DEFAULT-VALUE}.")
    private long intervalMs;

    @Option(names = "--count", paramLabel = "N", defaultValue = "0",
        description = "Stop after N refreshes (0: until interrupted). Default: ${DEFAULT-VALUE}.")
    private long count;

    @Option(names = "--leaks-older-than-ms", paramLabel = "MS",
        description = "Also list the blocks allocated MS ms ago or earlier and not freed: handle, owner slot, its pid,"
            + " age, block size; and with reference counts, the references taken MS ms ago or earlier and still held:"
            + " slot, handle, references, age. Ages come from the region's coarse clock, which only advances while a"
            + " process is attached.")
    private Long leaksOlderThanMs;

    @Option(names = "--patterns",
        description = "Also print the request-size histogram (requests per power-of-two size; how well they fit the"
            + " tiers is in the tier table: FRAG%%, FALLBACKS, FAILS).")
    private boolean patterns;

    @Option(names = "--orphans",
        description = "With reference counts: also list the handles of the orphans (shared blocks no live process"
            + " holds a reference to).")
    private boolean orphans;

    @Override
    public Integer call()
    {
        validate();
        final PrintWriter out = spec.commandLine().getOut();
        final Path real = RegionPaths.canonical(file);
        final long refreshes = once ? 1 : count;
        if (refreshes == 1)
        {
            try (Region region = open(real); StatView.Readers readers = StatView.open(region))
            {
                return Main.unreadable(spec.commandLine(), real, print(out, region, readers));
            }
        }
        final CountDownLatch stopRequested = new CountDownLatch(1);
        final CountDownLatch stopped = new CountDownLatch(1);
        final Thread onExit = new Thread(() -> stop(stopRequested, stopped), "shmtx-stat-stop");
        Runtime.getRuntime().addShutdownHook(onExit);
        try
        {
            return Main.unreadable(spec.commandLine(), real, watch(out, real, refreshes, stopRequested));
        }
        finally
        {
            stopped.countDown(); // the region and its readers are closed by now
            removeShutdownHook(onExit);
        }
    }

    private void validate()
    {
        if (intervalMs < MIN_INTERVAL_MS || intervalMs > MAX_INTERVAL_MS)
        {
            throw new ParameterException(spec.commandLine(), "invalid value for --interval-ms: " + intervalMs
                + " is not in " + MIN_INTERVAL_MS + ".." + MAX_INTERVAL_MS);
        }
        if (count < 0)
        {
            throw new ParameterException(spec.commandLine(), "invalid value for --count: " + count + " is negative");
        }
        if (once && count > 1)
        {
            throw new ParameterException(spec.commandLine(), "--once contradicts --count " + count);
        }
        if (leaksOlderThanMs != null && leaksOlderThanMs < 0)
        {
            throw new ParameterException(spec.commandLine(), "invalid value for --leaks-older-than-ms: "
                + leaksOlderThanMs + " is negative");
        }
    }

    /**
     * Read-only: this process never attaches nor runs recovery, needs only read access, and
     * creates nothing (no lock file either).
     */
    private static Region open(final Path real)
    {
        return Region.openReadOnly(real);
    }

    /** Prints once; returns what could not be true (printed as UNREADABLE). */
    private List<String> print(final PrintWriter out, final Region region, final StatView.Readers readers)
    {
        return StatView.print(out, region, readers, leaksOlderThanMs == null ? StatView.NO_LEAK_REPORT : leaksOlderThanMs,
            patterns, orphans, "");
    }

    /** Prints until stopped; returns what could not be true in the last refresh that found something. */
    private List<String> watch(final PrintWriter out, final Path real, final long refreshes,
        final CountDownLatch stopRequested)
    {
        final boolean terminal = stdoutIsTerminal();
        List<String> problems = List.of();
        try (Region region = open(real); StatView.Readers readers = StatView.open(region))
        {
            final Object fileKey = fileKey(real);
            for (long n = 1; refreshes == 0 || n <= refreshes; n++)
            {
                if (!Objects.equals(fileKey, fileKey(real)))
                {
                    throw new CliException("region " + real + " was deleted or replaced while watching it");
                }
                if (terminal)
                {
                    out.print(CLEAR_SCREEN);
                }
                else if (n > 1)
                {
                    out.println();
                }
                final List<String> found = print(out, region, readers);
                problems = found.isEmpty() ? problems : found;
                if ((refreshes != 0 && n == refreshes) || stopRequested.await(intervalMs, TimeUnit.MILLISECONDS))
                {
                    return problems;
                }
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt(); // stop, like Ctrl-C; the caller sees the flag
        }
        return problems;
    }

    /**
     * The shutdown hook's work: ask the loop to stop, then give it a bounded time to close the
     * pool and the region. (Not an interrupt: it would close the region's lock file channel.)
     */
    private static void stop(final CountDownLatch stopRequested, final CountDownLatch stopped)
    {
        stopRequested.countDown();
        try
        {
            stopped.await(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static void removeShutdownHook(final Thread hook)
    {
        try
        {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        catch (final IllegalStateException ex)
        {
            // the JVM is shutting down (Ctrl-C): the hook is running, and the loop has stopped
        }
    }

    /** The file's identity (device and inode on Linux), or null when it is gone. */
    private static Object fileKey(final Path real)
    {
        try
        {
            return Files.readAttributes(real, BasicFileAttributes.class).fileKey();
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    /**
     * Whether standard output is a terminal (conservatively: standard input too).
     * {@code System.console()} is null when they are not on JDK 17 to 21 and again on 25 (checked
     * on Temurin 25); JDK 22 to 24 return a console even then, and {@code Console.isTerminal()}
     * (JDK 22+, looked up reflectively: this class is compiled for 17) tells.
     */
    static boolean stdoutIsTerminal()
    {
        final Console console = System.console();
        if (console == null)
        {
            return false;
        }
        try
        {
            final Method isTerminal = Console.class.getMethod("isTerminal");
            return (Boolean)isTerminal.invoke(console);
        }
        catch (final NoSuchMethodException ex)
        {
            return true; // before JDK 22 a console exists only when standard input and output are a terminal
        }
        catch (final ReflectiveOperationException | RuntimeException ex)
        {
            return false;
        }
    }
}
