package io.shmtx.region;

import static io.shmtx.testkit.Mismatches.*;
import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.testkit.LogCapture;
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
 * A configuration that disagrees with an existing region: each setting is refused with one
 * exception type naming it and both values, or adopted and logged, as {@link RegionConfig} says;
 * and the rule that recovery steps come before attach.
 */
class RegionSettingsTest
{
    private static final int APP = SectionSpec.FIRST_USER_ID;

    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws IOException
    {
        temp.close();
    }

    private Path newRegion(final RegionConfig config)
    {
        final Path file = temp.newPath("settings");
        Region.create(file, config).close();
        return file;
    }

    private static RegionConfig.Builder base()
    {
        return RegionConfig.builder().processSlots(8).rootSlots(16).watchdogInterval(Duration.ZERO);
    }

    private static ConfigMismatchException refused(final Path file, final RegionConfig config, final String setting,
        final String saved, final String requested)
    {
        return assertRefused(file, () -> Region.openOrCreate(file, config), setting, saved, requested);
    }

    @Test
    void processSlotsRootSlotsAndSizeAreRefusedEachNamedWithBothValues()
    {
        final Path file = newRegion(base().build());
        refused(file, base().processSlots(9).build(), "RegionConfig.processSlots", "8", "9");
        refused(file, base().rootSlots(32).build(), "RegionConfig.rootSlots", "16", "32");
        final long size;
        try (Region region = Region.open(file))
        {
            size = region.size();
        }
        refused(file, base().size(size + 1).build(), "RegionConfig.size", size + " bytes",
            (size + 4096) + " bytes (" + (size + 1) + " rounded up to a page)");
        final ConfigMismatchException both = refused(file, base().processSlots(4).rootSlots(4).build(), "RegionConfig.processSlots",
            "8", "4");
        assertEquals(List.of(new ConfigMismatchException.Difference("RegionConfig.processSlots", "8", "4"),
            new ConfigMismatchException.Difference("RegionConfig.rootSlots", "16", "4")), both.differences(), "every setting that differs");
        try (Region region = Region.openOrCreate(file, base().size(0).build()))
        {
            assertEquals(size, region.size(), "size 0 accepts the region's size");
        }
    }

    @Test
    void theHeartbeatIntervalIsAdoptedAndLogged()
    {
        final Path file = newRegion(base().heartbeatInterval(Duration.ofMillis(50)).build());
        try (LogCapture log = new LogCapture("io.shmtx.region");
            Region region = Region.openOrCreate(file, base().heartbeatInterval(Duration.ofSeconds(2)).build()))
        {
            assertEquals(50, region.inspect().heartbeatMillis(), "the region's interval is in force");
            final LogRecord adopted = log.await(r -> r.getMessage().contains("RegionConfig.heartbeatInterval"), Duration.ZERO);
            assertEquals(Level.INFO, adopted.getLevel());
            assertTrue(adopted.getMessage().contains("is 50 ms in the region but 2000 ms in the configuration"), adopted.getMessage());
            assertTrue(adopted.getMessage().contains(file.toString()), adopted.getMessage());
        }
    }

    /** A module's section: a fixed capacity at offset 0 and an adoptable mode at offset 8, checked by a magic at 16. */
    private static SectionSpec appSection(final int capacity, final String mode)
    {
        final SectionSettings settings = SectionSettings.builder(section -> section.getLong(16) != 0x5E771265L ? null
                : Map.of("App.capacity", String.valueOf(section.getInt(0)), "App.mode", section.getInt(8) == 1 ? "FAST" : "SAFE"))
            .fixed("App.capacity", capacity)
            .adoptable("App.mode", mode)
            .build();
        return new SectionSpec(APP, 4096 + capacity, true, (buffer, section) ->
        {
            buffer.putInt((int)section.offset(), capacity);
            buffer.putInt((int)section.offset() + 8, "FAST".equals(mode) ? 1 : 0);
            buffer.putLong((int)section.offset() + 16, 0x5E771265L);
        }, settings);
    }

    @Test
    void aModuleSettingIsRefusedOrAdoptedAsItsSectionSays()
    {
        final Path file = newRegion(base().section(appSection(100, "FAST")).build());
        final ConfigMismatchException capacity = refused(file, base().section(appSection(200, "FAST")).build(), "App.capacity",
            "100", "200");
        assertEquals(1, capacity.differences().size(), "the length follows from the settings: not named again");
        try (LogCapture log = new LogCapture("io.shmtx.region");
            Region region = Region.openOrCreate(file, base().section(appSection(100, "SAFE")).build()))
        {
            assertEquals(1, region.buffer().getInt((int)region.section(APP).offset() + 8), "the region's mode is kept");
            final String adopted = log.await(r -> r.getMessage().contains("App.mode"), Duration.ZERO).getMessage();
            assertTrue(adopted.contains("App.mode is FAST in the region but SAFE in the configuration"), adopted);
            assertEquals(List.of(), log.lines(Level.WARNING));
        }
        final ConfigMismatchException both = refused(file, base().section(appSection(200, "SAFE")).build(), "App.capacity",
            "100", "200");
        assertEquals(1, both.differences().size(), "an adoptable setting is never refused: " + both.getMessage());
    }

    @Test
    void aMissingSectionOrOneOfAnotherLengthIsRefusedByName()
    {
        final Path file = newRegion(base().section(new SectionSpec(APP, 4096, false)).build());
        refused(file, base().section(new SectionSpec(APP + 1, 4096, false)).build(), "section section-17", "absent", "present");
        refused(file, base().section(new SectionSpec(APP, 8192, false)).build(), "section section-16 length", "4096 bytes",
            "8192 bytes");
        refused(file, base().section(new SectionSpec(APP, 4096, true)).build(), "section section-16 needsRecovery", "false", "true");
    }

    @Test
    void aSectionLaidOutForAnotherSlotCountIsRefusedBeforeAnythingIsMade()
    {
        final SectionSpec forFour = new SectionSpec(APP, 4096, false, null,
            SectionSettings.builder(section -> Map.of()).processSlots("App.section processSlots", 4).build());
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> base().processSlots(8).section(forFour).build());
        assertTrue(ex.getMessage().contains("section-16 is laid out for 4 process slots but processSlots=8"), ex.getMessage());
        assertEquals(4, base().processSlots(4).section(forFour).build().processSlots());
    }

    @Test
    void aSectionSpecPrintsNoCode()
    {
        final String text = appSection(100, "FAST").toString();
        assertEquals("SectionSpec[section-16 (id 16), 4196 bytes, needs recovery, settings {App.capacity=100, App.mode=FAST}]", text);
        assertFalse(base().section(appSection(1, "SAFE")).build().toString().contains("Lambda"));
    }

    @Test
    void aRecoveryStepRegisteredAfterAttachIsRefusedNamingIt()
    {
        final Path file = newRegion(base().section(new SectionSpec(APP, 4096, true)).build());
        try (Region region = Region.open(file, Duration.ZERO))
        {
            final RecoveryStep step = Steps.step("app: clean up", APP, (r, dead) -> "cleaned");
            final int slot = region.attach();
            final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> region.registerRecoveryStep(step));
            assertTrue(ex.getMessage().contains("'app: clean up' (section section-16) is registered after attach() (slot " + slot + ")")
                && ex.getMessage().contains("before attach()"), ex.getMessage());
            region.detach();
            region.registerRecoveryStep(step); // detached: registers, for the next attach
            final Region dead = Region.open(file, Duration.ZERO);
            dead.attach();
            dead.abandon();
            region.attach();
            assertEquals(List.of(), region.processes().stream().filter(p -> !p.alive()).toList(),
                "the next attach recovered the dead slot with the step");
            region.registerRecoveryStep(Steps.step("app: clean up, reopened", APP, (r, d) -> "again")); // the section has a step
        }
    }
}
