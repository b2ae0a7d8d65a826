package io.shmtx.testkit;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Temporary region paths under {@code /dev/shm} (or {@code target/} where there is none), deleted
 * with their lock files and any private file of a creator killed by a test by {@link #close()}.
 *
 * <p>Not threadsafe.
 */
public final class TempRegions implements AutoCloseable
{
    private final List<Path> paths = new ArrayList<>();

    /**
     * A fresh path that does not exist yet.
     *
     * @param prefix name prefix.
     * @return the path.
     */
    public Path newPath(final String prefix)
    {
        final Path shm = Path.of("/dev/shm");
        final Path dir = Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of("target");
        final Path path = dir.resolve("shmtx-test-" + prefix + "-" + UUID.randomUUID()).toAbsolutePath();
        paths.add(path);
        return path;
    }

    @Override
    public void close() throws IOException
    {
        for (final Path path : paths)
        {
            Files.deleteIfExists(path);
            Files.deleteIfExists(path.resolveSibling(path.getFileName() + ".lock"));
            // private files a creator killed by a test left beside the region's name
            try (DirectoryStream<Path> left = Files.newDirectoryStream(path.getParent(), "." + path.getFileName() + ".shmtx-init-*"))
            {
                for (final Path file : left)
                {
                    Files.deleteIfExists(file);
                }
            }
        }
        paths.clear();
    }
}
