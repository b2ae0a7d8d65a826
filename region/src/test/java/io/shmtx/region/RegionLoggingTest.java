package io.shmtx.region;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.testkit.LogCapture;
import io.shmtx.testkit.TempRegions;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the region logs on {@code io.shmtx.region}: a recovery with its report, a watchdog failure,
 * and nothing at INFO or above when nothing happened.
 */
class RegionLoggingTest
{
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int APP = SectionSpec.FIRST_USER_ID;

    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws IOException
    {
        temp.close();
    }

    private Path newRegion()
    {
        final Path file = temp.newPath("logging");
        Region.create(file, RegionConfig.builder().processSlots(4).rootSlots(4).watchdogInterval(Duration.ZERO)
            .section(new SectionSpec(APP, 4096, true)).build()).close();
        return file;
    }

    private static RecoveryStep appStep()
    {
        return Steps.step("app: clean up", APP, (region, dead) -> "cleaned slot " + dead.slot());
    }

    private static void killAnAttachment(final Path file)
    {
        final Region dead = Region.open(file, Duration.ZERO);
        dead.attach();
        dead.abandon();
    }

    @Test
    void aRecoveryIsLoggedAtInfoWithItsReport()
    {
        final Path file = newRegion();
        killAnAttachment(file);
        try (LogCapture log = new LogCapture("io.shmtx.region"); Region survivor = Region.open(file, Duration.ZERO))
        {
            survivor.registerRecoveryStep(appStep());
            survivor.attach();
            final LogRecord recovered = log.await(r -> r.getMessage().contains("recovered slot"), Duration.ZERO);
            assertEquals(Level.INFO, recovered.getLevel());
            assertTrue(recovered.getMessage().contains("recovered slot 0 of dead pid " + ProcessHandle.current().pid())
                && recovered.getMessage().contains("app: clean up: cleaned slot 0"), recovered.getMessage());
            assertTrue(recovered.getMessage().contains(file.toString()), recovered.getMessage());
        }
    }

    @Test
    void aDeferredRecoveryIsLoggedOnceAndAFailedStepAtWarning()
    {
        final Path file = newRegion();
        killAnAttachment(file);
        try (LogCapture log = new LogCapture("io.shmtx.region"); Region lacking = Region.open(file, Duration.ZERO))
        {
            lacking.recoverDeadSlots();
            lacking.recoverDeadSlots();
            final List<String> info = log.lines(Level.INFO);
            assertEquals(1, info.size(), info.toString());
            assertTrue(info.get(0).startsWith("INFO ") && info.get(0).contains("slot 0")
                && info.get(0).contains("left for a process with every recovery step: slot 0")
                && info.get(0).contains("no recovery step for section-16"), info.toString());
        }
        try (LogCapture log = new LogCapture("io.shmtx.region"); Region failing = Region.open(file, Duration.ZERO))
        {
            failing.registerRecoveryStep(Steps.step("app: clean up", APP, (region, dead) ->
            {
                throw new IllegalStateException("app state unreadable");
            }));
            assertFalse(failing.recoverDeadSlots().get(0).completed());
            final LogRecord failed = log.await(r -> r.getLevel() == Level.WARNING, Duration.ZERO);
            assertTrue(failed.getMessage().contains("failed to recover slot 0") && failed.getMessage().contains("app state unreadable"),
                failed.getMessage());
        }
    }

    @Test
    void aWatchdogFailureIsLoggedAtWarningWithItsCause()
    {
        final Path file = newRegion();
        try (LogCapture log = new LogCapture("io.shmtx.region"); Region watched = Region.open(file, Duration.ofMillis(10)))
        {
            watched.registerRecoveryStep(appStep());
            final IllegalStateException boom = new IllegalStateException("listener failed");
            watched.addOwnerDeathListener(report ->
            {
                throw boom;
            });
            watched.attach();
            killAnAttachment(file); // the watchdog recovers it, then its listener throws
            final LogRecord failure = log.await(r -> r.getLevel() == Level.WARNING, WAIT);
            assertSame(boom, failure.getThrown());
            assertTrue(failure.getMessage().contains("the watchdog of slot " + watched.slot() + " failed"), failure.getMessage());
            assertSame(boom, watched.lastWatchdogError());
        }
    }

    @Test
    void nothingIsLoggedAtInfoWhenNothingHappens()
    {
        try (LogCapture log = new LogCapture("io.shmtx.region"))
        {
            final Path file = newRegion();
            try (Region region = Region.openOrCreate(file, RegionConfig.builder().processSlots(4).rootSlots(4)
                .watchdogInterval(Duration.ofMillis(10)).section(new SectionSpec(APP, 4096, true)).build()))
            {
                region.registerRecoveryStep(appStep());
                region.attach();
                region.recoverDeadSlots();
            }
            assertEquals(List.of(), log.lines(Level.INFO), "quiet at INFO");
            assertFalse(log.lines(Level.FINE).isEmpty(), "routine events are there at DEBUG");
        }
    }
}
