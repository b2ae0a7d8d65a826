package io.shmtx.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The path under which the commands open a region: symbolic links resolved. The region module
 * derives the lock file from the path it is given ({@code <path>.lock}), so two processes that
 * name one region through different links would use different lock files and each see the
 * other as dead; resolving links here keeps every {@code shmtx} command on the real file's lock.
 *
 * <p>This class is threadsafe (it has no state).
 */
final class RegionPaths
{
    private RegionPaths()
    {
    }

    /**
     * {@code file} with symbolic links resolved: the file's real path if it exists, else its
     * directory's real path and its name, else {@code file} as given (the region module then names
     * it in its error).
     *
     * @param file a region file, existing or not.
     * @return the path to open.
     */
    static Path canonical(final Path file)
    {
        try
        {
            if (Files.exists(file))
            {
                return file.toRealPath();
            }
            final Path absolute = file.toAbsolutePath();
            final Path parent = absolute.getParent();
            if (parent != null && Files.isDirectory(parent))
            {
                return parent.toRealPath().resolve(absolute.getFileName());
            }
        }
        catch (final IOException ex)
        {
            // unreadable or vanished: let the region module report the path as given
        }
        return file;
    }
}
