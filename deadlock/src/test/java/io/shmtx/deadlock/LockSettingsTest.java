package io.shmtx.deadlock;

import static io.shmtx.testkit.Readable.*;
import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.region.ConfigMismatchException;
import io.shmtx.region.Region;
import io.shmtx.region.RegionConfig;
import io.shmtx.testkit.LogCapture;
import io.shmtx.testkit.Mismatches;
import io.shmtx.testkit.TempRegions;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Lock-table settings that differ from the region's: size, cells and wait bound refused by name
 * with both values; the policy adopted and logged. The lock table is opened before attach; its
 * statistics are a typed record that prints as text.
 */
class LockSettingsTest
{
    private static final int SLOTS = 4;

    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws IOException
    {
        temp.close();
    }

    private static LockManagerConfig.Builder locks()
    {
        return LockManagerConfig.builder().locks(64).transactionsPerProcess(4).maxWait(Duration.ofMillis(500))
            .policy(LockPolicy.WOUND_WAIT);
    }

    private static RegionConfig config(final LockManagerConfig locks)
    {
        return RegionConfig.builder().processSlots(SLOTS).watchdogInterval(Duration.ZERO).section(LockManager.section(locks, SLOTS))
            .build();
    }

    private Path newRegion()
    {
        final Path file = temp.newPath("lock-settings");
        Region.create(file, config(locks().build())).close();
        return file;
    }

    private static void assertRefused(final Path file, final LockManagerConfig other, final String setting, final String saved,
        final String requested)
    {
        final ConfigMismatchException ex = Mismatches.assertRefused(file, () -> Region.openOrCreate(file, config(other)), setting,
            saved, requested);
        assertEquals(1, ex.differences().size(), ex.getMessage());
    }

    @Test
    void theSizeCellsAndWaitBoundAreRefusedByName()
    {
        final Path file = newRegion();
        assertRefused(file, locks().locks(128).build(), "LockManagerConfig.locks", "64", "128");
        assertRefused(file, locks().transactionsPerProcess(8).build(), "LockManagerConfig.transactionsPerProcess", "4", "8");
        assertRefused(file, locks().maxWait(Duration.ofSeconds(1)).build(), "LockManagerConfig.maxWait", "500 ms", "1000 ms");
    }

    @Test
    void thePolicyIsAdoptedFromTheRegionAndLogged()
    {
        final Path file = newRegion();
        try (Region first = Region.open(file, Duration.ZERO))
        {
            LockManager.open(first).setPolicy(LockPolicy.DETECT); // switched at run time, as any process may
        }
        try (LogCapture log = new LogCapture("io.shmtx.region");
            Region region = Region.openOrCreate(file, config(locks().policy(LockPolicy.NO_WAIT).build())))
        {
            assertEquals(LockPolicy.DETECT, LockManager.open(region).policy(), "the region's current policy is kept");
            final LogRecord adopted = log.await(r -> r.getMessage().contains("LockManagerConfig.policy"), Duration.ZERO);
            assertEquals(Level.INFO, adopted.getLevel());
            assertTrue(adopted.getMessage().contains("LockManagerConfig.policy is DETECT in the region but NO_WAIT in the configuration"),
                adopted.getMessage());
        }
        final ConfigMismatchException both = assertThrows(ConfigMismatchException.class,
            () -> Region.openOrCreate(file, config(locks().policy(LockPolicy.NO_WAIT).locks(16).build())));
        assertEquals("LockManagerConfig.locks", both.setting(), "the policy is never refused: " + both.getMessage());
        assertEquals(1, both.differences().size(), both.getMessage());
    }

    @Test
    void aLockTableOpenedAfterAttachIsRefusedNamingIt()
    {
        final Path file = newRegion();
        try (Region region = Region.open(file, Duration.ZERO))
        {
            region.attach();
            final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> LockManager.open(region));
            assertTrue(ex.getMessage().contains("'deadlock: release locks' (section lock-table)"), ex.getMessage());
        }
    }

    @Test
    void statisticsAreATypedRecordThatPrintsAsText()
    {
        final Path file = newRegion();
        try (Region region = Region.open(file, Duration.ZERO))
        {
            final LockManager manager = LockManager.open(region);
            region.attach();
            try (Txn tx = manager.begin())
            {
                tx.lock(7L, LockMode.EXCLUSIVE);
                tx.commit();
            }
            final LockStats stats = manager.stats();
            assertEquals(new LockStats(1, 0, 0, Map.of()), stats);
            assertEquals(0L, stats.aborts().get(AbortReason.DEADLOCK), "every reason present");
            assertEquals("grants 1, waits 0, wounds 0, aborts 0", assertReadable(stats));
            assertEquals("grants 3, waits 2, wounds 1, aborts 3 (DIED 1, TIMEOUT 2)",
                new LockStats(3, 2, 1, Map.of(AbortReason.TIMEOUT, 2L, AbortReason.DIED, 1L)).toString());
            assertReadable(locks().build());
            assertReadable(manager);
            assertCoversPublicRecords(LockManager.class, List.of(LockStats.class));
        }
    }
}
