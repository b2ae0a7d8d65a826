package io.shmtx.refcount;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.pool.TierStats;
import io.shmtx.pool.TieredPool;
import io.shmtx.refcount.readme.RefCountExample;
import io.shmtx.region.Region;
import io.shmtx.testkit.ReadmeExamples;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The README's reference-count example ({@link RefCountExample}, word for word): run twice on one
 * file (its root is unbound before the block it names is freed, so a second run can bind it
 * again and no root names a freed block), then the region deleted.
 */
class ReadmeExampleTest
{
    @Test
    void readmeHasTheExampleAsTested()
    {
        ReadmeExamples.assertInReadme(RefCountExample.class);
    }

    @Test
    void runsTwiceOnOneFileThenDeletesIt() throws Exception
    {
        try (TempRegions temp = new TempRegions())
        {
            final Path file = temp.newPath("refs-demo");
            for (int run = 1; run <= 2; run++)
            {
                final String printed = ReadmeExamples.printed(() -> RefCountExample.use(file));
                assertTrue(printed.matches("last reference to 0x\\p{XDigit}{16}\\(tier=1, gen=\\d+, index=\\d+\\) gone\n"), "run " + run + ": " + printed);
                try (Region region = Region.openReadOnly(file))
                {
                    final TieredPool pool = TieredPool.open(region);
                    final RefCounts refs = RefCounts.open(region, pool);
                    assertTrue(region.roots().isEmpty(), "run " + run + ": no root left naming a freed block: " + region.roots());
                    final List<TierStats> tiers = pool.stats().tiers();
                    assertEquals(run, tiers.stream().mapToLong(TierStats::frees).sum(), "run " + run + ": one block freed per run");
                    assertEquals(0, tiers.stream().mapToLong(TierStats::inUse).sum(), "run " + run);
                    assertEquals(List.of(), refs.validate(), "run " + run);
                }
            }
            RefCountExample.delete(file);
            assertFalse(Files.exists(file));
        }
    }
}
