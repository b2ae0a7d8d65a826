package io.shmtx.refcount;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.pool.TieredPool;
import io.shmtx.region.ConfigMismatchException;
import io.shmtx.region.Region;
import io.shmtx.testkit.LogCapture;
import io.shmtx.testkit.Mismatches;
import io.shmtx.testkit.TempRegions;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Reference-count settings that differ from the region's are refused by name with both values;
 * the module is opened before attach; references dropped at close are logged.
 */
class RefCountSettingsTest
{
    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws IOException
    {
        temp.close();
    }

    private static RefCountConfig.Builder refs()
    {
        return RefCountConfig.builder().ledgerCapacity(64).threadsPerProcess(4).gracePeriod(Duration.ofMillis(5));
    }

    private Path newRegion()
    {
        final Path file = temp.newPath("refcount-settings");
        RefFixture.create(file, refs().build());
        return file;
    }

    private static void assertRefused(final Path file, final RefCountConfig other, final String setting, final String saved,
        final String requested)
    {
        final ConfigMismatchException ex = Mismatches.assertRefused(file, () -> Region.openOrCreate(file, RefFixture.config(other)),
            setting, saved, requested);
        assertEquals(1, ex.differences().size(), ex.getMessage());
    }

    @Test
    void everyReferenceCountSettingIsRefusedByName()
    {
        final Path file = newRegion();
        assertRefused(file, refs().ledgerCapacity(128).build(), "RefCountConfig.ledgerCapacity", "64", "128");
        assertRefused(file, refs().threadsPerProcess(2).build(), "RefCountConfig.threadsPerProcess", "4", "2");
        assertRefused(file, refs().gracePeriod(Duration.ZERO).build(), "RefCountConfig.gracePeriod", "5 ms", "0 ms");
        Region.openOrCreate(file, RefFixture.config(refs().build())).close();
    }

    @Test
    void referenceCountsOpenedAfterAttachAreRefusedNamingTheModule()
    {
        final Path file = newRegion();
        try (Region region = Region.open(file, Duration.ZERO); TieredPool pool = TieredPool.open(region))
        {
            region.attach();
            final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> RefCounts.open(region, pool));
            assertTrue(ex.getMessage().contains("'refcount: drop references' (section refcount)"), ex.getMessage());
        }
    }

    @Test
    void referencesDroppedAtCloseAreLoggedAtWarning()
    {
        final Path file = newRegion();
        try (LogCapture log = new LogCapture("io.shmtx.refcount"); RefFixture a = new RefFixture(file))
        {
            final long freedBehind = a.refs.allocate(64);
            a.pool.free(freedBehind);
            a.region.close();
            final LogRecord dropped = log.await(r -> r.getLevel() == Level.WARNING, Duration.ZERO);
            assertTrue(dropped.getMessage().contains("1 reference(s)") && dropped.getMessage().contains(file.toString()),
                dropped.getMessage());
            assertEquals(1, a.refs.droppedAtClose().size());
        }
    }
}
