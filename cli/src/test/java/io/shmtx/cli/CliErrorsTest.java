package io.shmtx.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.region.Region;
import io.shmtx.testkit.TempRegions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Expected errors: one line on standard error naming the file or value, no stack trace, exit
 * code 1 for runtime errors and 2 for usage errors.
 */
class CliErrorsTest
{
    private final TempRegions temp = new TempRegions();

    @TempDir
    Path dir;

    @AfterEach
    void cleanUp() throws IOException
    {
        temp.close();
    }

    private static void assertOneLineError(final Cli.Result result, final int exitCode, final String... fragments)
    {
        assertEquals(exitCode, result.exitCode(), result::toString);
        assertEquals("", result.out(), result::toString);
        assertEquals(1, result.err().lines().count(), () -> "not one line: " + result);
        assertFalse(result.err().contains("\tat "), () -> "stack trace: " + result);
        for (final String fragment : fragments)
        {
            assertTrue(result.err().contains(fragment), () -> "no '" + fragment + "' in: " + result);
        }
    }

    @Test
    void inspectOfAMissingFileNamesIt() throws IOException
    {
        final Path missing = dir.toRealPath().resolve("no-such-region");

        final Cli.Result result = Cli.run("inspect", missing.toString());

        assertOneLineError(result, Main.EXIT_ERROR, missing.toString(), "does not exist");
        assertFalse(Files.exists(Region.lockFilePath(missing)), "inspect must not leave a lock file");
    }

    @Test
    void inspectOfATextFileNamesTheMagicAndLeavesNoLockFile() throws IOException
    {
        final Path text = dir.toRealPath().resolve("notes.txt");
        Files.writeString(text, "these are not the bytes you are looking for\n".repeat(200), StandardCharsets.US_ASCII);

        final Cli.Result result = Cli.run("inspect", text.toString());

        assertOneLineError(result, Main.EXIT_ERROR, text.toString(), "magic=", "not a shmtx region");
        assertFalse(Files.exists(Region.lockFilePath(text)), "a lock file was left beside a file that is not a region");
        assertEquals(8800, Files.size(text), "inspect must not change the file");
    }

    @Test
    void inspectOfADirectoryNamesIt() throws IOException
    {
        final Cli.Result result = Cli.run("inspect", dir.toString());

        assertOneLineError(result, Main.EXIT_ERROR, dir.toRealPath().toString(), "fileType=a directory");
    }

    @Test
    void createInAMissingDirectoryNamesTheFile() throws IOException
    {
        final Path file = dir.toRealPath().resolve("missing-dir").resolve("region");

        final Cli.Result result = Cli.run("create", file.toString());

        assertOneLineError(result, Main.EXIT_ERROR, file.toString());
    }

    /** Every command that takes a region FILE says that its directory is missing, or is not one; nothing is created. */
    @Test
    void aMissingOrWrongParentDirectoryIsNamedAsSuch() throws IOException
    {
        final Path real = dir.toRealPath();
        final Path notADirectory = Files.createFile(real.resolve("plain-file"));
        for (final String[] command : new String[][] {{"create"}, {"inspect"}, {"stat", "--once"},
            {"attach-child", "--max-wait-s", "0"}})
        {
            final Path missingOne = real.resolve("missing").resolve("region");
            final Path missingTwo = real.resolve("gone").resolve("deeper").resolve("region");
            final Path underAFile = notADirectory.resolve("region");

            assertOneLineError(run(command, missingOne), Main.EXIT_ERROR, "region " + missingOne + ": its directory "
                + missingOne.getParent() + " does not exist");
            assertOneLineError(run(command, missingTwo), Main.EXIT_ERROR, "region " + missingTwo + ": its directory "
                + missingTwo.getParent() + " does not exist (" + real.resolve("gone") + " is missing already)");
            assertOneLineError(run(command, underAFile), Main.EXIT_ERROR, "region " + underAFile + ": its directory "
                + notADirectory + " is not a directory");
        }
        try (java.util.stream.Stream<Path> left = Files.list(real))
        {
            assertEquals(List.of(notADirectory), left.toList(), "a command created something");
        }
    }

    private static Cli.Result run(final String[] command, final Path file)
    {
        final String[] args = new String[command.length + 1];
        args[0] = command[0];
        args[1] = file.toString();
        System.arraycopy(command, 1, args, 2, command.length - 1);
        return Cli.run(args);
    }

    /** A word where a command was expected: says it is not one, suggests the nearest visible command, exit 2. */
    @Test
    void anUnknownCommandIsNamedWithTheNearestOne()
    {
        final String[][] cases = {
            {"stats", "'stats' is not a command; did you mean 'stat'?"},
            {"lsit", "'lsit' is not a command; did you mean 'list'?"},
            {"inspct", "'inspct' is not a command; did you mean 'inspect'?"},
            {"insp", "'insp' is not a command; did you mean 'inspect'?"},
            {"Create", "'Create' is not a command; did you mean 'create'?"},
            {"xyzzy", "'xyzzy' is not a command; the commands are create, inspect, stat, list, demo, soak, help"},
        };
        for (final String[] c : cases)
        {
            for (final String[] args : new String[][] {{c[0]}, {c[0], "/dev/shm/x", "--once"}, {"help", c[0]}})
            {
                final Cli.Result result = Cli.run(args);

                assertOneLineError(result, Main.EXIT_USAGE);
                assertEquals("shmtx: " + c[1] + " (see 'shmtx --help')\n", result.err(), result::toString);
            }
        }
        assertFalse(Cli.run("soak-wroker").err().contains("soak-worker"), "a hidden command was suggested");
        assertOneLineError(Cli.run("--bogus"), Main.EXIT_USAGE, "Unknown option: '--bogus'");
        assertOneLineError(Cli.run("stat", "/dev/shm/x", "--bogus"), Main.EXIT_USAGE,
            "shmtx stat: Unknown option: '--bogus'");
    }

    @Test
    void aSizeThatIsNotASizeIsAUsageError()
    {
        final Path file = temp.newPath("bad-size");

        final Cli.Result result = Cli.run("create", file.toString(), "--size", "banana");

        assertOneLineError(result, Main.EXIT_USAGE, "--size", "'banana'");
        assertFalse(Files.exists(file));
        assertFalse(Files.exists(Region.lockFilePath(file)));
    }

    @Test
    void outOfRangeValuesAreUsageErrorsNamingTheOption()
    {
        final Path file = temp.newPath("bad-values");

        assertOneLineError(Cli.run("create", file.toString(), "--size", "3g"), Main.EXIT_USAGE, "--size", "3221225472");
        assertOneLineError(Cli.run("create", file.toString(), "--process-slots", "0"), Main.EXIT_USAGE,
            "--process-slots", "processSlots=0");
        assertOneLineError(Cli.run("create", file.toString(), "--root-slots", "x"), Main.EXIT_USAGE,
            "--root-slots", "'x'");
        assertOneLineError(Cli.run("create", file.toString(), "--heartbeat-ms", "1"), Main.EXIT_USAGE,
            "--heartbeat-ms", "10ms..1h");
        assertOneLineError(Cli.run("create", file.toString(), "--permissions", "rwx"), Main.EXIT_USAGE,
            "--permissions", "'rwx'");
        assertOneLineError(Cli.run("create", file.toString(), "--permissions", "r--r-----"), Main.EXIT_USAGE,
            "--permissions", "owner read and write");
        assertFalse(Files.exists(file), "no bad value may create the file");
    }

    @Test
    void statOfAMissingFileNamesIt() throws IOException
    {
        final Path missing = dir.toRealPath().resolve("no-such-region");

        final Cli.Result result = Cli.run("stat", missing.toString(), "--once");

        assertOneLineError(result, Main.EXIT_ERROR, missing.toString(), "does not exist");
        assertFalse(Files.exists(Region.lockFilePath(missing)), "stat must not leave a lock file");
    }

    @Test
    void statOfATextFileNamesTheMagicAndLeavesNoLockFile() throws IOException
    {
        final Path text = dir.toRealPath().resolve("notes.txt");
        Files.writeString(text, "not a region\n".repeat(800), StandardCharsets.US_ASCII);

        final Cli.Result result = Cli.run("stat", text.toString());

        assertOneLineError(result, Main.EXIT_ERROR, text.toString(), "magic=");
        assertFalse(Files.exists(Region.lockFilePath(text)), "a lock file was left beside a file that is not a region");
    }

    @Test
    void badStatOptionsAreUsageErrorsNamingTheOption()
    {
        final String file = temp.newPath("never-opened").toString();

        assertOneLineError(Cli.run("stat", file, "--interval-ms", "0"), Main.EXIT_USAGE,
            "--interval-ms", "10..3600000");
        assertOneLineError(Cli.run("stat", file, "--interval-ms", "soon"), Main.EXIT_USAGE, "--interval-ms", "'soon'");
        assertOneLineError(Cli.run("stat", file, "--count", "-1"), Main.EXIT_USAGE, "--count", "-1");
        assertOneLineError(Cli.run("stat", file, "--once", "--count", "3"), Main.EXIT_USAGE, "--once", "--count 3");
        assertOneLineError(Cli.run("stat", file, "--leaks-older-than-ms", "-5"), Main.EXIT_USAGE,
            "--leaks-older-than-ms", "-5");
        assertOneLineError(Cli.run("stat"), Main.EXIT_USAGE, "FILE");
        assertFalse(Files.exists(Region.lockFilePath(Path.of(file))), "a usage error must not touch the region");
    }

    @Test
    void badPoolTiersAreUsageErrorsNamingTheValue()
    {
        final Path file = temp.newPath("bad-tiers");
        final String[][] cases = {
            {"32", "'32' is not BLOCKSIZE:COUNT"},
            {"32:many", "count 'many' is not a whole number"},
            {"x:10", "'x' is not a size"},
            {"33:10", "blockSize=33 must be a multiple of 8"},
            {"0:10", "blockSize=0"},
            {"32:0", "blockCount=0"},
            {"32:10:10", "reserve=10"},
            {"2g:1", "blockSize=2147483648 is larger than"},
            {"64:10,32:10", "blockSize=32 must be larger than tier 0 blockSize=64"},
            {"", "'' is not BLOCKSIZE:COUNT"},
            {"1m:4096", "pool needs"},
        };
        for (final String[] c : cases)
        {
            final Cli.Result result = Cli.run("create", file.toString(), "--pool-tiers", c[0]);
            assertOneLineError(result, Main.EXIT_USAGE, "--pool-tiers", c[1]);
        }
        assertOneLineError(Cli.run("create", file.toString(), "--pool", "--process-slots", "0"), Main.EXIT_USAGE,
            "--process-slots", "processSlots=0");
        assertFalse(Files.exists(file), "no bad value may create the file");
        assertFalse(Files.exists(Region.lockFilePath(file)), "no bad value may create the lock file");
    }

    @Test
    void aBadLockPolicyIsAUsageErrorNamingTheValueAndThePolicies()
    {
        final Path file = temp.newPath("bad-policy");

        assertOneLineError(Cli.run("create", file.toString(), "--locks", "--lock-policy", "WAIT_FOREVER"),
            Main.EXIT_USAGE, "--lock-policy", "'WAIT_FOREVER'", "WAIT_DIE, WOUND_WAIT, NO_WAIT, TIMEOUT, DETECT");
        assertOneLineError(Cli.run("create", file.toString(), "--lock-policy", "wound-wait"), Main.EXIT_USAGE,
            "--lock-policy", "'wound-wait'");
        assertOneLineError(Cli.run("create", file.toString(), "--lock-policy"), Main.EXIT_USAGE, "--lock-policy");
        assertFalse(Files.exists(file), "a bad policy must not create the file");
        assertFalse(Files.exists(Region.lockFilePath(file)), "a bad policy must not create the lock file");
    }

    @Test
    void refcountsWithoutAPoolIsAUsageError()
    {
        final Path file = temp.newPath("refcounts-no-pool");

        assertOneLineError(Cli.run("create", file.toString(), "--refcounts"), Main.EXIT_USAGE,
            "--refcounts", "--pool or --pool-tiers");
        assertOneLineError(Cli.run("create", file.toString(), "--refcounts", "--locks"), Main.EXIT_USAGE,
            "--refcounts", "--pool or --pool-tiers");
        assertFalse(Files.exists(file), "--refcounts without a pool must not create the file");
        assertFalse(Files.exists(Region.lockFilePath(file)),
            "--refcounts without a pool must not create the lock file");
    }

    @Test
    void aLockTableTooLargeForTheProcessSlotsIsAUsageError()
    {
        final Path file = temp.newPath("locks-too-many-slots");

        assertOneLineError(Cli.run("create", file.toString(), "--locks", "--process-slots", "4096"), Main.EXIT_USAGE,
            "--process-slots", "--locks", "processSlots=4096", "65534 transaction cells");
        assertFalse(Files.exists(file));
        assertFalse(Files.exists(Region.lockFilePath(file)));
    }

    @Test
    void unknownCommandsOptionsAndMissingArgumentsAreUsageErrors()
    {
        assertOneLineError(Cli.run("frobnicate"), Main.EXIT_USAGE, "'frobnicate'");
        assertOneLineError(Cli.run("inspect", "--bogus", "x"), Main.EXIT_USAGE, "--bogus");
        assertOneLineError(Cli.run("inspect"), Main.EXIT_USAGE, "FILE");
    }

    @Test
    void noArgumentsPrintsTheUsageAsAUsageError()
    {
        final Cli.Result result = Cli.run();

        assertEquals(Main.EXIT_USAGE, result.exitCode(), result::toString);
        assertTrue(result.err().contains("Usage: shmtx"), result::toString);
    }

    @Test
    void helpAndVersionSucceedAndHideTheInternalCommand()
    {
        final Cli.Result help = Cli.run("--help");
        assertEquals(0, help.exitCode(), help::toString);
        assertTrue(help.out().contains("create") && help.out().contains("inspect") && help.out().contains("demo")
            && help.out().contains("stat"), help::toString);
        assertFalse(help.out().contains("attach-child"), help::toString);

        final Cli.Result createHelp = Cli.run("help", "create");
        assertEquals(0, createHelp.exitCode(), createHelp::toString);
        assertTrue(createHelp.out().contains("--process-slots=N"), createHelp::toString);
        assertTrue(createHelp.out().contains("Default: 64."), createHelp::toString);

        final Cli.Result version = Cli.run("--version");
        assertEquals(0, version.exitCode(), version::toString);
        assertTrue(version.out().matches("(?s)shmtx \\d+\\.\\d+\\.\\d+.*"), version::toString);
    }
}
