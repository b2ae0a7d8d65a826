package io.shmtx.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.region.Region;
import io.shmtx.testkit.TempRegions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every bad argument is a usage error: exit 2, one line on standard error naming the option (or
 * argument) and the value at fault, nothing created. Runtime failures (the file system's answer
 * to a well-formed request) are exit 1.
 */
class UsageErrorsTest
{
    /** Stands for a fresh region path in the table. */
    private static final String FILE = "@FILE@";

    private final TempRegions temp = new TempRegions();

    @TempDir
    Path dir;

    @AfterEach
    void cleanUp() throws IOException
    {
        temp.close();
    }

    /** Arguments, then the fragments the error line must contain: the option or argument, and the value. */
    static Stream<Arguments> usageErrors()
    {
        return Stream.of(
            // empty or bad list elements: none is skipped
            bad(args("create", FILE, "--pool-tiers", ","), "--pool-tiers", "','", "tier 1 of 2"),
            bad(args("create", FILE, "--pool-tiers", ""), "--pool-tiers", "''"),
            bad(args("create", FILE, "--pool-tiers", " "), "--pool-tiers", "' '"),
            bad(args("create", FILE, "--pool-tiers", "32:10,"), "--pool-tiers", "'32:10,'", "tier 2 of 2"),
            bad(args("create", FILE, "--pool-tiers", ",32:10"), "--pool-tiers", "',32:10'", "tier 1 of 2"),
            bad(args("create", FILE, "--pool-tiers", "32:10,,64:10"), "--pool-tiers", "'32:10,,64:10'", "tier 2 of 3"),
            bad(args("create", FILE, "--pool-tiers", "32:10", "--pool-tiers", ","), "--pool-tiers", "','"),
            bad(args("create", FILE, "--pool-tiers", "32:-1"), "--pool-tiers", "blockCount=-1"),
            bad(args("create", FILE, "--pool-tiers", "32:10:-1"), "--pool-tiers", "reserve=-1"),
            bad(args("create", FILE, "--pool-tiers", "-32:10"), "--pool-tiers", "'-32'"),
            bad(args("create", FILE, "--pool-tiers", "32:10:1:1"), "--pool-tiers", "'32:10:1:1'"),
            bad(args("create", FILE, "--pool-tiers", "32:99999999999"), "--pool-tiers", "'99999999999'"),
            bad(args("create", FILE, "--pool-tiers", "64:10", "--pool-tiers", "32:10"), "--pool-tiers", "blockSize=32"),
            bad(args("create", FILE, "--pool-tiers", "1m:2046", "--refcounts"), "--pool-tiers", "more than the largest region"),
            // sizes: malformed, negative, too large, too small for the sections
            bad(args("create", FILE, "--size", "1"), "--size", "size=1 ", "too small"),
            bad(args("create", FILE, "--size", "4096"), "--size", "size=4096 ", "too small"),
            bad(args("create", FILE, "--size", "64k", "--pool"), "--size", "size=65536 ", "too small"),
            bad(args("create", FILE, "--size", "-1"), "--size", "'-1'"),
            bad(args("create", FILE, "--size", ""), "--size", "''"),
            bad(args("create", FILE, "--size", "3g"), "--size", "3221225472"),
            bad(args("create", FILE, "--size", "99999999999g"), "--size", "'99999999999g'"),
            // counts and intervals out of range, negative or not numbers
            bad(args("create", FILE, "--process-slots", "-1"), "--process-slots", "processSlots=-1"),
            bad(args("create", FILE, "--process-slots", "0"), "--process-slots", "processSlots=0"),
            bad(args("create", FILE, "--process-slots", "99999999999"), "--process-slots", "'99999999999'"),
            bad(args("create", FILE, "--process-slots", ""), "--process-slots", "''"),
            bad(args("create", FILE, "--root-slots", "-1"), "--root-slots", "rootSlots=-1"),
            bad(args("create", FILE, "--root-slots", "65537"), "--root-slots", "rootSlots=65537"),
            bad(args("create", FILE, "--heartbeat-ms", "-5"), "--heartbeat-ms", "heartbeatInterval=PT-0.005S"),
            bad(args("create", FILE, "--heartbeat-ms", "0"), "--heartbeat-ms", "heartbeatInterval=PT0S"),
            bad(args("create", FILE, "--permissions", ""), "--permissions", "''"),
            bad(args("create", FILE, "--lock-policy", ""), "--lock-policy", "''"),
            bad(args("create", FILE, "--locks", "--process-slots", "4096"), "--process-slots", "processSlots=4096"),
            // unknown options, missing, empty or extra arguments
            bad(args("create", FILE, "--bogus"), "--bogus"),
            bad(args("create", FILE, "-x"), "'-x'"),
            bad(args("create", FILE, "extra"), "'extra'"),
            bad(args("create", ""), "FILE", "''"),
            bad(args("create", "  "), "FILE", "'  '"),
            bad(args("create"), "FILE"),
            bad(args("inspect", ""), "FILE", "''"),
            bad(args("demo", "extra"), "'extra'"),
            bad(args("attach-child", FILE, "--allocate", "-1"), "--allocate", "-1"),
            bad(args("attach-child", FILE, "--max-wait-s", "-1"), "--max-wait-s", "-1"),
            bad(args("attach-child", FILE, "--max-wait-s", "9223372036854775807"), "--max-wait-s", "9223372036854775807"));
    }

    private static String[] args(final String... args)
    {
        return args;
    }

    private static Arguments bad(final String[] args, final String... fragments)
    {
        return Arguments.of(String.join(" ", args).replace(FILE, "FILE"), args, fragments);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("usageErrors")
    void badArgumentsAreUsageErrorsNamingTheOptionAndValue(final String name, final String[] args, final String[] fragments)
    {
        final Path file = temp.newPath("usage");
        final String[] resolved = Arrays.stream(args).map(a -> a.replace(FILE, file.toString())).toArray(String[]::new);

        final Cli.Result result = Cli.run(resolved);

        assertEquals(Main.EXIT_USAGE, result.exitCode(), result::toString);
        assertEquals("", result.out(), result::toString);
        assertEquals(1, result.err().lines().count(), () -> "not one line: " + result);
        for (final String fragment : fragments)
        {
            assertTrue(result.err().contains(fragment), () -> "no '" + fragment + "' in: " + result);
        }
        assertFalse(Files.exists(file), "a usage error created the file");
        assertFalse(Files.exists(Region.lockFilePath(file)), "a usage error created the lock file");
    }

    @Test
    void runtimeFailuresAreExitOne() throws IOException
    {
        final Path existing = temp.newPath("exists");
        assertEquals(0, Cli.run("create", existing.toString()).exitCode());
        final Path inMissingDir = dir.toRealPath().resolve("missing").resolve("region");

        for (final String[] args : List.of(
            args("create", existing.toString()),
            args("create", inMissingDir.toString()),
            args("inspect", inMissingDir.toString()),
            args("attach-child", inMissingDir.toString(), "--max-wait-s", "0")))
        {
            final Cli.Result result = Cli.run(args);
            assertEquals(Main.EXIT_ERROR, result.exitCode(), () -> String.join(" ", args) + ": " + result);
            assertEquals(1, result.err().lines().count(), () -> "not one line: " + result);
        }
    }

    /**
     * The smallest {@code --size} accepted is exactly what the region module needs: a region of
     * that size is created, one page less is a usage error (not the region's refusal, exit 1).
     */
    @Test
    void theSmallestSizeAcceptedIsWhatTheSectionsNeed() throws IOException
    {
        for (final String[] options : List.of(args(), args("--pool"), args("--pool", "--refcounts", "--locks"),
            args("--process-slots", "1", "--root-slots", "1"), args("--process-slots", "100", "--pool-tiers", "24:1000,1k:10")))
        {
            final Path sized = temp.newPath("sized");
            final Cli.Result natural = Cli.run(concat(args("create", sized.toString(), "--size", "0"), options));
            assertEquals(0, natural.exitCode(), natural::toString);
            final long needed = Files.size(sized);

            final Cli.Result exact = Cli.run(concat(args("create", temp.newPath("exact").toString(), "--size",
                Long.toString(needed)), options));
            assertEquals(0, exact.exitCode(), () -> Arrays.toString(options) + ": " + exact);

            final Cli.Result smaller = Cli.run(concat(args("create", temp.newPath("smaller").toString(), "--size",
                Long.toString(needed - 4096)), options));
            assertEquals(Main.EXIT_USAGE, smaller.exitCode(), () -> Arrays.toString(options) + ": " + smaller);
            assertTrue(smaller.err().contains("the sections need " + needed + " bytes"), smaller::toString);
        }
    }

    private static String[] concat(final String[] a, final String[] b)
    {
        final String[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    @Test
    void everyCommandsHelpEndsWithTheExitCodes()
    {
        for (final String command : List.of("create", "inspect", "stat", "list", "demo"))
        {
            final Cli.Result help = Cli.run("help", command);
            assertEquals(0, help.exitCode(), help::toString);
            assertTrue(help.out().contains("Exit codes: 0 success; 1 runtime error") && help.out().contains("2 usage error"),
                help::toString);
        }
        assertTrue(Cli.run("--help").out().contains("2 usage error"));
    }
}
