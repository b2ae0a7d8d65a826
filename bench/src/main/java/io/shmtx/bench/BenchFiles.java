package io.shmtx.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Paths of the benchmarks' region files: under {@code /dev/shm} (the memory the library is
 * meant for), or the temporary folder where there is none.
 */
final class BenchFiles
{
    /** The JVM flag every fork needs: Agrona 2.x uses {@code jdk.internal.misc.Unsafe}. */
    static final String ADD_EXPORTS = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED";

    private BenchFiles()
    {
    }

    static Path newPath(final String prefix)
    {
        final Path shm = Path.of("/dev/shm");
        final Path dir = Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
        return dir.resolve("shmtx-bench-" + prefix + "-" + UUID.randomUUID()).toAbsolutePath();
    }
}
