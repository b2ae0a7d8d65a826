package io.shmtx.consistency;

import static io.shmtx.testkit.Readable.*;
import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.deadlock.LockPolicy;
import io.shmtx.pool.PoolConfig;
import io.shmtx.refcount.RefCountConfig;
import io.shmtx.region.MissingJvmOptionException;
import io.shmtx.region.Region;
import io.shmtx.testkit.ChildJvm;
import io.shmtx.testkit.LogCapture;
import io.shmtx.testkit.Mismatches;
import io.shmtx.testkit.TempRegions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link SharedMemory#open} on an existing region with another configuration: each setting saved
 * in the region is refused by name with both values, except the model and the lock policy, which
 * are adopted and logged; a JVM without the option Agrona needs is told so before anything is made.
 */
class SharedMemorySettingsTest
{
    private static final PoolConfig POOL = PoolConfig.builder().tier(64, 256).tier(256, 64).build();

    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws IOException
    {
        temp.close();
    }

    private static SharedMemoryConfig.Builder config()
    {
        return SharedMemoryConfig.builder().processSlots(4).logsPerProcess(4).pool(POOL).model(ConsistencyModel.RELEASE)
            .lockPolicy(LockPolicy.WAIT_DIE);
    }

    private static void assertRefused(final Path file, final SharedMemoryConfig other, final String setting, final String saved,
        final String requested)
    {
        Mismatches.assertRefused(file, () -> SharedMemory.open(file, other), setting, saved, requested);
    }

    @Test
    void everySavedSettingIsRefusedByNameWithBothValues() throws IOException
    {
        final Path file = temp.newPath("shm-settings");
        SharedMemory.open(file, config().build()).close();
        assertRefused(file, config().processSlots(8).build(), "RegionConfig.processSlots", "4", "8");
        assertRefused(file, config().pool(PoolConfig.builder().tier(64, 100).build()).build(), "PoolConfig.tiers",
            "[64 B x 256, 256 B x 64]", "[64 B x 100]");
        assertRefused(file, config().refCounts(RefCountConfig.builder().ledgerCapacity(16).build()).build(),
            "RefCountConfig.ledgerCapacity", "1024", "16");
        assertRefused(file, config().regionSize(64L << 20).build(), "RegionConfig.size",
            Files.size(file) + " bytes", (64L << 20) + " bytes");
        assertRefused(file, config().logsPerProcess(2).build(), "SharedMemoryConfig.logsPerProcess", "4", "2");
        assertRefused(file, config().maxObjectsPerTransaction(8).build(), "SharedMemoryConfig.maxObjectsPerTransaction", "256", "8");
        assertRefused(file, config().redoCapacity(4096).build(), "SharedMemoryConfig.redoCapacity", "16384 bytes", "4096 bytes");
        try (SharedMemory shm = SharedMemory.open(file, config().retry(3, Duration.ZERO, Duration.ZERO)
            .switchTimeout(Duration.ofSeconds(5)).build()))
        {
            assertEquals(ConsistencyModel.RELEASE, shm.model(), "per-process settings may differ: still usable");
        }
    }

    @Test
    void theModelAndTheLockPolicyAreAdoptedFromTheRegionAndLogged()
    {
        final Path file = temp.newPath("shm-adopted");
        try (SharedMemory shm = SharedMemory.open(file, config().build()))
        {
            shm.switchModel(ConsistencyModel.SEQUENTIAL);
        }
        try (LogCapture log = new LogCapture("io.shmtx.region");
            SharedMemory shm = SharedMemory.open(file, config().model(ConsistencyModel.CAUSAL).lockPolicy(LockPolicy.NO_WAIT).build()))
        {
            assertEquals(ConsistencyModel.SEQUENTIAL, shm.model(), "the region's current model is kept");
            assertEquals(LockPolicy.WAIT_DIE, shm.lockManager().policy(), "and its policy");
            final List<String> info = log.lines(Level.INFO);
            assertTrue(info.stream().anyMatch(l -> l.contains("SharedMemoryConfig.model is SEQUENTIAL in the region but CAUSAL"
                + " in the configuration")), info.toString());
            assertTrue(info.stream().anyMatch(l -> l.contains("LockManagerConfig.policy is WAIT_DIE in the region but NO_WAIT"
                + " in the configuration")), info.toString());
            assertReadable(shm.stats());
            assertReadable(config().build());
            assertReadable(ConsistencyInfo.read(shm.region()));
        }
        assertCoversPublicRecords(SharedMemory.class, List.of(TxStats.class, ConsistencyInfo.class));
    }

    @Test
    void aModelSwitchIsLogged()
    {
        try (LogCapture log = new LogCapture("io.shmtx.consistency");
            SharedMemory shm = SharedMemory.open(temp.newPath("shm-switch-log"), config().build()))
        {
            shm.switchModel(ConsistencyModel.SEQUENTIAL);
            final String switched = log.await(r -> r.getLevel() == Level.FINE, Duration.ZERO).getMessage();
            assertTrue(switched.contains("consistency model switched from RELEASE to SEQUENTIAL (epoch 2)"), switched);
        }
    }

    @Test
    void aJvmWithoutTheExportIsToldWhichOptionToAddAndNothingIsMade() throws Exception
    {
        final Path file = temp.newPath("shm-no-exports");
        final int exit;
        final String output;
        try (ChildJvm child = ChildJvm.startWithoutAddExports(NoExportsChild.class, file.toString()))
        {
            exit = child.waitForExit(Duration.ofSeconds(60));
            output = String.join("\n", child.transcript());
        }
        assertEquals(1, exit, output);
        assertTrue(output.contains("Exception in thread \"main\" " + MissingJvmOptionException.class.getName())
            && output.contains("--add-exports java.base/jdk.internal.misc=ALL-UNNAMED"), output);
        assertFalse(Files.exists(file), "no region file");
        assertFalse(Files.exists(Region.lockFilePath(file)), "no lock file");
    }
}
