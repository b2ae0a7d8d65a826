package io.shmtx.pool;

import java.util.Arrays;
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

    /**
     * Equal tiers and histogram contents.
     *
     * @param other another object.
     * @return whether it holds the same statistics.
     */
    @Override
    public boolean equals(final Object other)
    {
        return other instanceof PoolStats && tiers.equals(((PoolStats)other).tiers)
            && Arrays.equals(histogram, ((PoolStats)other).histogram);
    }

    @Override
    public int hashCode()
    {
        return 31 * tiers.hashCode() + Arrays.hashCode(histogram);
    }

    /**
     * The tiers and the histogram's non-empty buckets, each as its size range.
     *
     * @return e.g. {@code PoolStats[tiers=[TierStats[...]], histogram={33..64 B: 5}]}.
     */
    @Override
    public String toString()
    {
        final StringBuilder buckets = new StringBuilder();
        for (int b = 0; b < histogram.length; b++)
        {
            if (histogram[b] != 0)
            {
                buckets.append(buckets.length() == 0 ? "" : ", ").append(b == 0 ? "0..1" : ((1L << (b - 1)) + 1) + ".." + (1L << b))
                    .append(" B: ").append(histogram[b]);
            }
        }
        return "PoolStats[tiers=" + tiers + ", histogram={" + buckets + "}]";
    }
}
