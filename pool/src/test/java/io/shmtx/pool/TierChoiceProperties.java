package io.shmtx.pool;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.TreeSet;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The size-to-tier choice (a lookup by size bucket, then a short scan) against its definition:
 * the smallest tier whose blocks hold the request, for tier sizes that are not powers of two
 * too, and a clear refusal of sizes no tier holds.
 */
class TierChoiceProperties
{
    @Property(tries = 30)
    void theSmallestTierThatHoldsTheRequestIsChosen(@ForAll("tierSizes") final List<Integer> sizes,
        @ForAll("requests") final List<Integer> requests) throws Exception
    {
        final PoolConfig.Builder builder = PoolConfig.builder().cacheSize(0);
        for (final int size : sizes)
        {
            builder.tier(size, 2);
        }
        try (PoolFixture f = new PoolFixture(builder.build()))
        {
            final int largest = sizes.get(sizes.size() - 1);
            for (final int request : requests)
            {
                int expected = 0;
                while (expected < sizes.size() && sizes.get(expected) < request)
                {
                    expected++;
                }
                if (expected == sizes.size())
                {
                    final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> f.pool.tierFor(request));
                    assertTrue(ex.getMessage().contains("size=" + request) && ex.getMessage().contains(largest + " bytes"),
                        ex.getMessage());
                }
                else
                {
                    assertEquals(expected, f.pool.tierFor(request), "size " + request + " with tiers " + sizes);
                }
            }
            // the edges of every tier, which random requests rarely hit
            for (int t = 0; t < sizes.size(); t++)
            {
                assertEquals(t, f.pool.tierFor(sizes.get(t)), "size " + sizes.get(t) + " with tiers " + sizes);
                if (t + 1 < sizes.size())
                {
                    assertEquals(t + 1, f.pool.tierFor(sizes.get(t) + 1), "size " + (sizes.get(t) + 1) + " with tiers " + sizes);
                }
            }
            for (final int bad : new int[] {0, -1, Integer.MIN_VALUE})
            {
                assertThrows(IllegalArgumentException.class, () -> f.pool.tierFor(bad));
            }
            assertThrows(IllegalArgumentException.class, () -> f.pool.tierFor(Integer.MAX_VALUE));
        }
    }

    @Provide
    Arbitrary<List<Integer>> tierSizes()
    {
        return Arbitraries.integers().between(1, 4096).map(n -> n * 8).set().ofMinSize(1).ofMaxSize(6)
            .map(set -> List.copyOf(new TreeSet<>(set)));
    }

    @Provide
    Arbitrary<List<Integer>> requests()
    {
        return Arbitraries.oneOf(Arbitraries.integers().between(1, 40_000), Arbitraries.integers().between(1, 300))
            .list().ofMinSize(1).ofMaxSize(200);
    }
}
