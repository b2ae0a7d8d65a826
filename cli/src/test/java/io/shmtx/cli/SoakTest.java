package io.shmtx.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.region.Region;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The short soak: {@code shmtx soak} for a minute, four worker JVMs (default JIT) killed with
 * SIGKILL every 200-800 ms and restarted, then the end check in a fresh JVM. Tagged {@code deep}:
 * it runs with {@code mvn verify -Pdeep} only, so the plain build stays fast.
 */
@Tag("deep")
class SoakTest
{
    private static final Pattern KILLS = Pattern.compile("\n +workers +\\d+ started; kills (\\d+) \\(");
    private static final Pattern RECOVERED =
        Pattern.compile("\n +recoveries +slots recovered by workers (\\d+) .*, by the end check (\\d+)");
    private static final Pattern KEPT = Pattern.compile("\nkept (\\S+) ");

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void workersKilledAtRandomForAMinuteLeaveNothingLeakedOrHeld()
    {
        final Cli.Result result = Cli.run("soak", "--duration=60s", "--workers=4", "--threads=2",
            "--kill-every=200-800ms", "--seed=20261204");
        try
        {
            final String out = result.out();
            assertEquals(0, result.exitCode(), result::toString);
            assertEquals("", result.err(), result::toString);
            assertTrue(out.contains("\n  failures     0\n"), out);
            assertTrue(out.contains("\n    CHECKS PASSED\n"), out);
            assertTrue(out.contains("\n  result       PASS\n"), out);

            final Matcher kills = KILLS.matcher(out);
            assertTrue(kills.find(), out);
            assertTrue(Integer.parseInt(kills.group(1)) >= 10, "fewer than ten kills in a minute: " + out);
            final Matcher recovered = RECOVERED.matcher(out);
            assertTrue(recovered.find(), out);
            assertTrue(Integer.parseInt(recovered.group(1)) > 0, "no worker recovered a dead slot: " + out);
            assertTrue(Integer.parseInt(recovered.group(2)) > 0, "the end check recovered no dead slot: " + out);
            assertFalse(KEPT.matcher(out).find(), "a passing soak keeps no file: " + out);
        }
        finally
        {
            deleteKept(result.out());
        }
    }

    /** A failing soak keeps its region for inspection: the test removes it (and its directory when empty). */
    private static void deleteKept(final String out)
    {
        final Matcher kept = KEPT.matcher(out);
        if (kept.find())
        {
            final Path file = Path.of(kept.group(1));
            try
            {
                Region.delete(file);
                Files.deleteIfExists(file.getParent());
            }
            catch (final IOException | RuntimeException ex)
            {
                // leave it: the assertion above names the file
            }
        }
    }
}
