package io.shmtx.consistency;

import static io.shmtx.consistency.ConsistencyDescriptor.*;
import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.region.Region;
import io.shmtx.region.RegionConfig;
import io.shmtx.region.RegionFormatException;
import io.shmtx.region.SectionSpec;
import io.shmtx.testkit.TempRegions;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ConsistencyInfo}: a process that is not attached reads, from a region mapped read-only,
 * the statistics an attached one gets from {@link SharedMemory#stats()}; values no writer makes
 * are named and their figures are {@link ConsistencyInfo#UNREADABLE}.
 */
class ConsistencyInfoTest
{
    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws IOException
    {
        temp.close();
    }

    @Test
    void aReaderThatIsNotAttachedSeesWhatStatsSums() throws Exception
    {
        final Path file = temp.newPath("info");
        final SharedMemoryConfig config = SharedMemoryTest.config().build();
        try (SharedMemory shm = SharedMemory.open(file, config))
        {
            final long x = shm.allocate(8);
            for (int i = 0; i < 3; i++)
            {
                shm.transact(tx -> tx.putLong(x, 0, tx.getLong(x, 0) + 1));
            }
            shm.switchModel(ConsistencyModel.SEQUENTIAL);
            shm.transact(tx -> tx.putLong(x, 0, 10));
            try (Tx open = shm.begin())
            {
                open.getLong(x, 0);
                final TxStats expected = shm.stats();

                final ConsistencyInfo info;
                try (Region reader = Region.openReadOnly(file))
                {
                    info = ConsistencyInfo.read(reader);
                }

                assertEquals(expected, info.stats());
                assertEquals(4, expected.commits(), expected::toString);
                assertEquals(ConsistencyModel.SEQUENTIAL, info.stats().model());
                assertEquals(2, info.stats().epoch());
                assertNull(info.switchingTo());
                assertEquals(0, info.switchOwner());
                assertEquals(config.processSlots() * config.logsPerProcess(), info.logs());
                assertEquals(config.logsPerProcess(), info.logsPerProcess());
                assertEquals(config.maxObjectsPerTransaction(), info.maxObjectsPerTransaction());
                assertEquals(config.redoCapacity(), info.redoCapacity());
                assertEquals(1, info.transactionsRunning(), "the open transaction");
                assertEquals(0, info.logsCommitting());
                assertEquals(0, info.snapshotsPinned());
                assertEquals(List.of(), info.problems());
            }
        }
    }

    @Test
    void aNegativeCounterIsNamedAndItsSumIsUnreadable()
    {
        final Path file = temp.newPath("info-corrupt");
        SharedMemory.open(file, SharedMemoryTest.config().build()).close();
        try (Region region = Region.open(file, Duration.ZERO))
        {
            final int base = (int)region.section(SectionSpec.LEDGERS).offset();
            final int logSize = region.buffer().getInt(base + LOG_SIZE_OFFSET);
            region.buffer().putLong(logOffset(base, 1, logSize) + LOG_COUNTERS_OFFSET
                + (COUNTER_ABORTS + AbortReason.LOCKED.ordinal()) * Long.BYTES, Long.MIN_VALUE);
            region.buffer().putLong(logOffset(base, 2, logSize) + LOG_COUNTERS_OFFSET + COUNTER_RETRIES * Long.BYTES,
                Long.MAX_VALUE);
            region.buffer().putLong(logOffset(base, 3, logSize) + LOG_COUNTERS_OFFSET + COUNTER_RETRIES * Long.BYTES, 1);
        }

        final ConsistencyInfo info;
        try (Region reader = Region.openReadOnly(file))
        {
            info = ConsistencyInfo.read(reader);
        }

        assertEquals(ConsistencyInfo.UNREADABLE, (long)info.stats().aborts().get(AbortReason.LOCKED));
        assertEquals(0L, (long)info.stats().aborts().get(AbortReason.CONFLICT));
        assertEquals(ConsistencyInfo.UNREADABLE, info.stats().retries(), "a sum that overflows");
        assertEquals(List.of("consistency log 1 (slot 0, log 1): counter aborts.LOCKED=" + Long.MIN_VALUE + " is negative",
            "consistency log 3 (slot 0, log 3): counter retries=1 overflows the sum over the logs"), info.problems());
    }

    @Test
    void aRegionWithoutTheSectionIsRefusedByName()
    {
        final Path file = temp.newPath("info-none");
        Region.create(file, RegionConfig.builder().processSlots(2).build()).close();
        try (Region region = Region.openReadOnly(file))
        {
            assertFalse(ConsistencyInfo.present(region));
            final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> ConsistencyInfo.read(region));
            assertTrue(ex.getMessage().contains("section ledgers"), ex::toString);
        }
    }
}
