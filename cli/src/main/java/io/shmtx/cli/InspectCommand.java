package io.shmtx.cli;

import io.shmtx.region.Region;
import io.shmtx.region.RegionInfo;
import io.shmtx.region.RegionDescriptor;
import io.shmtx.region.RegionFormatException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code shmtx inspect FILE}: prints a region's header, sections, process table and roots.
 * Opens the region without attaching (it takes no process slot) and closes it.
 *
 * <p>Not threadsafe: picocli fills one instance per command line.
 */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = {
        "Print a region's header, sections, process table and roots. Does not attach.",
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
        final Path lockFile = Region.lockFilePath(real);
        final boolean lockFileExisted = Files.exists(lockFile);
        try (Region region = Region.open(real))
        {
            final RegionInfo info = region.inspect();
            RegionPrinter.all(spec.commandLine().getOut(), info);
            if (!info.problems().isEmpty())
            {
                // everything readable was printed; the damage makes it a failed inspection
                spec.commandLine().getErr().println("shmtx: " + real + ": " + info.problems().size() + " part(s) unreadable: "
                    + String.join("; ", info.problems()));
                return 1;
            }
        }
        catch (final RegionFormatException ex)
        {
            if (!lockFileExisted && isForeign(ex))
            {
                deleteQuietly(lockFile); // Region.open created it beside a file that is not a region at all
            }
            throw ex;
        }
        return 0;
    }

    /**
     * Whether the file holds something no region operation will ever use: a magic other than the
     * region's, the in-creation one or zero. (An empty or half-created file may be initialised by a
     * concurrent {@code create}, which then relies on the lock file: that one must stay.)
     */
    private static boolean isForeign(final RegionFormatException ex)
    {
        if (!"magic".equals(ex.field()) || !ex.found().startsWith("0x"))
        {
            return false;
        }
        try
        {
            final long magic = Long.parseUnsignedLong(ex.found().substring(2), 16);
            return magic != 0 && magic != RegionDescriptor.INIT_MAGIC && magic != RegionDescriptor.MAGIC;
        }
        catch (final NumberFormatException nfe)
        {
            return false;
        }
    }

    private static void deleteQuietly(final Path path)
    {
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException ex)
        {
            // best effort: the error about the file itself matters more
        }
    }
}
