package io.shmtx.pool;

import java.util.List;

/**
 * Statistics of a pool, readable from any attached or merely opened process. Counters are
 * updated by each thread in its own cell without atomics, so a snapshot taken while others
 * allocate is a consistent sum of values each exact at some instant, not one global instant.
 * Immutable.
 *
 * @param tiers     per tier.
 * @param histogram request sizes: bucket b counts requests of (2^(b-1), 2^b] bytes.
 */
public record PoolStats(List<TierStats> tiers, long[] histogram)
{
    /**
     * Copies the inputs.
     *
     * @param tiers     per tier.
     * @param histogram size histogram.
     */
    public PoolStats
    {
        tiers = List.copyOf(tiers);
        histogram = histogram.clone();
    }

    /**
     * Overall utilisation: outstanding blocks' bytes over all blocks' bytes.
     *
     * @return 0.0 to 1.0.
     */
    public double utilisation()
    {
        long used = 0;
        long total = 0;
        for (final TierStats t : tiers)
        {
            used += t.outstanding() * (long)t.blockSize();
            total += t.capacity() * (long)t.blockSize();
        }
        return total == 0 ? 0 : (double)used / total;
    }

    /**
     * The request-size histogram (a copy).
     *
     * @return counts per bucket.
     */
    @Override
    public long[] histogram()
    {
        return histogram.clone();
    }
}
