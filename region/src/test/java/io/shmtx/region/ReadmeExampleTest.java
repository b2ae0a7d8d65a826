package io.shmtx.region;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.region.readme.RegionExample;
import io.shmtx.testkit.ChildJvm;
import io.shmtx.testkit.ReadmeExamples;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The README's region example ({@link RegionExample}, word for word): run twice on one file, its
 * listener told of a process killed before it attaches, then the region deleted.
 */
class ReadmeExampleTest
{
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void readmeHasTheExampleAsTested()
    {
        ReadmeExamples.assertInReadme(RegionExample.class);
    }

    @Test
    void runsTwiceOnOneFileThenDeletesIt() throws Exception
    {
        try (TempRegions temp = new TempRegions())
        {
            final Path file = temp.newPath("orders");
            for (int run = 1; run <= 2; run++)
            {
                assertEquals("", ReadmeExamples.printed(() -> RegionExample.use(file)), "run " + run + ": nobody died");
                try (Region region = Region.openReadOnly(file))
                {
                    assertEquals(Map.of("book", 42L), region.roots(), "run " + run);
                    assertEquals(run, region.currentTimestamp(), "run " + run + ": one tick per run");
                    assertTrue(region.processes().isEmpty(), "run " + run + ": detached at close");
                }
            }
            final Path lockFile = Region.lockFilePath(file);
            assertTrue(Files.exists(lockFile));
            RegionExample.delete(file);
            assertFalse(Files.exists(file));
            assertFalse(Files.exists(lockFile));
        }
    }

    @Test
    void itsListenerIsToldOfAProcessKilledBeforeItAttaches() throws Exception
    {
        try (TempRegions temp = new TempRegions())
        {
            final Path file = temp.newPath("orders");
            RegionExample.use(file);
            final long pid;
            final String slot;
            try (ChildJvm child = ChildJvm.start(RegionChild.class, "attach", file.toString()))
            {
                slot = child.awaitLine("ATTACHED", WAIT).replaceAll(".*slot=(\\d+).*", "$1");
                pid = child.pid();
                child.kill();
            }
            final String printed = ReadmeExamples.printed(() -> RegionExample.use(file));
            assertTrue(printed.startsWith("process " + pid + " in slot " + slot + " died; recovery: "), printed);
            RegionExample.delete(file);
            assertFalse(Files.exists(file));
        }
    }
}
