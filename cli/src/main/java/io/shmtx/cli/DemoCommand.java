package io.shmtx.cli;

import io.shmtx.region.OwnerDeathReport;
import io.shmtx.region.ProcessSlotInfo;
import io.shmtx.region.Region;
import io.shmtx.region.RegionConfig;
import io.shmtx.region.RegionInfo;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code shmtx demo}: a region in a fresh temporary directory, this process and two child JVMs
 * attached, one child killed with SIGKILL, its slot recovered, everything cleaned up.
 *
 * <p>Not threadsafe: picocli fills one instance per command line.
 *
 * <p>Bounded: every wait has a deadline within {@link #TIMEOUT} of the start, and the finally
 * blocks (bounded too) kill the children and delete the files whatever happened; a shutdown hook
 * does the same if the JVM is stopped (Ctrl-C) during the demo.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
        "Show attach, liveness and recovery with real processes: create a region in a temporary directory"
            + " (/dev/shm when writable), attach this process and two child JVMs, kill one child with SIGKILL,"
            + " recover its slot, then detach and delete everything. Takes a few seconds; at most ~30 s.",
    })
final class DemoCommand implements Callable<Integer>
{
    /** Budget of the demo's waits; the cleanup after it is bounded separately (a few seconds). */
    static final Duration TIMEOUT = Duration.ofSeconds(25);

    private static final String REGION_FILE = "demo.region";

    @Spec
    private CommandSpec spec;

    /** The demo's region: small, with periodic recovery off so that the recovery shown is the explicit call. */
    static RegionConfig config()
    {
        return RegionConfig.builder()
            .size(1 << 20)
            .processSlots(8)
            .rootSlots(8)
            .heartbeatInterval(Duration.ofMillis(100))
            .watchdogInterval(Duration.ZERO)
            .build();
    }

    @Override
    public Integer call() throws IOException, InterruptedException
    {
        final PrintWriter out = spec.commandLine().getOut();
        final long deadline = System.nanoTime() + TIMEOUT.toNanos();
        final Path dir = Files.createTempDirectory(baseDirectory(), "shmtx-demo-");
        final Path file = dir.resolve(REGION_FILE);
        final List<DemoChild> children = new ArrayList<>();
        final Thread cleanupOnExit = new Thread(() ->
        {
            children.forEach(DemoChild::close);
            deleteAll(file, dir);
        }, "shmtx-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanupOnExit);
        out.println("shmtx demo in " + dir + " (deleted at the end)");
        try
        {
            run(out, file, children, deadline);
        }
        finally
        {
            children.forEach(DemoChild::close); // no-op for children that exited
            final boolean deleted = deleteAll(file, dir);
            removeShutdownHook(cleanupOnExit);
            out.println(deleted ? "deleted " + dir : "could not delete all of " + dir + ": remove it by hand");
            out.flush();
        }
        out.println("demo done");
        out.flush();
        return 0;
    }

    private void run(final PrintWriter out, final Path file, final List<DemoChild> children, final long deadline)
        throws InterruptedException
    {
        final long me = ProcessHandle.current().pid();
        try (Region region = Region.create(file, config()))
        {
            out.println();
            out.println("1. created " + file + " (" + ByteSize.format(region.size()) + ", " + region.processSlots()
                + " process slots); this process (pid " + me + ") attaches");
            final int mySlot = region.attach();
            region.bindRoot("demo.answer", 42);
            region.nextTimestamp();
            out.println("   ATTACHED slot=" + mySlot + " pid=" + me + " (this process), bound root demo.answer=42");

            out.println();
            out.println("2. two child JVMs attach (shmtx attach-child)");
            children.add(DemoChild.start("child 1", file));
            children.add(DemoChild.start("child 2", file));
            final List<Integer> slots = new ArrayList<>();
            for (final DemoChild child : children)
            {
                final String line = child.awaitLine("ATTACHED ", deadline, out);
                slots.add(Integer.parseInt(line.replaceAll(".*slot=(\\d+).*", "$1")));
            }

            out.println();
            out.println("3. Region.inspect() (what shmtx inspect prints) shows three attached, live processes:");
            final RegionInfo before = region.inspect();
            RegionPrinter.processes(out, before, System.currentTimeMillis(), "   ");
            expectLive(before, Set.of(me, children.get(0).pid(), children.get(1).pid()));

            final DemoChild victim = children.get(0);
            final int victimSlot = slots.get(0);
            out.println();
            out.println("4. kill " + victim.name() + " (pid " + victim.pid() + ", slot " + victimSlot
                + ") with destroyForcibly(): SIGKILL, no chance to detach");
            final int code = victim.kill(remainingMillis(deadline));
            victim.drain(System.nanoTime(), out);
            out.println("   " + victim.name() + " exited with code " + code + "; the kernel dropped its slot lock");
            out.println("   inspect now shows its slot as dead:");
            RegionPrinter.processes(out, region.inspect(), System.currentTimeMillis(), "   ");

            out.println();
            out.println("5. recoverDeadSlots() on this process:");
            final OwnerDeathReport report = recover(region, victimSlot, deadline);
            out.println("   death report: slot=" + report.dead().slot() + " pid=" + report.dead().pid()
                + " attachSequence=" + report.dead().attachSequence() + " recoverer=" + report.recovererPid()
                + " completed=" + report.completed());
            for (final String step : report.stepResults())
            {
                out.println("     step: " + step);
            }
            out.println("   process table after recovery:");
            final RegionInfo after = region.inspect();
            RegionPrinter.processes(out, after, System.currentTimeMillis(), "   ");
            expectLive(after, Set.of(me, children.get(1).pid()));

            out.println();
            out.println("6. close the standard input of " + children.get(1).name() + ": it detaches and exits");
            final DemoChild survivor = children.get(1);
            survivor.closeInput();
            survivor.awaitLine("DETACHING", deadline, out);
            out.println("   " + survivor.name() + " exited with code " + survivor.awaitExit(remainingMillis(deadline)));
            survivor.drain(System.nanoTime(), out);
            out.println("7. this process detaches and closes the region");
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
            // the JVM is shutting down: the hook runs, and finds nothing left to do
        }
    }

    private static OwnerDeathReport recover(final Region region, final int slot, final long deadline)
        throws InterruptedException
    {
        final List<String> seen = new ArrayList<>();
        while (true)
        {
            for (final OwnerDeathReport report : region.recoverDeadSlots())
            {
                if (report.dead().slot() == slot)
                {
                    return report;
                }
                seen.add(report.toString());
            }
            if (System.nanoTime() > deadline)
            {
                throw new CliException("slot " + slot + " was not recovered in time; other reports: " + seen
                    + "; process table: " + region.inspect().processes());
            }
            TimeUnit.MILLISECONDS.sleep(20); // the kernel drops a killed process's locks as it exits: usually at once
        }
    }

    private static void expectLive(final RegionInfo info, final Set<Long> pids)
    {
        final Set<Long> live = info.processes().stream()
            .filter(p -> p.alive() && "ATTACHED".equals(p.state()))
            .map(ProcessSlotInfo::pid)
            .collect(Collectors.toCollection(TreeSet::new));
        if (!live.equals(new TreeSet<>(pids)))
        {
            throw new CliException("expected live attached pids " + new TreeSet<>(pids) + " but inspect shows "
                + live + ": " + info.processes());
        }
    }

    private static long remainingMillis(final long deadline)
    {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }

    /** {@code /dev/shm} when it is a writable directory (memory-backed), else {@code java.io.tmpdir}. */
    static Path baseDirectory()
    {
        final Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** Deletes the region, its lock file and the directory with anything left in it; never throws. */
    private static boolean deleteAll(final Path file, final Path dir)
    {
        try
        {
            Region.delete(file);
        }
        catch (final RuntimeException ex)
        {
            // fall through: the walk below tries again
        }
        if (!Files.exists(dir))
        {
            return true;
        }
        try (Stream<Path> paths = Files.walk(dir))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).collect(Collectors.toList()))
            {
                Files.deleteIfExists(path);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            return false;
        }
        return !Files.exists(dir);
    }
}
