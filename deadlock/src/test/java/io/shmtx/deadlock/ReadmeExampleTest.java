package io.shmtx.deadlock;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.deadlock.readme.LockTableExample;
import io.shmtx.region.Region;
import io.shmtx.testkit.ReadmeExamples;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The README's lock-table example ({@link LockTableExample}, word for word): run twice on one file
 * (the second run finds the policy the first one switched to), then the region deleted.
 */
class ReadmeExampleTest
{
    @Test
    void readmeHasTheExampleAsTested()
    {
        ReadmeExamples.assertInReadme(LockTableExample.class);
    }

    @Test
    void runsTwiceOnOneFileThenDeletesIt() throws Exception
    {
        try (TempRegions temp = new TempRegions())
        {
            final Path file = temp.newPath("locks-demo");
            for (int run = 1; run <= 2; run++)
            {
                assertEquals("no waits\n", ReadmeExamples.printed(() -> LockTableExample.use(file)), "run " + run);
                try (Region region = Region.openReadOnly(file))
                {
                    final LockManager locks = LockManager.open(region);
                    assertEquals(LockPolicy.DETECT, locks.policy(), "run " + run);
                    final LockStats stats = locks.stats();
                    assertEquals(2L * run, stats.grants(), "run " + run + ": two locks granted per run, at the first attempt");
                    assertEquals(0, stats.aborts().values().stream().mapToLong(Long::longValue).sum(), "run " + run);
                    assertTrue(locks.locksHeldPerSlot().isEmpty(), "run " + run + ": " + locks.locksHeldPerSlot());
                    assertEquals(List.of(), locks.validate(), "run " + run);
                }
            }
            LockTableExample.delete(file);
            assertFalse(Files.exists(file));
        }
    }
}
