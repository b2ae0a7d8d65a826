package io.shmtx.cli;

import io.shmtx.pool.LeakEntry;
import io.shmtx.pool.PoolConfig;
import io.shmtx.pool.TieredPool;
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
import java.util.Arrays;
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
 * {@code shmtx demo}: a region with a small pool in a fresh temporary directory, this process and
 * two child JVMs attached and holding pool blocks, one child killed with SIGKILL, its slot
 * recovered and its blocks returned to the pool, everything cleaned up.
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
        "Show attach, liveness and recovery with real processes: create a region with a small pool in a temporary"
            + " directory (/dev/shm when writable), attach this process and two child JVMs, each allocating pool"
            + " blocks, kill one child with SIGKILL, recover its slot and return its blocks (shown with the stat view"
            + " before and after), then detach and delete everything. Takes a few seconds; at most ~30 s.",
    })
final class DemoCommand implements Callable<Integer>
{
    /** Budget of the demo's waits; the cleanup after it is bounded separately (a few seconds). */
    static final Duration TIMEOUT = Duration.ofSeconds(25);

    /** Blocks each child allocates (of {@link AttachChildCommand#BLOCK_BYTES}). */
    static final int CHILD_BLOCKS = 4;

    private static final String REGION_FILE = "demo.region";
    private static final int PROCESS_SLOTS = 8;
    /** Request sizes of the blocks this process allocates: three tiers, some bytes wasted in each. */
    private static final int[] MY_BLOCKS = {24, 64, 200};

    @Spec
    private CommandSpec spec;

    /**
     * The demo's region: small, with a small pool, periodic recovery off so that the recovery shown
     * is the explicit call.
     */
    static RegionConfig config()
    {
        return RegionConfig.builder()
            .size(1 << 20)
            .processSlots(PROCESS_SLOTS)
            .rootSlots(8)
            .heartbeatInterval(Duration.ofMillis(100))
            .watchdogInterval(Duration.ZERO)
            .section(TieredPool.section(poolConfig(), PROCESS_SLOTS))
            .build();
    }

    /** The demo's pool: four small tiers, a few threads per process. */
    static PoolConfig poolConfig()
    {
        return PoolConfig.builder()
            .tier(32, 256).tier(64, 256).tier(256, 128).tier(1024, 32)
            .threadsPerProcess(4)
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
        try (Region region = Region.create(file, config());
            // before attach (and so before any recovery): the pool's recovery step returns a dead process's blocks
            TieredPool pool = TieredPool.open(region))
        {
            out.println();
            out.println("1. created " + file + " (" + ByteSize.format(region.size()) + ", " + region.processSlots()
                + " process slots, a pool of " + pool.tierCount() + " tiers); this process (pid " + me + ") opens the"
                + " pool, attaches and allocates " + MY_BLOCKS.length + " blocks");
            final int mySlot = region.attach();
            region.bindRoot("demo.answer", 42);
            region.nextTimestamp();
            final long[] myBlocks = new long[MY_BLOCKS.length];
            for (int i = 0; i < MY_BLOCKS.length; i++)
            {
                myBlocks[i] = pool.allocate(MY_BLOCKS[i]);
            }
            out.println("   ATTACHED slot=" + mySlot + " pid=" + me + " (this process), bound root demo.answer=42,"
                + " allocated blocks for " + Arrays.toString(MY_BLOCKS) + " bytes");

            out.println();
            out.println("2. two child JVMs attach and allocate " + CHILD_BLOCKS + " blocks of "
                + AttachChildCommand.BLOCK_BYTES + " bytes each (shmtx attach-child --allocate " + CHILD_BLOCKS + ")");
            final List<Integer> slots = startChildren(out, file, children, deadline);

            out.println();
            out.println("3. Region.inspect() (what shmtx inspect prints) shows three attached, live processes:");
            final RegionInfo before = region.inspect();
            RegionPrinter.processes(out, before, System.currentTimeMillis(), "   ");
            expectLive(before, Set.of(me, children.get(0).pid(), children.get(1).pid()));
            out.println("   the pool, as shmtx stat " + file.getFileName()
                + " --once --leaks-older-than-ms 0 shows it:");
            StatView.print(out, region, pool, 0, false, "   ");

            killAndRecover(out, region, pool, children.get(0), slots.get(0), deadline);
            expectLive(region.inspect(), Set.of(me, children.get(1).pid()));

            out.println();
            out.println("6. close the standard input of " + children.get(1).name()
                + ": it frees its blocks, detaches and exits");
            final DemoChild survivor = children.get(1);
            survivor.closeInput();
            survivor.awaitLine("DETACHING", deadline, out);
            out.println("   " + survivor.name() + " exited with code " + survivor.awaitExit(remainingMillis(deadline)));
            survivor.drain(System.nanoTime(), out);
            printHeld(out, pool, mySlot);
            out.println("7. this process frees its blocks, closes the pool, detaches and closes the region");
            for (final long handle : myBlocks)
            {
                pool.free(handle);
            }
            printHeld(out, pool, mySlot);
        }
    }

    /** How many blocks are allocated now (the leak report with no age threshold), and how many are this process's. */
    private static void printHeld(final PrintWriter out, final TieredPool pool, final int mySlot)
    {
        final List<LeakEntry> held = pool.leakReport(0);
        final long mine = held.stream().filter(e -> e.ownerSlot() == mySlot).count();
        out.println("   blocks allocated now: " + held.size() + ", " + mine + " of them by this process");
    }

    private static List<Integer> startChildren(final PrintWriter out, final Path file, final List<DemoChild> children,
        final long deadline) throws InterruptedException
    {
        children.add(DemoChild.start("child 1", file, CHILD_BLOCKS));
        children.add(DemoChild.start("child 2", file, CHILD_BLOCKS));
        final List<Integer> slots = new ArrayList<>();
        for (final DemoChild child : children)
        {
            final String line = child.awaitLine("ATTACHED ", deadline, out);
            slots.add(Integer.parseInt(line.replaceAll(".*slot=(\\d+).*", "$1")));
            child.awaitLine("ALLOCATED ", deadline, out);
        }
        return slots;
    }

    private static void killAndRecover(final PrintWriter out, final Region region, final TieredPool pool,
        final DemoChild victim, final int victimSlot, final long deadline) throws InterruptedException
    {
        out.println();
        out.println("4. kill " + victim.name() + " (pid " + victim.pid() + ", slot " + victimSlot
            + ") with destroyForcibly(): SIGKILL, no chance to detach or free its blocks");
        final int code = victim.kill(remainingMillis(deadline));
        victim.drain(System.nanoTime(), out);
        out.println("   " + victim.name() + " exited with code " + code + "; the kernel dropped its slot lock");
        out.println("   inspect now shows its slot as dead:");
        RegionPrinter.processes(out, region.inspect(), System.currentTimeMillis(), "   ");

        out.println();
        out.println("5. recoverDeadSlots() on this process runs every recovery step for the dead slot:");
        final OwnerDeathReport report = recover(region, victimSlot, deadline);
        out.println("   death report: slot=" + report.dead().slot() + " pid=" + report.dead().pid()
            + " attachSequence=" + report.dead().attachSequence() + " recoverer=" + report.recovererPid()
            + " completed=" + report.completed());
        for (final String step : report.stepResults())
        {
            out.println("     step: " + step);
        }
        out.println("   process table after recovery:");
        RegionPrinter.processes(out, region.inspect(), System.currentTimeMillis(), "   ");
        out.println("   the pool after recovery (shmtx stat):");
        StatView.print(out, region, pool, 0, false, "   ");
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
    static boolean deleteAll(final Path file, final Path dir)
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
