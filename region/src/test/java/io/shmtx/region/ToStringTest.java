package io.shmtx.region;

import static io.shmtx.testkit.Readable.*;
import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.testkit.TempRegions;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every public record and value class of the region module prints as text.
 */
class ToStringTest
{
    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws IOException
    {
        temp.close();
    }

    @Test
    void everyPublicRecordAndValueClassPrintsAsText()
    {
        final SectionSpec spec = new SectionSpec(SectionSpec.FIRST_USER_ID, 4096, true, (buffer, section) -> { },
            SectionSettings.builder(section -> Map.of("App.capacity", "1")).fixed("App.capacity", 1).build());
        final RegionConfig config = RegionConfig.builder().processSlots(2).rootSlots(2).watchdogInterval(Duration.ZERO).section(spec)
            .build();
        final Path file = temp.newPath("tostring");
        Region.create(file, config).close();
        final List<Object> values = new ArrayList<>();
        final List<Class<?>> records = new ArrayList<>();
        final Region dead = Region.open(file, Duration.ZERO);
        dead.attach();
        dead.abandon();
        try (Region region = Region.open(file, Duration.ZERO))
        {
            final List<OwnerDeathReport> reports = region.recoverDeadSlots(); // deferred: no step for the section
            region.attach();
            region.bindRoot("root", 42);
            final RegionInfo info = region.inspect();
            values.addAll(List.of(info, info.processes().get(0), info.sections().get(0), reports.get(0), reports.get(0).dead(), spec,
                new ConfigMismatchException.Difference("RegionConfig.processSlots", "2", "4"), config, spec.settings(), region));
            records.addAll(List.of(RegionInfo.class, ProcessSlotInfo.class, Section.class, OwnerDeathReport.class, DeadProcess.class,
                SectionSpec.class, ConfigMismatchException.Difference.class));
        }
        for (final Object value : values)
        {
            assertReadable(value);
        }
        assertCoversPublicRecords(Region.class, records);
        assertTrue(spec.toString().contains("4096 bytes"), spec.toString());
    }
}
