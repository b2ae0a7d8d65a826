package io.shmtx.cli;

import io.shmtx.region.Region;
import io.shmtx.region.RegionInfo;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code shmtx inspect FILE}: prints a region's header, sections, process table and roots, and
 * its transactions part when it has a consistency section.
 * Opens the region read-only ({@link Region#openReadOnly}: read access is enough, nothing is
 * written or created, no process slot is taken) and closes it.
 *
 * <p>Not threadsafe: picocli fills one instance per command line.
 */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = {
        "Print a region's header, sections, process table and roots; with a consistency section (a region made by"
            + " SharedMemory), the transactions part as stat prints it, and the transaction logs' size. Reads only: read"
            + " access to FILE (and to FILE.lock, if there is one) is enough; nothing is written or created.",
        "A process is alive while it holds its slot's lock in FILE.lock (the kernel drops it when the process dies);"
            + " STALLED means alive but its heartbeat is late.",
    })
final class InspectCommand implements Callable<Integer>
{
    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE",
        description = "Region file. Symbolic links are resolved: the lock file is the one beside the real file.")
    private Path file;

    @Override
    public Integer call()
    {
        final Path real = RegionPaths.canonical(file);
        try (Region region = Region.openReadOnly(real))
        {
            final RegionInfo info = region.inspect();
            final PrintWriter out = spec.commandLine().getOut();
            RegionPrinter.all(out, info);
            final List<String> problems = new ArrayList<>(info.problems());
            problems.addAll(TxPrinter.print(out, region, true, ""));
            out.flush();
            return Main.unreadable(spec.commandLine(), real, problems);
        }
    }
}
