package io.shmtx.consistency;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.consistency.readme.TransactionExample;
import io.shmtx.pool.TierStats;
import io.shmtx.pool.TieredPool;
import io.shmtx.region.Region;
import io.shmtx.testkit.ReadmeExamples;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The README's transaction example ({@link TransactionExample}, word for word): run twice on one
 * file, each run seeing its own values and leaving no object, transaction or switch behind, then
 * the region deleted.
 */
class ReadmeExampleTest
{
    @Test
    void readmeHasTheExampleAsTested()
    {
        ReadmeExamples.assertInReadme(TransactionExample.class);
    }

    @Test
    void runsTwiceOnOneFileThenDeletesIt() throws Exception
    {
        try (TempRegions temp = new TempRegions())
        {
            final Path file = temp.newPath("bank");
            long commitsPerRun = 0;
            for (int run = 1; run <= 2; run++)
            {
                final String printed = ReadmeExamples.printed(() -> TransactionExample.use(file));
                assertTrue(printed.startsWith("total 100, to 30\nmodel CAUSAL "), "run " + run + ": " + printed);
                try (Region region = Region.openReadOnly(file))
                {
                    final ConsistencyInfo info = ConsistencyInfo.read(region);
                    assertEquals(List.of(), info.problems(), "run " + run);
                    assertEquals(ConsistencyModel.RELEASE, info.stats().model(), "run " + run);
                    assertEquals(2L * run, info.stats().switches(), "run " + run + ": to CAUSAL and back");
                    assertEquals(0, info.stats().totalAborts(), "run " + run);
                    assertNull(info.switchingTo(), "run " + run);
                    assertEquals(0, info.transactionsRunning(), "run " + run);
                    commitsPerRun = run == 1 ? info.stats().commits() : commitsPerRun;
                    assertEquals(run * commitsPerRun, info.stats().commits(), "run " + run);
                    final TieredPool pool = TieredPool.open(region);
                    assertEquals(0, pool.stats().tiers().stream().mapToLong(TierStats::inUse).sum(),
                        "run " + run + ": from, to and node freed");
                    assertTrue(pool.validate().valid(), "run " + run);
                }
            }
            assertTrue(commitsPerRun > 0);
            TransactionExample.delete(file);
            assertFalse(Files.exists(file));
        }
    }
}
