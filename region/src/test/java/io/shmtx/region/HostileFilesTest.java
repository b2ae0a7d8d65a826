package io.shmtx.region;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.testkit.ChildJvm;
import io.shmtx.testkit.OtherUser;
import io.shmtx.testkit.TempRegions;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Region files in hostile places: links (dangling ones too), files that are not regions (zeros,
 * sparse, empty, devices, FIFOs), files and lock files of other users, readers without write
 * access. Tests about another user run as root (files handed over with chown, child JVMs run as
 * nobody) and skip, saying so, otherwise.
 */
class HostileFilesTest
{
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final TempRegions temp = new TempRegions();
    private final List<ChildJvm> children = new ArrayList<>();
    private final List<Path> dirs = new ArrayList<>();

    @AfterEach
    void cleanUp() throws IOException
    {
        children.forEach(ChildJvm::close);
        temp.close();
        for (final Path dir : dirs)
        {
            try (var tree = Files.walk(dir))
            {
                for (final Path path : (Iterable<Path>)tree.sorted((a, b) -> b.compareTo(a))::iterator)
                {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    private ChildJvm child(final String... args) throws IOException
    {
        final ChildJvm child = ChildJvm.start(RegionChild.class, args);
        children.add(child);
        return child;
    }

    private Path newDir(final String prefix) throws IOException
    {
        final Path dir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), prefix);
        dirs.add(dir);
        return dir;
    }

    private static int slotOf(final String line)
    {
        return Integer.parseInt(line.replaceAll(".*slot=(\\d+).*", "$1"));
    }

    private static Path lockBeside(final Path name)
    {
        return name.resolveSibling(name.getFileName() + ".lock");
    }

    // ------------------------------------------------------------------ 4: one region, one lock file, whatever the name

    /**
     * {@code /dev/shm/x -> <dir>/target}, the target not there yet: a process creating through the
     * link, one opening the link and one opening the target all use the target's lock file, so none
     * sees another as dead.
     */
    @Test
    void aDanglingLinkLeadsEveryProcessToTheTargetsLockFile() throws Exception
    {
        final Path dir = newDir("dangling");
        final Path target = dir.resolve("target");
        final Path link = temp.newPath("dangling-link");
        Files.createSymbolicLink(link, target);

        final ChildJvm creator = child("open-or-create", link.toString());
        final int slot = slotOf(creator.awaitLine("ATTACHED", WAIT));
        assertTrue(Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS), "the region was created at the link's target");
        assertTrue(Files.exists(lockBeside(target)));
        assertFalse(Files.exists(lockBeside(link), LinkOption.NOFOLLOW_LINKS), "no lock file beside the link");

        try (Region byTarget = Region.open(target, Duration.ZERO); Region byLink = Region.open(link, Duration.ZERO))
        {
            assertEquals(target.toRealPath(), byLink.file());
            assertTrue(byTarget.isAlive(slot), "a process that created through the link is alive for one opening the target");
            assertTrue(byLink.isAlive(slot), "and for one opening the link");
            assertTrue(byLink.recoverDeadSlots().isEmpty(), "so nobody recovers its slot");
            final int mine = byTarget.attach();
            assertNotEquals(slot, mine, "nor is its slot handed out again");
            creator.send("alive " + mine);
            assertEquals("ALIVE " + mine + " true", creator.awaitLine("ALIVE", WAIT));
        }
        assertEquals(Region.lockFilePath(target), Region.lockFilePath(link));
        assertTrue(Region.delete(link));
        assertFalse(Files.exists(target) || Files.exists(lockBeside(target)));
        assertTrue(Files.isSymbolicLink(link), "deleting through a link deletes the region, not the link");
    }

    @Test
    void linkChainsResolveAsTheKernelFollowsThemAndLoopsAreRefused() throws IOException
    {
        final Path dir = newDir("chain");
        final Path first = dir.resolve("first");
        final Path second = dir.resolve("second");
        Files.createDirectory(dir.resolve("sub"));
        Files.createSymbolicLink(first, Path.of("second"));                   // relative to the link's directory
        Files.createSymbolicLink(second, Path.of("sub", "..", "sub", "region")); // ".." resolved by the kernel's rules
        final Path region = dir.toRealPath().resolve("sub").resolve("region");
        assertEquals(region, Region.realPath(first));
        try (Region created = Region.create(first, RegionConfig.defaults()))
        {
            assertEquals(region, created.file());
        }
        assertEquals(region, Region.realPath(first), "the same path once the file exists");
        assertTrue(Files.isRegularFile(region, LinkOption.NOFOLLOW_LINKS));

        final Path loopA = dir.resolve("loop-a");
        Files.createSymbolicLink(loopA, Path.of("loop-b"));
        Files.createSymbolicLink(dir.resolve("loop-b"), Path.of("loop-a"));
        final RegionException ex = assertThrows(RegionException.class, () -> Region.create(loopA, RegionConfig.defaults()));
        assertTrue(ex.getMessage().contains(loopA.toString()), ex.getMessage());
        assertFalse(Files.exists(lockBeside(loopA), LinkOption.NOFOLLOW_LINKS));
    }

    // ------------------------------------------------------------------ 5: what is not provably a region is never changed

    @Test
    void zeroFilledSparseAndZeroHeadedFilesAreNeverTakenForRegions() throws IOException
    {
        final Path zeros = temp.newPath("zeros");
        Files.write(zeros, new byte[64 * 1024]);
        final Path sparse = temp.newPath("sparse");
        try (RandomAccessFile file = new RandomAccessFile(sparse.toFile(), "rw"))
        {
            file.setLength(1 << 20);
        }
        final Path image = temp.newPath("image"); // a disk image whose first sector is blank
        final byte[] imageBytes = new byte[3 * RegionDescriptor.PAGE_SIZE];
        Arrays.fill(imageBytes, RegionDescriptor.PAGE_SIZE, imageBytes.length, (byte)0x5A);
        Files.write(image, imageBytes);

        for (final Path file : List.of(zeros, sparse, image))
        {
            final byte[] before = Files.readAllBytes(file);
            for (final Runnable action : List.<Runnable>of(
                () -> Region.create(file, RegionConfig.defaults()),
                () -> Region.openOrCreate(file, RegionConfig.defaults()),
                () -> Region.open(file),
                () -> Region.openReadOnly(file),
                () -> Region.delete(file)))
            {
                final RegionFormatException ex = assertThrows(RegionFormatException.class, action::run);
                assertEquals("magic", ex.field());
                assertTrue(ex.found().contains("zeros") && ex.getMessage().contains(file.toString()), ex.getMessage());
            }
            assertArrayEquals(before, Files.readAllBytes(file), file + " was changed");
            assertFalse(Files.exists(lockBeside(file)), "a lock file was left beside " + file);
        }
    }

    @Test
    void onlyACreatorsOwnPrivateFilesAreRemoved() throws IOException
    {
        final Path file = temp.newPath("remnants");
        final long pid = 4_000_000_000L; // no such process: a dead creator
        final Path notMarked = file.resolveSibling("." + file.getFileName() + ".shmtx-init-" + pid + "-0000000a");
        final Path otherPid = file.resolveSibling("." + file.getFileName() + ".shmtx-init-" + pid + "-0000000b");
        final Path remnant = file.resolveSibling("." + file.getFileName() + ".shmtx-init-" + pid + "-0000000c");
        Files.write(notMarked, new byte[4096]);
        Files.write(otherPid, initMarked(pid + 1));
        Files.write(remnant, initMarked(pid));

        Region.create(file, RegionConfig.defaults()).close();

        assertFalse(Files.exists(remnant), "a dead creator's private file (its name, INIT, its pid) is removed");
        assertTrue(Files.exists(notMarked) && Files.exists(otherPid), "files not provably a creator's are left");
        Files.delete(notMarked);
        Files.delete(otherPid);
    }

    /** A creator that died between linking the region under its name and dropping its private name left two names. */
    @Test
    void aSecondNameLeftByACreatorIsRemovedButAnyOtherHardLinkIsRefused() throws IOException
    {
        final Path file = temp.newPath("two-names");
        final long creator;
        try (Region region = Region.create(file, RegionConfig.defaults()))
        {
            creator = region.inspect().creatorPid();
        }
        final Path privateName = file.resolveSibling("." + file.getFileName() + ".shmtx-init-" + creator + "-0badcafe");
        Files.createLink(privateName, file);
        try (Region reader = Region.openReadOnly(file))
        {
            assertEquals(2, (Integer)Files.getAttribute(file, "unix:nlink"), "a reader tolerates it and removes nothing");
        }
        try (Region region = Region.open(file))
        {
            assertFalse(Files.exists(privateName), "a writer removes it");
        }
        assertEquals(1, (Integer)Files.getAttribute(file, "unix:nlink"));

        final Path other = temp.newPath("other-name");
        Files.createLink(other, file);
        assertTrue(assertThrows(RegionException.class, () -> Region.open(file)).getMessage().contains("2 hard links"));
        assertTrue(assertThrows(RegionException.class, () -> Region.openReadOnly(file)).getMessage().contains("2 hard links"));
        assertTrue(Files.exists(other));
    }

    // ------------------------------------------------------------------ 6: never adopt another's file or a wider one

    @Test
    void anEmptyFileWithWidePermissionsIsNeverAdopted() throws IOException
    {
        final Path file = temp.newPath("wide-empty");
        Files.createFile(file);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
        assertThrows(RegionFormatException.class, () -> Region.openOrCreate(file, RegionConfig.defaults()));
        assertThrows(RegionFormatException.class, () -> Region.create(file, RegionConfig.defaults()));
        assertEquals(0, Files.size(file));
        assertEquals("rw-rw-rw-", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertFalse(Files.exists(lockBeside(file)));
    }

    @Test
    void anotherUsersEmptyFileIsNeverAdopted() throws IOException
    {
        OtherUser.assumeRoot("anotherUsersEmptyFileIsNeverAdopted");
        final Path file = temp.newPath("planted");
        Files.createFile(file);
        OtherUser.chown(file, OtherUser.NOBODY);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));

        final RegionFormatException ex = assertThrows(RegionFormatException.class,
            () -> Region.openOrCreate(file, RegionConfig.defaults()));
        assertTrue(ex.getMessage().contains(file.toString()) && ex.getMessage().contains("empty"), ex.getMessage());
        assertEquals(0, Files.size(file));
        assertEquals(OtherUser.NOBODY, OtherUser.owner(file));
        assertFalse(Files.exists(lockBeside(file)));
    }

    @Test
    void openOrCreateUsesOnlyARegionThisUserCouldHaveCreated() throws IOException
    {
        final Path wide = temp.newPath("wide");
        Region.create(wide, RegionConfig.builder().permissions("rw-rw-rw-").build()).close();
        final RegionFormatException tooWide = assertThrows(RegionFormatException.class,
            () -> Region.openOrCreate(wide, RegionConfig.defaults()));
        assertEquals("permissions", tooWide.field());
        assertEquals("rw-rw-rw-", tooWide.found());
        Region.open(wide).close(); // opening it by name is the caller's choice

        OtherUser.assumeRoot("openOrCreateUsesOnlyARegionThisUserCouldHaveCreated (another user's region)");
        final Path theirs = temp.newPath("theirs");
        Region.create(theirs, RegionConfig.defaults()).close();
        OtherUser.chown(theirs, OtherUser.NOBODY);
        OtherUser.chown(Region.lockFilePath(theirs), OtherUser.NOBODY);
        final RegionFormatException owner = assertThrows(RegionFormatException.class,
            () -> Region.openOrCreate(theirs, RegionConfig.defaults()));
        assertEquals("owner", owner.field());
        assertEquals("uid " + OtherUser.NOBODY, owner.found());
        Region.open(theirs).close();

        final Path shared = temp.newPath("shared"); // another user's, shared with a group of this user's: usable
        Region.create(shared, RegionConfig.builder().permissions("rw-rw----").build()).close();
        Files.setAttribute(shared, "unix:uid", OtherUser.NOBODY);
        Region.openOrCreate(shared, RegionConfig.builder().permissions("rw-rw----").build()).close();
    }

    @Test
    void aLockFileAnotherUserCouldLockIsRefused() throws IOException
    {
        final Path file = temp.newPath("wide-lock");
        Files.createFile(lockBeside(file));
        Files.setPosixFilePermissions(lockBeside(file), PosixFilePermissions.fromString("rw-rw-rw-"));
        final RegionFormatException wide = assertThrows(RegionFormatException.class, () -> Region.create(file, RegionConfig.defaults()));
        assertEquals("lockFile.permissions", wide.field());
        assertFalse(Files.exists(file), "no region is created beside a lock file others could lock");
        Files.delete(lockBeside(file));

        OtherUser.assumeRoot("aLockFileAnotherUserCouldLockIsRefused (another user's lock file)");
        Files.createFile(lockBeside(file));
        OtherUser.chown(lockBeside(file), OtherUser.NOBODY);
        final RegionFormatException owner = assertThrows(RegionFormatException.class,
            () -> Region.openOrCreate(file, RegionConfig.defaults()));
        assertEquals("lockFile.owner", owner.field());
        assertFalse(Files.exists(file));
    }

    // ------------------------------------------------------------------ 7: delete only what is provably a region

    @Test
    void deleteNeverOpensAFifo() throws Exception
    {
        final Path fifo = temp.newPath("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        final CompletableFuture<Throwable> delete = CompletableFuture.supplyAsync(() ->
        {
            try
            {
                Region.delete(fifo);
                return null;
            }
            catch (final Throwable ex)
            {
                return ex;
            }
        });
        try
        {
            final Throwable refused = delete.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertInstanceOf(RegionFormatException.class, refused);
            assertEquals("fileType", ((RegionFormatException)refused).field());
            assertEquals("a FIFO", ((RegionFormatException)refused).found());
        }
        catch (final TimeoutException ex)
        {
            fail("Region.delete blocked on a FIFO");
        }
        finally
        {
            if (!delete.isDone())
            {
                try (FileChannel writer = FileChannel.open(fifo, StandardOpenOption.WRITE))
                {
                    writer.write(ByteBuffer.wrap(new byte[1])); // releases the blocked open
                }
            }
        }
        assertTrue(Files.exists(fifo, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void deleteNeverDeletesADevice() throws Exception
    {
        OtherUser.assumeRoot("deleteNeverDeletesADevice (mknod)");
        final Path device = temp.newPath("null-copy");
        assertEquals(0, new ProcessBuilder("mknod", device.toString(), "c", "1", "3").inheritIO().start().waitFor());
        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> Region.delete(device));
        assertEquals("a character device", ex.found());
        assertTrue(Files.exists(device, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void deleteOfAMissingRegionDeletesNothingAndOfARegionOnlyARegularLockFile() throws IOException
    {
        final Path missing = temp.newPath("missing");
        Files.writeString(lockBeside(missing), "someone's file");
        assertFalse(Region.delete(missing));
        assertEquals("someone's file", Files.readString(lockBeside(missing)));

        final Path file = temp.newPath("odd-lock");
        Region.create(file, RegionConfig.defaults()).close();
        final Path elsewhere = temp.newPath("elsewhere");
        Files.writeString(elsewhere, "kept");
        Files.delete(lockBeside(file));
        Files.createSymbolicLink(lockBeside(file), elsewhere);
        assertTrue(Region.delete(file));
        assertFalse(Files.exists(file));
        assertTrue(Files.isSymbolicLink(lockBeside(file)), "a lock name that is not a regular file is left");
        assertEquals("kept", Files.readString(elsewhere));
        Files.delete(lockBeside(file));
    }

    @Test
    void deleteRemovesAHalfCreatedRegionProvenByItsMark() throws IOException
    {
        final Path file = temp.newPath("half");
        Files.write(file, initMarked(ProcessHandle.current().pid()));
        assertTrue(Region.delete(file));
        assertFalse(Files.exists(file));
    }

    // ------------------------------------------------------------------ 8: readers read, and change nothing

    @Test
    void aReadOnlyOpenMakesNoLockFileAndRefusesEveryWrite() throws IOException
    {
        final Path file = temp.newPath("read-only");
        try (Region region = Region.create(file, RegionConfig.defaults()))
        {
            region.attach();
            region.bindRoot("kept", 7);
        }
        Files.delete(lockBeside(file));
        final byte[] before = Files.readAllBytes(file);
        try (Region reader = Region.openReadOnly(file))
        {
            assertTrue(reader.isReadOnly());
            assertEquals(7, reader.root("kept"));
            assertTrue(reader.processes().isEmpty());
            assertTrue(reader.inspect().cleanClose());
            assertThrows(IllegalStateException.class, reader::attach);
            assertThrows(IllegalStateException.class, () -> reader.bindRoot("new", 1));
            assertThrows(IllegalStateException.class, reader::nextTimestamp);
            assertThrows(IllegalStateException.class, () -> reader.buffer().putLong(0, 1));
            assertThrows(IllegalStateException.class, () -> reader.buffer().compareAndSetLong(0, 0, 1));
        }
        assertFalse(Files.exists(lockBeside(file)), "a reader never makes a lock file");
        assertArrayEquals(before, Files.readAllBytes(file));
    }

    @Test
    void aReaderSeesWhoIsAliveThroughSharedProbes() throws Exception
    {
        final Path file = temp.newPath("reader");
        Region.create(file, RegionChild.config()).close();
        final ChildJvm attached = child("attach", file.toString());
        final int slot = slotOf(attached.awaitLine("ATTACHED", WAIT));
        try (Region reader = Region.openReadOnly(file); Region writer = Region.open(file, Duration.ZERO))
        {
            assertTrue(reader.isAlive(slot));
            assertTrue(writer.isAlive(slot), "probing takes nothing from the holder");
            assertTrue(writer.recoverDeadSlots().isEmpty());
            attached.kill();
            assertFalse(reader.isAlive(slot), "the kernel dropped the killed process's lock");
            assertThrows(IllegalStateException.class, reader::recoverDeadSlots, "a reader never recovers");
            assertEquals(1, writer.recoverDeadSlots().size(), "the dead slot was left for a writer");
        }
    }

    @Test
    void aUserWhoCanOnlyReadARegionReadsIt() throws Exception
    {
        OtherUser.assumeRoot("aUserWhoCanOnlyReadARegionReadsIt");
        final Path file = temp.newPath("monitored");
        Region.create(file, RegionConfig.builder().processSlots(8).rootSlots(8).permissions("rw-r--r--")
            .heartbeatInterval(Duration.ofMillis(50)).watchdogInterval(Duration.ZERO).build()).close();
        final ChildJvm attached = child("attach", file.toString());
        final int slot = slotOf(attached.awaitLine("ATTACHED", WAIT));
        attached.send("bind seen 9");
        attached.awaitLine("BOUND", WAIT);

        final ChildJvm reader = ChildJvm.startAs(OtherUser.NOBODY, RegionChild.class, "read", file.toString());
        children.add(reader);
        assertEquals("PROCESS slot=" + slot + " pid=" + attached.pid() + " alive=true", reader.awaitLine("PROCESS", WAIT));
        assertTrue(reader.awaitLine(l -> l.startsWith("READ") || l.startsWith("FAILED"), WAIT).startsWith("READ roots={seen=9}"),
            () -> String.join("\n", reader.transcript()));
        assertEquals(0, reader.waitForExit(WAIT));
    }

    private static byte[] initMarked(final long pid)
    {
        final ByteBuffer bytes = ByteBuffer.allocate(RegionDescriptor.PAGE_SIZE).order(java.nio.ByteOrder.nativeOrder());
        bytes.putLong(RegionDescriptor.MAGIC_OFFSET, RegionDescriptor.INIT_MAGIC);
        bytes.putLong(RegionDescriptor.CREATOR_PID_OFFSET, pid);
        return bytes.array();
    }
}
