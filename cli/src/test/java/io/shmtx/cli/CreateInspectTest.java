package io.shmtx.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.region.ProcessSlotInfo;
import io.shmtx.region.Region;
import io.shmtx.region.RegionConfig;
import io.shmtx.region.RegionInfo;
import io.shmtx.testkit.TempRegions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code shmtx create} and {@code shmtx inspect} on real region files.
 */
class CreateInspectTest
{
    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws IOException
    {
        temp.close();
    }

    @Test
    void createMakesTheRegionItPrints() throws IOException
    {
        final Path file = temp.newPath("create");
        final Cli.Result result = Cli.run("create", file.toString(), "--size", "64m", "--process-slots", "5",
            "--root-slots", "100", "--permissions", "rw-rw----", "--heartbeat-ms", "250");

        assertEquals(0, result.exitCode(), result::toString);
        assertEquals("", result.err());
        assertTrue(result.out().startsWith("created region " + file.toRealPath() + "\n"), result::toString);
        assertTrue(result.out().contains("67108864 bytes (64 MiB)"), result::toString);
        assertTrue(result.out().contains("250 ms interval"), result::toString);
        assertTrue(result.out().contains("0 of 5 in use"), result::toString);
        assertTrue(result.out().contains("0 of 100 bound"), result::toString);
        assertTrue(result.out().matches("(?s).*process-table +1 +4096 +640 .*"), result::toString);
        assertTrue(result.out().matches("(?s).*roots +2 +\\d+ +6400 .*"), result::toString);

        assertEquals(64L << 20, Files.size(file));
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        try (Region region = Region.open(file))
        {
            final RegionInfo info = region.inspect();
            assertEquals(5, info.processSlots());
            assertEquals(250, info.heartbeatMillis());
            assertEquals(64L << 20, info.size());
            assertTrue(info.processes().isEmpty(), "create must not leave a process attached");
        }
    }

    @Test
    void createWithDefaultsUsesTheRegionDefaults()
    {
        final Path file = temp.newPath("defaults");
        final Cli.Result result = Cli.run("create", file.toString());

        assertEquals(0, result.exitCode(), result::toString);
        final RegionConfig defaults = RegionConfig.defaults();
        assertTrue(result.out().contains("0 of " + defaults.processSlots() + " in use"), result::toString);
        assertTrue(result.out().contains(defaults.heartbeatInterval().toMillis() + " ms interval"), result::toString);
        assertTrue(result.out().contains("rw-------"), result::toString);
    }

    /** One corrupt root slot: inspect still prints the header, processes and the other roots, names the damage, exits 1. */
    @Test
    void inspectPrintsWhatItCanOfARegionWithACorruptRootSlot() throws IOException
    {
        final Path file = temp.newPath("bad-root");
        assertEquals(0, Cli.run("create", file.toString(), "--process-slots", "4").exitCode());
        try (Region region = Region.open(file))
        {
            region.attach();
            region.bindRoot("good", 7);
            region.bindRoot("bad", 8);
            final int base = (int)region.section(io.shmtx.region.SectionSpec.ROOTS).offset();
            region.buffer().putInt(base + io.shmtx.region.RootsDescriptor.SLOT_SIZE + io.shmtx.region.RootsDescriptor.NAME_LENGTH_OFFSET,
                1_000_000);
        }
        final Cli.Result result = Cli.run("inspect", file.toString());
        assertEquals(Main.EXIT_ERROR, result.exitCode(), result::toString);
        assertTrue(result.out().contains("good") && result.out().contains("0x0000000000000007"), result::toString);
        assertTrue(result.out().contains("UNREADABLE") && result.out().contains("roots[1].nameLength"), result::toString);
        assertTrue(result.out().contains("process"), result::toString);
        assertTrue(result.err().contains(file.toRealPath().toString()) && result.err().contains("roots[1].nameLength"), result::toString);
    }

    @Test
    void createRefusesAnExistingRegion() throws IOException
    {
        final Path file = temp.newPath("twice");
        assertEquals(0, Cli.run("create", file.toString()).exitCode());

        final Cli.Result again = Cli.run("create", file.toString());

        assertEquals(Main.EXIT_ERROR, again.exitCode(), again::toString);
        assertEquals("", again.out());
        assertTrue(again.err().contains(file.toRealPath().toString()) && again.err().contains("already exists"),
            again::toString);
        assertEquals(1, again.err().lines().count(), again::toString);
    }

    @Test
    void inspectShowsHeaderSectionsAttachedProcessesAndRootsWithoutAttaching()
    {
        final Path file = temp.newPath("inspect");
        final RegionConfig config = RegionConfig.builder().processSlots(4).rootSlots(8)
            .heartbeatInterval(Duration.ofMillis(50)).watchdogInterval(Duration.ZERO).build();
        try (Region region = Region.create(file, config))
        {
            final int slot = region.attach();
            region.bindRoot("accounts", 0x2aL);
            region.nextTimestamp();
            region.nextTimestamp();

            final Cli.Result result = Cli.run("inspect", file.toString());

            assertEquals(0, result.exitCode(), result::toString);
            assertEquals("", result.err());
            final String out = result.out();
            assertTrue(out.contains("layout version  1"), out);
            assertTrue(out.contains("creator pid     " + ProcessHandle.current().pid()), out);
            assertTrue(out.contains("clean close     no"), out);
            assertTrue(out.contains("clock           2\n"), out);
            assertTrue(out.contains("processes (1 of 4 slots in use)"), out);
            final long pid = ProcessHandle.current().pid();
            // alive; stalled or not depends on the machine's load (a 50 ms heartbeat), so either is accepted
            assertTrue(out.matches("(?s).*\n +" + slot + " +ATTACHED +" + pid + " +alive +(no|STALLED) .*"), out);
            assertTrue(out.matches("(?s).*roots \\(1\\)\n +accounts +0x000000000000002a\n.*"), out);
            assertTrue(out.contains("process-table") && out.contains("sections (2)"), out);

            final List<ProcessSlotInfo> processes = region.inspect().processes();
            assertEquals(1, processes.size(), "inspect must not attach: " + processes);
        }
    }

    @Test
    void inspectThroughASymbolicLinkUsesTheRealFilesLock(@TempDir final Path dir) throws IOException
    {
        final Path file = temp.newPath("linked");
        final Path link = Files.createSymbolicLink(dir.resolve("link"), file);
        try (Region region = Region.create(file, RegionConfig.builder().watchdogInterval(Duration.ZERO).build()))
        {
            final int slot = region.attach();

            final Cli.Result result = Cli.run("inspect", link.toString());

            assertEquals(0, result.exitCode(), result::toString);
            final long pid = ProcessHandle.current().pid();
            assertTrue(result.out().matches("(?s).*\n +" + slot + " +ATTACHED +" + pid + " +alive .*"),
                "a live process seen as dead through the link: " + result);
            assertTrue(result.out().contains("lock file       " + Region.lockFilePath(file.toRealPath())),
                result::toString);
            assertFalse(Files.exists(link.resolveSibling(link.getFileName() + ".lock")), "a second lock file beside the link");
        }
    }

    @Test
    void inspectOfAnEmptyRegionSaysNoneAttachedAndCleanClose()
    {
        final Path file = temp.newPath("empty");
        Region.create(file, RegionConfig.defaults()).close();

        final Cli.Result result = Cli.run("inspect", file.toString());

        assertEquals(0, result.exitCode(), result::toString);
        assertTrue(result.out().contains("(none attached)"), result::toString);
        assertTrue(result.out().contains("(none bound)"), result::toString);
        assertTrue(result.out().contains("clean close     yes"), result::toString);
    }
}
