package io.shmtx.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.region.Region;
import io.shmtx.testkit.ChildJvm;
import io.shmtx.testkit.OtherUser;
import io.shmtx.testkit.TempRegions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code inspect} and {@code stat} only read: a user with read access alone can run them, and
 * they leave nothing behind; a refused {@code create} leaves nothing behind either.
 */
class ReadOnlyCommandsTest
{
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String[] FULL_STAT = {"--once", "--patterns", "--leaks-older-than-ms", "0", "--orphans"};

    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws IOException
    {
        temp.close();
    }

    private Path fullRegion(final String permissions)
    {
        final Path file = temp.newPath("read-only");
        final Cli.Result created = Cli.run("create", file.toString(), "--pool", "--refcounts", "--locks",
            "--process-slots", "4", "--permissions", permissions);
        assertEquals(0, created.exitCode(), created::toString);
        return file;
    }

    /** {@code stat FILE} with every option that adds a part, once. */
    static String[] stat(final Path file)
    {
        final String[] args = new String[FULL_STAT.length + 2];
        args[0] = "stat";
        args[1] = file.toString();
        System.arraycopy(FULL_STAT, 0, args, 2, FULL_STAT.length);
        return args;
    }

    @Test
    void inspectAndStatMakeNoLockFileAndChangeNothing() throws IOException
    {
        final Path file = fullRegion("rw-------");
        Files.delete(Region.lockFilePath(file));
        final byte[] before = Files.readAllBytes(file);

        final Cli.Result inspect = Cli.run("inspect", file.toString());
        final Cli.Result stat = Cli.run(stat(file));

        assertEquals(0, inspect.exitCode(), inspect::toString);
        assertTrue(inspect.out().contains("(none attached)"), inspect::toString);
        assertEquals(0, stat.exitCode(), stat::toString);
        assertTrue(stat.out().contains("references"), stat::toString);
        assertFalse(Files.exists(Region.lockFilePath(file)), "a command that only reads made a lock file");
        assertArrayEquals(before, Files.readAllBytes(file), "a command that only reads changed the region");
    }

    @Test
    void aRefusedCreateLeavesNoLockFileAndTheFileAsItWas() throws IOException
    {
        final Path file = temp.newPath("zeros");
        Files.write(file, new byte[64 * 1024]);

        final Cli.Result result = Cli.run("create", file.toString());

        assertEquals(Main.EXIT_ERROR, result.exitCode(), result::toString);
        assertTrue(result.err().contains(file.toRealPath().toString()) && result.err().contains("zeros"), result::toString);
        assertEquals(1, result.err().lines().count(), result::toString);
        assertFalse(Files.exists(Region.lockFilePath(file)));
        assertEquals(64 * 1024, Files.size(file));
        assertTrue(Arrays.equals(new byte[64 * 1024], Files.readAllBytes(file)), "create changed a file that is not a region");
    }

    /** A monitoring user with read access only (the region and its lock file are rw-r--r--, root's). */
    @Test
    void aUserWhoCanOnlyReadARegionInspectsAndStatsIt() throws IOException
    {
        OtherUser.assumeRoot("aUserWhoCanOnlyReadARegionInspectsAndStatsIt");
        final Path file = fullRegion("rw-r--r--");
        try (SharedFixture attached = new SharedFixture(file))
        {
            attached.pool.allocate(100);
            final long pid = ProcessHandle.current().pid();

            try (ChildJvm inspect = ChildJvm.startAs(OtherUser.NOBODY, Main.class, "inspect", file.toString()))
            {
                final int exit = inspect.waitForExit(WAIT);
                final String out = String.join("\n", inspect.transcript());
                assertEquals(0, exit, out);
                assertTrue(out.matches("(?s).*\n +" + attached.slot + " +ATTACHED +" + pid + " +alive .*"),
                    "the attached process, alive, as another user sees it:\n" + out);
            }
            try (ChildJvm stat = ChildJvm.startAs(OtherUser.NOBODY, Main.class, stat(file)))
            {
                final int exit = stat.waitForExit(WAIT);
                final String out = String.join("\n", stat.transcript());
                assertEquals(0, exit, out);
                assertTrue(out.contains("pool tiers") && out.contains("locks: policy") && out.contains("references"), out);
            }
        }
    }
}
