package io.shmtx.pool;

import io.shmtx.region.Region;
import io.shmtx.region.RegionConfig;
import io.shmtx.testkit.TempRegions;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A region with a pool, attached, deleted on close.
 */
final class PoolFixture implements AutoCloseable
{
    static final int SLOTS = 8;

    final TempRegions temp = new TempRegions();
    final Path file;
    final Region region;
    final TieredPool pool;

    PoolFixture(final PoolConfig config)
    {
        file = temp.newPath("pool");
        Region.create(file, regionConfig(config)).close();
        region = Region.open(file);
        pool = TieredPool.open(region);
        region.attach();
    }

    static RegionConfig regionConfig(final PoolConfig config)
    {
        return RegionConfig.builder().processSlots(SLOTS).rootSlots(8).heartbeatInterval(Duration.ofMillis(50))
            .watchdogInterval(Duration.ZERO).section(TieredPool.section(config, SLOTS)).build();
    }

    @Override
    public void close() throws IOException
    {
        try
        {
            pool.close();
            region.close();
        }
        finally
        {
            temp.close(); // the files go even when a test left the region failing
        }
    }
}
