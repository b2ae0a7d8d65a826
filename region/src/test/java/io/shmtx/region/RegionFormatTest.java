package io.shmtx.region;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.testkit.TempRegions;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RegionFormatTest
{
    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws IOException
    {
        temp.close();
    }

    private Path newRegion(final RegionConfig config)
    {
        final Path file = temp.newPath("format");
        Region.create(file, config).close();
        return file;
    }

    @Test
    void createdRegionOpensWithItsLayout() throws IOException
    {
        final Path file = newRegion(RegionConfig.builder().processSlots(16).rootSlots(32)
            .section(new SectionSpec(SectionSpec.FIRST_USER_ID, 10_000, true)).build());
        try (Region region = Region.open(file))
        {
            assertEquals(16, region.processSlots());
            assertEquals(3, region.sections().size());
            assertEquals(RegionDescriptor.PAGE_SIZE, region.section(SectionSpec.PROCESS_TABLE).offset());
            final Section user = region.section(SectionSpec.FIRST_USER_ID);
            assertEquals(10_000, user.length());
            assertTrue(user.needsRecovery());
            assertEquals(0, user.offset() % RegionDescriptor.PAGE_SIZE);
            assertEquals(Files.size(file), region.size());
            assertTrue(region.inspect().cleanClose());
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertTrue(Files.exists(Region.lockFilePath(file)));
    }

    @Test
    void sectionFormatterRunsBeforeTheRegionIsReady()
    {
        final Path file = newRegion(RegionConfig.builder()
            .section(new SectionSpec(SectionSpec.FIRST_USER_ID, 64, false,
                (buffer, section) -> buffer.putLong((int)section.offset() + 8, 0xC0FFEEL)))
            .build());
        try (Region region = Region.open(file))
        {
            final Section section = region.section(SectionSpec.FIRST_USER_ID);
            assertEquals(0xC0FFEEL, region.buffer().getLong((int)section.offset() + 8));
            assertTrue(Math.abs(System.currentTimeMillis() - region.coarseMillis()) < 60_000, "coarse time is set at creation");
        }
    }

    @Test
    void groupPermissionsAreApplied() throws IOException
    {
        final Path file = newRegion(RegionConfig.builder().permissions("rw-rw----").build());
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(Region.lockFilePath(file))));
    }

    @Test
    void configValuesAreValidated()
    {
        assertMessage(IllegalArgumentException.class, "size=4294967296",
            () -> RegionConfig.builder().size(4L << 30).build());
        assertMessage(IllegalArgumentException.class, "processSlots=0",
            () -> RegionConfig.builder().processSlots(0).build());
        assertMessage(IllegalArgumentException.class, "rootSlots=-1",
            () -> RegionConfig.builder().rootSlots(-1).build());
        assertMessage(IllegalArgumentException.class, "permissions=r--------",
            () -> RegionConfig.builder().permissions("r--------").build());
        assertMessage(IllegalArgumentException.class, "permissions='bogus'",
            () -> RegionConfig.builder().permissions("bogus").build());
        assertMessage(IllegalArgumentException.class, "section id=2",
            () -> new SectionSpec(2, 100, false));
        assertMessage(IllegalArgumentException.class, "length=0",
            () -> new SectionSpec(20, 0, false));
        assertMessage(IllegalArgumentException.class, "reserved twice",
            () -> RegionConfig.builder().section(new SectionSpec(20, 1, false)).section(new SectionSpec(20, 1, false)).build());
    }

    @Test
    void tooSmallSizeIsRefusedNamingBoth()
    {
        final Path file = temp.newPath("small");
        final RegionException ex = assertThrows(RegionException.class,
            () -> Region.create(file, RegionConfig.builder().size(4096).build()));
        assertTrue(ex.getMessage().contains("size=4096") && ex.getMessage().contains(file.toString()), ex.getMessage());
    }

    @Test
    void createRefusesAReadyRegion()
    {
        final Path file = newRegion(RegionConfig.defaults());
        final RegionExistsException ex = assertThrows(RegionExistsException.class, () -> Region.create(file, RegionConfig.defaults()));
        assertTrue(ex.getMessage().contains(file.toString()));
    }

    @Test
    void missingFileIsNamed()
    {
        final Path file = temp.newPath("missing");
        final RegionException ex = assertThrows(RegionException.class, () -> Region.open(file));
        assertTrue(ex.getMessage().contains(file.toString()) && ex.getMessage().contains("does not exist"), ex.getMessage());
        assertFalse(Files.exists(Region.lockFilePath(file)), "open of a missing file must not leave a lock file");
    }

    @Test
    void textFileIsNotARegion() throws IOException
    {
        final Path file = temp.newPath("text");
        Files.writeString(file, "hello, this is not a region file\n".repeat(300));
        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> Region.open(file));
        assertEquals("magic", ex.field());
        assertTrue(ex.getMessage().contains(file.toString()));
        assertTrue(Files.readString(file).startsWith("hello"), "a foreign file is left untouched");
        assertThrows(RegionFormatException.class, () -> Region.openOrCreate(file, RegionConfig.defaults()));
        assertTrue(Files.readString(file).startsWith("hello"), "openOrCreate never overwrites a foreign file");
    }

    @Test
    void refusedFilesGetNoLockFileBesideThem() throws IOException
    {
        final Path text = temp.newPath("text");
        Files.writeString(text, "not a region");
        assertThrows(RegionFormatException.class, () -> Region.open(text));
        assertFalse(Files.exists(Region.lockFilePath(text)));
        final Path small = temp.newPath("small");
        assertThrows(RegionException.class, () -> Region.create(small, RegionConfig.builder().size(4096).build()));
        assertFalse(Files.exists(small));
        assertFalse(Files.exists(Region.lockFilePath(small)));
    }

    @Test
    void aLinkToARegionSharesItsLockFile() throws IOException
    {
        final Path file = newRegion(RegionConfig.defaults());
        final Path link = temp.newPath("link");
        Files.createSymbolicLink(link, file);
        try (Region direct = Region.open(file); Region linked = Region.open(link); Region probe = Region.open(file))
        {
            assertEquals(file.toRealPath(), linked.file());
            final int slot = linked.attach();
            assertTrue(probe.isAlive(slot), "a process attached through a link is alive for one that used the real path");
            assertTrue(direct.recoverDeadSlots().isEmpty());
        }
        assertEquals(Region.lockFilePath(file), Region.lockFilePath(link));
        assertFalse(Files.exists(link.resolveSibling(link.getFileName() + ".lock")), "no second lock file beside the link");
    }

    @Test
    void directoryIsNotARegion() throws IOException
    {
        final Path dir = temp.newPath("dir");
        Files.createDirectory(dir);
        try
        {
            final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> Region.open(dir));
            assertEquals("fileType", ex.field());
        }
        finally
        {
            Files.delete(dir);
        }
    }

    @Test
    void otherVersionIsRefused() throws IOException
    {
        final Path file = newRegion(RegionConfig.defaults());
        patchInt(file, RegionDescriptor.LAYOUT_VERSION_OFFSET, 99, false);
        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> Region.open(file));
        assertEquals("layoutVersion", ex.field());
        assertEquals("99", ex.found());
        assertEquals(String.valueOf(RegionDescriptor.LAYOUT_VERSION), ex.required());
    }

    @Test
    void otherLayoutHashIsRefused() throws IOException
    {
        final Path file = newRegion(RegionConfig.defaults());
        patchLong(file, RegionDescriptor.LAYOUT_HASH_OFFSET, 12345, true);
        assertEquals("layoutHash", assertThrows(RegionFormatException.class, () -> Region.open(file)).field());
    }

    @Test
    void truncatedFileIsRefused() throws IOException
    {
        final Path file = newRegion(RegionConfig.defaults());
        final long size = Files.size(file);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.truncate(size / 2);
        }
        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> Region.open(file));
        assertEquals("fileLength", ex.field());
        assertEquals(String.valueOf(size / 2), ex.found());
        assertTrue(ex.getMessage().contains("truncated"), ex.getMessage());
    }

    @Test
    void fileTruncatedInsideTheHeaderIsRefused() throws IOException
    {
        final Path file = newRegion(RegionConfig.defaults());
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.truncate(100);
        }
        assertEquals("fileLength", assertThrows(RegionFormatException.class, () -> Region.open(file)).field());
    }

    @Test
    void grownFileIsRefused() throws IOException
    {
        final Path file = newRegion(RegionConfig.defaults());
        final long size = Files.size(file);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.write(ByteBuffer.wrap(new byte[1]), size + 4095);
        }
        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> Region.open(file));
        assertEquals("fileLength", ex.field());
        assertEquals(String.valueOf(size), ex.required().split(" ")[0]);
    }

    @Test
    void badChecksumIsRefused() throws IOException
    {
        final Path file = newRegion(RegionConfig.defaults());
        patchLong(file, RegionDescriptor.CREATED_OFFSET, 1, false);
        assertEquals("checksum", assertThrows(RegionFormatException.class, () -> Region.open(file)).field());
    }

    @Test
    void sectionsThatDoNotAddUpAreRefusedEvenWithAForgedChecksum() throws IOException
    {
        final Path file = newRegion(RegionConfig.builder().section(new SectionSpec(20, 4096, false)).build());
        final int entry = RegionDescriptor.sectionEntryOffset(2);
        patchLong(file, entry + RegionDescriptor.SECTION_LENGTH_OFFSET, 1L << 40, true);
        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> Region.open(file));
        assertEquals("section[2].length", ex.field());
        assertTrue(ex.getMessage().contains("add up"), ex.getMessage());
    }

    @Test
    void overlappingSectionsAreRefused() throws IOException
    {
        final Path file = newRegion(RegionConfig.builder().section(new SectionSpec(20, 4096, false)).build());
        patchLong(file, RegionDescriptor.sectionEntryOffset(2) + RegionDescriptor.SECTION_START_OFFSET, RegionDescriptor.PAGE_SIZE, true);
        assertEquals("section[2].offset", assertThrows(RegionFormatException.class, () -> Region.open(file)).field());
    }

    @Test
    void processSlotCountMustMatchItsSection() throws IOException
    {
        final Path file = newRegion(RegionConfig.builder().processSlots(8).build());
        patchInt(file, RegionDescriptor.PROCESS_SLOTS_OFFSET, 9, true);
        assertEquals("process-table.length", assertThrows(RegionFormatException.class, () -> Region.open(file)).field());
    }

    /** create() on a damaged region says what is wrong with it, not that a ready region exists. */
    @Test
    void createOnADamagedRegionNamesTheDamage() throws IOException
    {
        final Path file = newRegion(RegionConfig.builder().processSlots(8).build());
        final long size = Files.size(file);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE))
        {
            ch.truncate(size / 2);
        }
        final RegionException ex = assertThrows(RegionException.class, () -> Region.create(file, RegionConfig.defaults()));
        assertFalse(ex instanceof RegionExistsException, ex.toString());
        assertTrue(ex instanceof RegionFormatException && ex.getMessage().contains(file.toString()), ex.toString());
    }

    /** A creator never shows an empty file under the region's name: one found there is someone else's, left as it is. */
    @Test
    void emptyFileIsNotARegionAndIsLeftAsItIs() throws IOException
    {
        final Path file = temp.newPath("empty");
        Files.createFile(file);
        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> Region.open(file));
        assertEquals("magic", ex.field());
        assertTrue(ex.found().contains("empty"), ex.getMessage());
        assertThrows(RegionFormatException.class, () -> Region.create(file, RegionConfig.defaults()));
        assertThrows(RegionFormatException.class, () -> Region.openOrCreate(file, RegionConfig.defaults()));
        assertThrows(RegionFormatException.class, () -> Region.delete(file));
        assertEquals(0, Files.size(file));
        assertFalse(Files.exists(Region.lockFilePath(file)), "no lock file made beside a file that is not a region");
    }

    @Test
    void halfInitialisedFileIsRejectedByOpenAndRedoneByOpenOrCreate() throws IOException
    {
        final Path file = newRegion(RegionConfig.defaults());
        patchLong(file, RegionDescriptor.MAGIC_OFFSET, RegionDescriptor.INIT_MAGIC, false);
        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> Region.open(file));
        assertTrue(ex.getMessage().contains("died during initialisation")
            && ex.getMessage().contains("pid " + ProcessHandle.current().pid()), ex.getMessage());
        try (Region region = Region.openOrCreate(file, RegionConfig.defaults()))
        {
            region.attach();
            region.bindRoot("ok", 1);
            assertEquals(1, region.root("ok"));
        }
    }

    @Test
    void useAfterCloseFailsCleanly()
    {
        final Path file = newRegion(RegionConfig.defaults());
        final Region region = Region.open(file);
        region.close();
        region.close();
        assertTrue(region.isClosed());
        assertThrows(IllegalStateException.class, region::attach);
        assertThrows(IllegalStateException.class, () -> region.root("x"));
        assertThrows(IllegalStateException.class, region::buffer);
    }

    static void patchInt(final Path file, final int offset, final int value, final boolean fixChecksum) throws IOException
    {
        patch(file, buffer -> buffer.putInt(offset, value), fixChecksum);
    }

    static void patchLong(final Path file, final int offset, final long value, final boolean fixChecksum) throws IOException
    {
        patch(file, buffer -> buffer.putLong(offset, value), fixChecksum);
    }

    private static void patch(final Path file, final java.util.function.Consumer<UnsafeBuffer> change, final boolean fixChecksum)
        throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer page = ByteBuffer.allocate(RegionDescriptor.HEADER_LENGTH).order(ByteOrder.nativeOrder());
            channel.read(page, 0);
            final UnsafeBuffer buffer = new UnsafeBuffer(page.array());
            change.accept(buffer);
            if (fixChecksum)
            {
                buffer.putInt(RegionDescriptor.CHECKSUM_OFFSET, RegionHeader.checksum(buffer));
            }
            channel.write(ByteBuffer.wrap(page.array()), 0);
        }
    }

    private static void assertMessage(final Class<? extends Throwable> type, final String part, final Runnable action)
    {
        final Throwable ex = assertThrows(type, action::run);
        assertTrue(ex.getMessage().contains(part), () -> "'" + ex.getMessage() + "' should contain '" + part + "'");
    }
}
