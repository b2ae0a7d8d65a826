package io.shmtx.pool;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.region.Region;
import io.shmtx.region.RegionConfig;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The README's examples, as written there (with temporary paths), so the documentation stays true.
 */
class ReadmeExamplesTest
{
    @Test
    void regionExample() throws Exception
    {
        try (TempRegions temp = new TempRegions())
        {
            final Path file = temp.newPath("orders");
            final List<String> deaths = new ArrayList<>();
            RegionConfig config = RegionConfig.builder()
                .processSlots(16)
                .rootSlots(64)
                .permissions("rw-rw----")
                .build();
            for (int run = 1; run <= 2; run++) // the example runs again on the same file
            {
                try (Region region = Region.openOrCreate(file, config))
                {
                    region.addOwnerDeathListener(report -> deaths.add(report.dead().pid() + " " + report.stepResults()));
                    int slot = region.attach();
                    if (region.findRoot("book") == 0)
                    {
                        region.bindRoot("book", 42L);
                    }
                    long book = region.root("book");
                    long ts = region.nextTimestamp();
                    assertEquals(0, slot);
                    assertEquals(42L, book);
                    assertEquals(run, ts);
                }
            }
            assertTrue(deaths.isEmpty());
        }
    }

    @Test
    void poolExample() throws Exception
    {
        try (TempRegions temp = new TempRegions())
        {
            final Path file = temp.newPath("pool-demo");
            final List<String> crossings = new ArrayList<>();
            PoolConfig poolConfig = PoolConfig.builder()
                .tier(64, 100_000)
                .tier(4096, 1_000)
                .emergencyReserve(16)
                .thresholds(75, 90)
                .build();
            RegionConfig config = RegionConfig.builder()
                .processSlots(16)
                .section(TieredPool.section(poolConfig, 16))
                .build();
            try (Region region = Region.openOrCreate(file, config);
                 TieredPool pool = TieredPool.open(region))
            {
                region.attach();
                long handle = pool.allocate(48);
                pool.putLong(handle, 0, 123L);
                long value = pool.getLong(handle, 0);
                pool.free(handle);
                assertThrows(DoubleFreeException.class, () -> pool.free(handle));
                assertEquals(123L, value);
                assertEquals(64, poolConfig.tiers().get(Handles.tier(handle)).blockSize());

                long maybe = pool.tryAllocate(48);
                if (maybe != 0)
                {
                    pool.free(maybe);
                }
                try (PooledBlock block = pool.allocateBlock(100))
                {
                    block.putLong(0, 7L);
                    assertEquals(4096, block.size());
                }
                pool.addThresholdListener((tier, size, before, now, percent) -> crossings.add(tier + ":" + now));
                PoolStats stats = pool.stats();
                assertEquals(3, stats.tiers().get(0).allocations() + stats.tiers().get(1).allocations());
                assertTrue(pool.validate().valid());
            }
            assertTrue(crossings.isEmpty());
        }
    }
}
