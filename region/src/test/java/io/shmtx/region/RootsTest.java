package io.shmtx.region;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.testkit.TempRegions;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RootsTest
{
    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws IOException
    {
        temp.close();
    }

    private Region attached(final int rootSlots)
    {
        final Path file = temp.newPath("roots");
        final Region region = Region.create(file, RegionConfig.builder().processSlots(4).rootSlots(rootSlots)
            .watchdogInterval(Duration.ZERO).build());
        region.attach();
        return region;
    }

    @Test
    void bindFindUnbind()
    {
        try (Region region = attached(4))
        {
            region.bindRoot("accounts", 0x1234L);
            region.bindRoot("a/b:c-d_e.f", -7L);
            assertEquals(0x1234L, region.root("accounts"));
            assertEquals(-7L, region.findRoot("a/b:c-d_e.f"));
            assertEquals(Map.of("accounts", 0x1234L, "a/b:c-d_e.f", -7L), region.roots());
            assertEquals(0x1234L, region.unbindRoot("accounts"));
            assertEquals(0, region.findRoot("accounts"));
            region.bindRoot("accounts", 99);
            assertEquals(99, region.root("accounts"));
        }
    }

    @Test
    void duplicateAndMissingNamesGiveClearErrors()
    {
        try (Region region = attached(4))
        {
            region.bindRoot("x", 1);
            final RootException dup = assertThrows(RootException.class, () -> region.bindRoot("x", 2));
            assertEquals("x", dup.name());
            assertTrue(dup.getMessage().contains("already bound to handle=0x1"), dup.getMessage());
            assertEquals(1, region.root("x"), "a refused bind changes nothing");
            final RootException missing = assertThrows(RootException.class, () -> region.root("y"));
            assertTrue(missing.getMessage().contains("'y'") && missing.getMessage().contains("not bound"));
            assertThrows(RootException.class, () -> region.unbindRoot("y"));
        }
    }

    @Test
    void namesAndHandlesAreValidated()
    {
        try (Region region = attached(4))
        {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> region.bindRoot("", 1)).getMessage().contains("1..44"));
            assertThrows(IllegalArgumentException.class, () -> region.bindRoot(null, 1));
            assertThrows(IllegalArgumentException.class, () -> region.bindRoot("x".repeat(45), 1));
            region.bindRoot("y".repeat(44), 1);
            assertTrue(assertThrows(IllegalArgumentException.class, () -> region.bindRoot("a b", 1)).getMessage().contains("' '"));
            assertThrows(IllegalArgumentException.class, () -> region.bindRoot("é", 1));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> region.bindRoot("z", 0)).getMessage().contains("handle=0"));
            assertThrows(IllegalArgumentException.class, () -> region.root("bad name"));
        }
    }

    @Test
    void fullTableNamesItsCapacity()
    {
        try (Region region = attached(2))
        {
            region.bindRoot("a", 1);
            region.bindRoot("b", 2);
            final RootException ex = assertThrows(RootException.class, () -> region.bindRoot("c", 3));
            assertTrue(ex.getMessage().contains("capacity=2"), ex.getMessage());
        }
    }

    @Test
    void writingRootsNeedsAnAttachment()
    {
        final Path file = temp.newPath("detached");
        Region.create(file, RegionConfig.defaults()).close();
        try (Region region = Region.open(file))
        {
            assertThrows(IllegalStateException.class, () -> region.bindRoot("a", 1));
            assertEquals(0, region.findRoot("a"), "reading needs none");
        }
    }

    @Test
    void corruptNameLengthIsReportedNotFollowed()
    {
        try (Region region = attached(2))
        {
            region.bindRoot("a", 1);
            final int base = (int)region.section(SectionSpec.ROOTS).offset();
            region.buffer().putInt(base + RootsDescriptor.NAME_LENGTH_OFFSET, 1_000_000);
            final RegionFormatException ex = assertThrows(RegionFormatException.class, region::roots);
            assertEquals("roots[0].nameLength", ex.field());
            assertThrows(RegionFormatException.class, () -> region.findRoot("a"));
        }
    }
}
