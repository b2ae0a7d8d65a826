package io.shmtx.cli;

import io.shmtx.region.ProcessSlotInfo;
import io.shmtx.region.Region;
import io.shmtx.region.RegionException;
import io.shmtx.region.RegionFormatException;
import io.shmtx.region.RegionInfo;
import io.shmtx.region.Section;
import io.shmtx.region.SectionSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code shmtx list [DIR]}: the regions in a directory (default {@code /dev/shm}), one line each
 * with size, owner, process slots, attached and live processes, age and sections, as
 * {@code ipcs} lists shared memory segments.
 *
 * <p>Not threadsafe: picocli fills one instance per command line.
 *
 * <p>Every entry is looked at without following a link and without opening it first: only a
 * regular file (or a symbolic link to one) that is not empty is opened, read-only
 * ({@link Region#openReadOnly}: mapped read-only, its lock file only probed, nothing written or
 * created); a directory, FIFO, socket or device is never opened (opening a FIFO blocks, opening a
 * device may have effects). An entry that is not a region is counted, and named with what it is
 * under {@code --all}; the lock file of a region listed is left out, unopened. A region whose
 * header cannot be true is named as damaged, and makes the exit code 1.
 */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description = {
        "List the regions in DIR (default /dev/shm), like ipcs: size, owner, process slots, ATTACHED (slots in use:"
            + " a dead process keeps its slot until it is recovered), LIVE (attached processes that are alive), age"
            + " and sections (besides the process table and roots every region has).",
        "Entries that are not regions (other files, directories, FIFOs, sockets, devices, dangling links, files this"
            + " user cannot read) are counted; --all names each with what it is. Nothing but regular files is opened,"
            + " and those only for reading; nothing is written or created. A damaged region is named and makes the"
            + " exit code 1.",
    })
final class ListCommand implements Callable<Integer>
{
    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "DIR", defaultValue = "/dev/shm",
        description = "Directory to list. Default: ${DEFAULT-VALUE}.")
    private Path dir;

    @Option(names = "--all", description = "Also name every entry that is not a region, with what it is.")
    private boolean all;

    /** What an entry of the directory is. */
    private enum Kind
    {
        REGION, DAMAGED, NOT_A_REGION
    }

    /**
     * One entry, classified.
     *
     * @param name   its name in the directory (with the target of a symbolic link).
     * @param real   the file it reaches.
     * @param kind   what it is.
     * @param row    the table row of a region.
     * @param reason what it is, when it is not a (sound) region.
     */
    private record Entry(String name, Path real, Kind kind, Object[] row, String reason)
    {
    }

    @Override
    public Integer call()
    {
        RegionPaths.directory(dir, "directory ");
        final List<Path> paths = names();
        final Entry[] entries = new Entry[paths.size()];
        final Set<Path> lockFiles = new HashSet<>();
        for (final boolean lockFileNames : new boolean[] {false, true})
        {
            for (int i = 0; i < entries.length; i++)
            {
                final Path path = paths.get(i);
                if (isLockFileName(path) != lockFileNames || lockFiles.contains(path))
                {
                    continue;
                }
                entries[i] = classify(path);
                if (entries[i] != null && entries[i].kind() != Kind.NOT_A_REGION)
                {
                    lockFiles.add(lockFile(path));
                    lockFiles.add(lockFile(entries[i].real()));
                }
            }
        }
        final List<Entry> listed = new ArrayList<>();
        for (final Entry entry : entries)
        {
            if (entry != null)
            {
                listed.add(entry);
            }
        }
        return print(spec.commandLine().getOut(), listed);
    }

    /**
     * Lock files are looked at after every other entry, and one beside a region is left out
     * unopened: a region's lock file holds the slot locks of its attached processes, and a
     * process that closes any descriptor of a file loses its own locks on it (POSIX record locks).
     */
    private static boolean isLockFileName(final Path path)
    {
        return String.valueOf(path.getFileName()).endsWith(".lock");
    }

    private static Path lockFile(final Path file)
    {
        return file.resolveSibling(file.getFileName() + ".lock");
    }

    /** The directory's entries, sorted by name. */
    private List<Path> names()
    {
        final List<Path> names = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir))
        {
            stream.forEach(names::add);
        }
        catch (final IOException ex)
        {
            throw new CliException("cannot read directory " + dir + ": " + ex, ex);
        }
        names.sort(null);
        return names;
    }

    /** The entry, or null when it vanished while being looked at. */
    private static Entry classify(final Path path)
    {
        final String name = String.valueOf(path.getFileName());
        final BasicFileAttributes attributes;
        try
        {
            attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        }
        catch (final NoSuchFileException ex)
        {
            return null;
        }
        catch (final IOException ex)
        {
            return other(name, path, "cannot be read (" + ex.getClass().getSimpleName() + ")");
        }
        if (attributes.isSymbolicLink())
        {
            return link(name, path);
        }
        return file(name, path, attributes);
    }

    private static Entry link(final String name, final Path path)
    {
        final Path real;
        final BasicFileAttributes target;
        try
        {
            real = Region.realPath(path);
            target = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        }
        catch (final NoSuchFileException ex)
        {
            return other(name, path, "a dangling symbolic link (to " + target(path) + ")");
        }
        catch (final IOException | RegionException ex)
        {
            return other(name, path, "a symbolic link that cannot be followed (" + ex.getMessage() + ")");
        }
        return file(name + " -> " + shortName(real, path.getParent()), real, target);
    }

    /** A link's target: its name alone when it is in the directory listed, else its whole path. */
    private static String shortName(final Path real, final Path dir)
    {
        try
        {
            return real.getParent().equals(dir.toRealPath()) ? String.valueOf(real.getFileName()) : real.toString();
        }
        catch (final IOException ex)
        {
            return real.toString();
        }
    }

    private static String target(final Path link)
    {
        try
        {
            return String.valueOf(Files.readSymbolicLink(link));
        }
        catch (final IOException ex)
        {
            return "?";
        }
    }

    /** A file that is not a symbolic link: only a regular file that is not empty is opened. */
    private static Entry file(final String name, final Path real, final BasicFileAttributes attributes)
    {
        if (attributes.isDirectory())
        {
            return other(name, real, "a directory");
        }
        if (!attributes.isRegularFile())
        {
            return other(name, real, special(real) + " (not opened)");
        }
        if (attributes.size() == 0)
        {
            return other(name, real, "an empty file");
        }
        return region(name, real);
    }

    private static Entry region(final String name, final Path real)
    {
        try (Region region = Region.openReadOnly(real))
        {
            final RegionInfo info = region.inspect();
            int live = 0;
            for (final ProcessSlotInfo process : info.processes())
            {
                live += process.alive() ? 1 : 0;
            }
            return new Entry(name, real, Kind.REGION, new Object[] {name, ByteSize.format(info.size()), owner(real),
                info.processSlots(), info.processes().size(), live,
                RegionPrinter.age(System.currentTimeMillis() - info.createdMillis()), sections(info)}, null);
        }
        catch (final RegionFormatException ex)
        {
            if ("magic".equals(ex.field()) || "fileType".equals(ex.field()))
            {
                return other(name, real, "not a region (" + ex.field() + " " + ex.found() + ")");
            }
            return new Entry(name, real, Kind.DAMAGED, null, ex.field() + "=" + ex.found() + " where "
                + ex.required() + " is required");
        }
        catch (final RegionException ex)
        {
            return other(name, real, "cannot be read as a region: " + RegionPaths.withoutFile(ex, real));
        }
        catch (final RuntimeException ex)
        {
            return new Entry(name, real, Kind.DAMAGED, null, String.valueOf(ex));
        }
    }

    private static Entry other(final String name, final Path real, final String reason)
    {
        return new Entry(name, real, Kind.NOT_A_REGION, null, reason);
    }

    /** What a file that is neither regular, a directory nor a link is, from its mode. */
    private static String special(final Path file)
    {
        try
        {
            final int type = (Integer)Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0170000;
            switch (type)
            {
                case 0010000: return "a FIFO";
                case 0140000: return "a socket";
                case 0020000: return "a character device";
                case 0060000: return "a block device";
                default: return "a special file";
            }
        }
        catch (final IOException | UnsupportedOperationException | IllegalArgumentException ex)
        {
            return "a special file";
        }
    }

    private static String owner(final Path file)
    {
        try
        {
            return Files.getOwner(file, LinkOption.NOFOLLOW_LINKS).getName();
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            return "?";
        }
    }

    /** The sections besides the process table and roots every region has. */
    private static String sections(final RegionInfo info)
    {
        final List<String> names = new ArrayList<>();
        for (final Section section : info.sections())
        {
            if (section.id() != SectionSpec.PROCESS_TABLE && section.id() != SectionSpec.ROOTS)
            {
                names.add(section.name());
            }
        }
        return names.isEmpty() ? "-" : String.join(",", names);
    }

    private int print(final PrintWriter out, final List<Entry> entries)
    {
        final TextTable regions = new TextTable("REGION", "SIZE", "OWNER", "SLOTS", "ATTACHED", "LIVE", "AGE",
            "SECTIONS").left(0, 2, 7);
        int found = 0;
        final List<Entry> damaged = new ArrayList<>();
        final List<Entry> others = new ArrayList<>();
        for (final Entry entry : entries)
        {
            if (entry.kind() == Kind.REGION)
            {
                regions.row(entry.row());
                found++;
            }
            else
            {
                (entry.kind() == Kind.DAMAGED ? damaged : others).add(entry);
            }
        }
        if (found > 0)
        {
            regions.print(out, "");
        }
        for (final Entry entry : damaged)
        {
            Text.sentence(out, "", entry.name() + ": DAMAGED region: " + entry.reason());
        }
        Text.sentence(out, "", summary(found, damaged.size(), others.size()));
        if (all)
        {
            for (final Entry entry : others)
            {
                Text.sentence(out, "  ", entry.name() + ": " + entry.reason());
            }
        }
        out.flush();
        return damaged.isEmpty() ? 0 : Main.EXIT_ERROR;
    }

    private String summary(final int regions, final int damaged, final int others)
    {
        final StringBuilder text = new StringBuilder();
        text.append(regions == 0 ? "no" : Integer.toString(regions)).append(regions == 1 ? " region" : " regions");
        if (damaged > 0)
        {
            text.append(", ").append(damaged).append(" damaged");
        }
        text.append(" in ").append(dir.toAbsolutePath());
        if (others > 0)
        {
            text.append("; ").append(others).append(others == 1 ? " other entry is not a region" : " other entries are not"
                + " regions").append(all ? ":" : " (--all names them)");
        }
        return text.toString();
    }
}
