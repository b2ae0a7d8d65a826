package io.shmtx.pool;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.region.ConfigMismatchException;
import io.shmtx.region.Region;
import io.shmtx.region.RegionConfig;
import io.shmtx.testkit.Mismatches;
import io.shmtx.testkit.TempRegions;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A pool configuration that differs from the region's saved pool is refused, setting by setting,
 * with both values in words; and the pool is opened before attach.
 */
class PoolSettingsTest
{
    private static final int SLOTS = 4;

    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws IOException
    {
        temp.close();
    }

    private static PoolConfig.Builder pool()
    {
        return PoolConfig.builder().tier(32, 200).tier(new TierConfig(64, 200, 10)).cacheSize(2).threadsPerProcess(4);
    }

    private static RegionConfig config(final PoolConfig pool)
    {
        return RegionConfig.builder().processSlots(SLOTS).rootSlots(4).watchdogInterval(Duration.ZERO)
            .section(TieredPool.section(pool, SLOTS)).build();
    }

    private Path newRegion()
    {
        final Path file = temp.newPath("pool-settings");
        Region.create(file, config(pool().build())).close();
        return file;
    }

    private static void assertRefused(final Path file, final PoolConfig other, final String setting, final String saved,
        final String requested)
    {
        final ConfigMismatchException viaRegion = Mismatches.assertRefused(file, () -> Region.openOrCreate(file, config(other)),
            setting, saved, requested);
        assertEquals(1, viaRegion.differences().size(), viaRegion.getMessage());
        try (Region region = Region.open(file))
        {
            final ConfigMismatchException viaOpen = Mismatches.assertRefused(file, () -> TieredPool.open(region, other), setting,
                saved, requested);
            assertEquals(viaRegion.differences(), viaOpen.differences());
        }
    }

    @Test
    void everyPoolSettingIsRefusedByName()
    {
        final Path file = newRegion();
        assertRefused(file, PoolConfig.builder().tier(32, 200).tier(64, 100).cacheSize(2).threadsPerProcess(4).build(),
            "PoolConfig.tiers", "[32 B x 200, 64 B x 200 (reserve 10)]", "[32 B x 200, 64 B x 100]");
        assertRefused(file, pool().cacheSize(1).build(), "PoolConfig.cacheSize", "2", "1");
        assertRefused(file, pool().threadsPerProcess(8).build(), "PoolConfig.threadsPerProcess", "4", "8");
        assertRefused(file, pool().strict(true).build(), "PoolConfig.strict", "false", "true");
        assertRefused(file, pool().thresholds(50, 80).build(), "PoolConfig.thresholds", "low 75%, critical 90%",
            "low 50%, critical 80%");
        try (Region region = Region.openOrCreate(file, config(pool().build())); TieredPool opened = TieredPool.open(region, pool().build()))
        {
            assertEquals(2, opened.tierCount(), "the same configuration opens");
        }
    }

    @Test
    void aPoolSectionMadeForAnotherSlotCountIsRefusedBeforeAnyRegionIsTouched()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> RegionConfig.builder()
            .processSlots(SLOTS).section(TieredPool.section(pool().build(), SLOTS * 2)).build());
        assertTrue(ex.getMessage().contains("section pool is laid out for " + SLOTS * 2 + " process slots but processSlots=" + SLOTS),
            ex.getMessage());
    }

    @Test
    void aPoolOpenedAfterAttachIsRefusedNamingThePool()
    {
        final Path file = newRegion();
        try (Region region = Region.open(file, Duration.ZERO))
        {
            region.attach();
            final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> TieredPool.open(region));
            assertTrue(ex.getMessage().contains("'pool: return owned and in-flight blocks' (section pool)")
                && ex.getMessage().contains("before attach()"), ex.getMessage());
        }
    }
}
