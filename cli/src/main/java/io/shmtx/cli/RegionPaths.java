package io.shmtx.cli;

import io.shmtx.region.Region;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * The path under which the commands open a region: the region module's one resolution
 * ({@link Region#realPath}: symbolic links resolved, dangling ones too), so that every
 * {@code shmtx} command, and every process, uses the real file's lock file whatever name it was
 * given. Printed paths are real paths. A file whose directory is missing, or is not a directory,
 * is refused with a message that says so before anything is opened.
 *
 * <p>This class is threadsafe (it has no state).
 */
final class RegionPaths
{
    private RegionPaths()
    {
    }

    /**
     * {@code file} with symbolic links resolved.
     *
     * @param file a region file, existing or not.
     * @return the path to open.
     * @throws io.shmtx.region.RegionException on a link loop or an unreadable path.
     * @throws CliException when the file's directory does not exist or is not a directory.
     */
    static Path canonical(final Path file)
    {
        parentDirectory(file.toAbsolutePath(), file);
        final Path real = Region.realPath(file);
        parentDirectory(real, real);
        return real;
    }

    private static void parentDirectory(final Path file, final Path named)
    {
        final Path parent = file.getParent();
        if (parent != null)
        {
            directory(parent, "region " + named + ": its directory ");
        }
    }

    /**
     * A region exception's message without the "region FILE: " it starts with, for a view that
     * names the file already.
     *
     * @param ex   the exception.
     * @param file the region it names.
     * @return the message, shortened when it names {@code file}.
     */
    static String withoutFile(final RuntimeException ex, final Path file)
    {
        final String message = String.valueOf(ex.getMessage());
        final String prefix = "region " + file + ": ";
        return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
    }

    /**
     * Checks that a directory exists and is one (following links, as opening a file in it would).
     *
     * @param dir    the directory.
     * @param prefix what the message starts with, naming what needs the directory.
     * @throws CliException naming the directory, and the first missing one above it.
     */
    static void directory(final Path dir, final String prefix)
    {
        if (Files.isDirectory(dir))
        {
            return;
        }
        if (Files.exists(dir))
        {
            throw new CliException(prefix + dir + " is not a directory");
        }
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS))
        {
            throw new CliException(prefix + dir + " is a dangling symbolic link");
        }
        if (!Files.notExists(dir, LinkOption.NOFOLLOW_LINKS))
        {
            throw new CliException(prefix + dir + " cannot be reached (no search permission on a directory above it?)");
        }
        Path missing = dir;
        while (missing.getParent() != null && Files.notExists(missing.getParent()))
        {
            missing = missing.getParent();
        }
        throw new CliException(prefix + dir + " does not exist"
            + (missing.equals(dir) ? "" : " (" + missing + " is missing already)"));
    }
}
