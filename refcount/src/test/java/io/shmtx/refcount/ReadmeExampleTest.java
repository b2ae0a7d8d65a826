package io.shmtx.refcount;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.pool.Handles;
import io.shmtx.pool.PoolConfig;
import io.shmtx.pool.TieredPool;
import io.shmtx.region.Region;
import io.shmtx.region.RegionConfig;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The README's reference-count example, as written there (with a temporary path).
 */
class ReadmeExampleTest
{
    @Test
    void refcountExample() throws Exception
    {
        try (TempRegions temp = new TempRegions())
        {
            final Path file = temp.newPath("refs-demo");
            final List<String> lines = new ArrayList<>();
            PoolConfig poolConfig = PoolConfig.defaults();
            RegionConfig config = RegionConfig.builder()
                .processSlots(16)
                .section(TieredPool.section(poolConfig, 16))
                .section(RefCounts.section(poolConfig, RefCountConfig.defaults(), 16))
                .build();
            try (Region region = Region.openOrCreate(file, config))
            {
                TieredPool pool = TieredPool.open(region);
                RefCounts refs = RefCounts.open(region, pool);
                region.attach();
                refs.onZero(handle -> lines.add("last reference to " + Handles.toString(handle) + " gone"));
                long handle = refs.allocate(64);
                region.bindRoot("shared-object", handle);
                refs.retain(handle);
                refs.release(handle);
                boolean freed = refs.release(handle);
                assertTrue(freed);
                assertFalse(pool.isLive(handle));
            }
            assertEquals(1, lines.size());
        }
    }
}
