package io.shmtx.pool;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.pool.readme.PoolExample;
import io.shmtx.region.Region;
import io.shmtx.testkit.ReadmeExamples;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/**
 * The README's pool example ({@link PoolExample}, word for word): run twice on one file, its
 * threshold listener told of the crossings its own allocations make, then the region deleted.
 */
class ReadmeExampleTest
{
    @Test
    void readmeHasTheExampleAsTested()
    {
        ReadmeExamples.assertInReadme(PoolExample.class);
    }

    @Test
    void runsTwiceOnOneFileThenDeletesIt() throws Exception
    {
        try (TempRegions temp = new TempRegions())
        {
            final Path file = temp.newPath("pool-demo");
            for (int run = 1; run <= 2; run++)
            {
                assertEquals("true\n", ReadmeExamples.printed(() -> PoolExample.use(file)), "run " + run);
                try (Region region = Region.openReadOnly(file))
                {
                    final TieredPool pool = TieredPool.open(region);
                    final PoolStats stats = pool.stats();
                    assertEquals(2L * run, stats.tiers().get(0).allocations(), "run " + run + ": allocate(48), tryAllocate(48)");
                    assertEquals(run, stats.tiers().get(1).allocations(), "run " + run + ": allocateBlock(100)");
                    assertEquals(0, stats.tiers().get(0).inUse() + stats.tiers().get(1).inUse(), "run " + run);
                    assertTrue(pool.validate().valid(), "run " + run);
                }
            }
            PoolExample.delete(file);
            assertFalse(Files.exists(file));
        }
    }

    @Test
    void itsThresholdListenerSeesItsOwnAllocationsCrossTheLowThreshold() throws Exception
    {
        try (TempRegions temp = new TempRegions())
        {
            final Path file = temp.newPath("pool-demo");
            PoolExample.use(file);
            try (Region region = Region.open(file); TieredPool pool = TieredPool.open(region))
            {
                region.attach();
                final int belowLow = 75 * 100_000 / 100 - 1; // tier 0: 100,000 blocks, LOW at 75 %
                for (int i = 0; i < belowLow; i++)
                {
                    pool.publish(pool.allocate(48)); // published: they stay allocated after detach
                }
            }
            final String printed = ReadmeExamples.printed(() -> PoolExample.use(file));
            // up by its first allocation (a thread cache's refill), down when close() drains the cache
            assertEquals("tier 0: NORMAL -> LOW at 75%\ntrue\ntier 0: LOW -> NORMAL at 74%\n", printed);
            PoolExample.delete(file);
        }
    }
}
