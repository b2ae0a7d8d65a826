package io.shmtx.pool;

import static io.shmtx.testkit.Readable.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Every public record and value class of the pool module prints as text.
 */
class ToStringTest
{
    @Test
    void everyPublicRecordAndValueClassPrintsAsText() throws Exception
    {
        final PoolConfig config = PoolConfig.builder().tier(32, 200).tier(new TierConfig(64, 200, 10)).cacheSize(2).build();
        try (PoolFixture f = new PoolFixture(config))
        {
            final long held = f.pool.allocate(20);
            f.pool.allocate(50);
            final List<Object> values = new ArrayList<>();
            final PoolStats stats = f.pool.stats();
            final ValidationReport report = f.pool.validate();
            values.addAll(List.of(f.pool, stats, stats.tiers().get(0), config, config.tiers().get(1), f.pool.leakReport(0).get(0), report,
                report.tiers().get(0), StrategyValidator.validateDeallocation(f.pool, held)));
            for (final Object value : values)
            {
                assertReadable(value);
            }
            assertTrue(stats.toString().contains("histogram={17..32 B: 1, 33..64 B: 1}"), stats.toString());
            assertCoversPublicRecords(TieredPool.class, List.of(PoolStats.class, TierStats.class, TierConfig.class, LeakEntry.class,
                ValidationReport.class, ValidationReport.TierCounts.class, StrategyValidator.Verdict.class));
            assertEquals(stats, new PoolStats(stats.tiers(), stats.histogram()), "equal contents, equal statistics");
            assertEquals(stats.hashCode(), new PoolStats(stats.tiers(), stats.histogram()).hashCode());
        }
    }
}
