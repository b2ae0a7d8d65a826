package io.shmtx.pool;

import io.shmtx.region.Region;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Child JVM: attaches to a pool region, truncates the region file under its own mapping, touches
 * a block, then closes the region. The JVM reports the faulting access as an InternalError, at
 * the access or at some later native call (so anywhere here): every step catches everything, and
 * the child prints "CLOSED true" and exits 0 when close() completed. A JVM crash exits otherwise.
 */
public final class TruncatingChild
{
    private TruncatingChild()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Region region = Region.open(Path.of(args[0]));
        final TieredPool pool = TieredPool.open(region);
        region.attach();
        final long h = pool.allocate(8);
        pool.free(pool.allocate(40)); // a cached block for close to give back
        try (FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE))
        {
            channel.truncate(0);
        }
        try
        {
            pool.getLong(h, 0);
        }
        catch (final Throwable expected)
        {
            // the access failed, here or later
        }
        boolean closed = false;
        for (int attempt = 0; attempt < 5 && !closed; attempt++)
        {
            try
            {
                region.close();
            }
            catch (final Throwable allowed)
            {
                // a RegionException naming the failure, or the fault delivered late
            }
            closed = region.isClosed();
        }
        for (int attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                System.out.println("CLOSED " + closed);
                System.out.flush();
                break;
            }
            catch (final Throwable late)
            {
                // the fault delivered at this native call: print again
            }
        }
        System.exit(closed ? 0 : 1);
    }
}
