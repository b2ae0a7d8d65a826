package io.shmtx.cli;

import io.shmtx.region.Region;

import java.nio.file.Path;

/**
 * The path under which the commands open a region: the region module's one resolution
 * ({@link Region#realPath}: symbolic links resolved, dangling ones too), so that every
 * {@code shmtx} command, and every process, uses the real file's lock file whatever name it was
 * given. Printed paths are real paths.
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
     */
    static Path canonical(final Path file)
    {
        return Region.realPath(file);
    }
}
