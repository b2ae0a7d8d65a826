package io.shmtx.pool;

import java.util.ArrayList;
import java.util.List;

/**
 * Configuration of a tiered pool, fixed when its region is created and stored in the region, so
 * that every process sees the same tiers. Build one with {@link #builder()}.
 *
 * <p>An existing region whose pool was created with another value of any of these settings is
 * refused ({@link io.shmtx.region.ConfigMismatchException} naming each setting, the region's value
 * and this configuration's) by {@code Region.openOrCreate} with {@link TieredPool#section} and by
 * {@link TieredPool#open(io.shmtx.region.Region, PoolConfig)}: the tiers, caches and cells shape the
 * section, and strict mode and the thresholds are the pool's, saved in it for every process.
 * {@link TieredPool#open(io.shmtx.region.Region)} takes the region's settings as they are.
 *
 * <p>Instances are immutable and threadsafe.
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>setting</th><th>default</th></tr>
 *   <tr><td>tiers</td><td>32 B x 8192, 64 B x 8192, 128 B x 4096, 256 B x 2048, 512 B x 1024,
 *       1 KiB x 512, 4 KiB x 256, 16 KiB x 64, 64 KiB x 16 (about 6.6 MiB of blocks)</td></tr>
 *   <tr><td>strict</td><td>false: an exhausted tier falls back to the next larger one</td></tr>
 *   <tr><td>thresholds</td><td>low 75 %, critical 90 %</td></tr>
 *   <tr><td>cacheSize</td><td>32 blocks per thread and tier (0 = no per-thread cache); a tier
 *       caches at most blockCount / 64 blocks per thread</td></tr>
 *   <tr><td>threadsPerProcess</td><td>16 threads of a process get their own cache and counters;
 *       further threads share one, under a lock</td></tr>
 * </table>
 */
public final class PoolConfig
{
    /** Most tiers a pool may have. */
    public static final int MAX_TIERS = 32;

    private final List<TierConfig> tiers;
    private final boolean strict;
    private final int lowThresholdPercent;
    private final int criticalThresholdPercent;
    private final int cacheSize;
    private final int threadsPerProcess;

    private PoolConfig(final Builder b)
    {
        this.tiers = List.copyOf(b.tiers.isEmpty() ? defaultTiers(b.reserve) : b.tiers);
        this.strict = b.strict;
        this.lowThresholdPercent = b.low;
        this.criticalThresholdPercent = b.critical;
        this.cacheSize = b.cacheSize;
        this.threadsPerProcess = b.threads;
    }

    private static List<TierConfig> defaultTiers(final int reserve)
    {
        final int[][] table = {
            {32, 8192}, {64, 8192}, {128, 4096}, {256, 2048}, {512, 1024}, {1024, 512}, {4096, 256}, {16384, 64}, {65536, 16}
        };
        final List<TierConfig> result = new ArrayList<>();
        for (final int[] row : table)
        {
            result.add(new TierConfig(row[0], row[1], Math.min(reserve, row[1] - 1)));
        }
        return result;
    }

    /**
     * The defaults.
     *
     * @return a configuration with every default.
     */
    public static PoolConfig defaults()
    {
        return builder().build();
    }

    /**
     * A new builder.
     *
     * @return the builder.
     */
    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * The tiers, smallest block first.
     *
     * @return the tiers.
     */
    public List<TierConfig> tiers()
    {
        return tiers;
    }

    /**
     * Whether an exhausted tier fails instead of falling back to a larger one.
     *
     * @return strict mode.
     */
    public boolean strict()
    {
        return strict;
    }

    /**
     * Utilisation, in percent, at which a tier is reported LOW.
     *
     * @return percent.
     */
    public int lowThresholdPercent()
    {
        return lowThresholdPercent;
    }

    /**
     * Utilisation, in percent, at which a tier is reported CRITICAL.
     *
     * @return percent.
     */
    public int criticalThresholdPercent()
    {
        return criticalThresholdPercent;
    }

    /**
     * Per-thread cache size per tier.
     *
     * @return blocks.
     */
    public int cacheSize()
    {
        return cacheSize;
    }

    /**
     * Threads per process with their own cache and counters.
     *
     * @return thread cells per process slot.
     */
    public int threadsPerProcess()
    {
        return threadsPerProcess;
    }

    @Override
    public String toString()
    {
        return "PoolConfig{tiers=" + tiers + ", strict=" + strict + ", thresholds=" + lowThresholdPercent + "/"
            + criticalThresholdPercent + ", cacheSize=" + cacheSize + ", threadsPerProcess=" + threadsPerProcess + '}';
    }

    /**
     * Fluent builder of {@link PoolConfig}. Not threadsafe.
     */
    public static final class Builder
    {
        private final List<TierConfig> tiers = new ArrayList<>();
        private boolean strict;
        private int low = 75;
        private int critical = 90;
        private int cacheSize = 32;
        private int threads = 16;
        private int reserve;

        private Builder()
        {
        }

        /**
         * Adds a tier; call in increasing block size. Without any, the default tiers are used.
         *
         * @param blockSize  payload bytes, a multiple of 8.
         * @param blockCount number of blocks.
         * @return this builder.
         */
        public Builder tier(final int blockSize, final int blockCount)
        {
            return tier(new TierConfig(blockSize, blockCount, 0));
        }

        /**
         * Adds a tier sized by a byte budget for its payloads.
         *
         * @param blockSize   payload bytes, a multiple of 8.
         * @param budgetBytes bytes of payload; the tier gets budgetBytes / blockSize blocks.
         * @return this builder.
         */
        public Builder tierBytes(final int blockSize, final long budgetBytes)
        {
            if (blockSize <= 0)
            {
                throw new IllegalArgumentException("blockSize=" + blockSize + " must be positive");
            }
            final long count = budgetBytes / blockSize;
            if (count < 1 || count > TierConfig.MAX_BLOCK_COUNT)
            {
                throw new IllegalArgumentException("budgetBytes=" + budgetBytes + " gives " + count + " blocks of "
                    + blockSize + " bytes; must give 1.." + TierConfig.MAX_BLOCK_COUNT);
            }
            return tier(blockSize, (int)count);
        }

        /**
         * Adds a tier.
         *
         * @param tier the tier.
         * @return this builder.
         */
        public Builder tier(final TierConfig tier)
        {
            tiers.add(tier);
            return this;
        }

        /**
         * Sets the emergency reserve of every tier added so far and of the default tiers.
         *
         * @param blocksPerTier blocks only {@link Priority#CRITICAL} requests may take.
         * @return this builder.
         */
        public Builder emergencyReserve(final int blocksPerTier)
        {
            if (blocksPerTier < 0)
            {
                throw new IllegalArgumentException("emergencyReserve=" + blocksPerTier + " must not be negative");
            }
            reserve = blocksPerTier;
            for (int i = 0; i < tiers.size(); i++)
            {
                final TierConfig t = tiers.get(i);
                tiers.set(i, new TierConfig(t.blockSize(), t.blockCount(), blocksPerTier));
            }
            return this;
        }

        /**
         * Strict mode: an exhausted tier fails instead of falling back to the next larger one.
         *
         * @param strict whether strict.
         * @return this builder.
         */
        public Builder strict(final boolean strict)
        {
            this.strict = strict;
            return this;
        }

        /**
         * Utilisation thresholds, in percent.
         *
         * @param lowPercent      LOW level, 1..99.
         * @param criticalPercent CRITICAL level, above low, up to 100.
         * @return this builder.
         */
        public Builder thresholds(final int lowPercent, final int criticalPercent)
        {
            this.low = lowPercent;
            this.critical = criticalPercent;
            return this;
        }

        /**
         * Per-thread cache size per tier; 0 disables caching (every operation goes to the shared list).
         *
         * @param blocks 0 to 1024.
         * @return this builder.
         */
        public Builder cacheSize(final int blocks)
        {
            this.cacheSize = blocks;
            return this;
        }

        /**
         * Threads per process that get their own cache and counters.
         *
         * @param threads 1 to 256.
         * @return this builder.
         */
        public Builder threadsPerProcess(final int threads)
        {
            this.threads = threads;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the configuration.
         * @throws IllegalArgumentException naming the first value out of range.
         */
        public PoolConfig build()
        {
            if (tiers.size() > MAX_TIERS)
            {
                throw new IllegalArgumentException("tiers=" + tiers.size() + " must be at most " + MAX_TIERS);
            }
            for (int i = 1; i < tiers.size(); i++)
            {
                if (tiers.get(i).blockSize() <= tiers.get(i - 1).blockSize())
                {
                    throw new IllegalArgumentException("tier " + i + " blockSize=" + tiers.get(i).blockSize()
                        + " must be larger than tier " + (i - 1) + " blockSize=" + tiers.get(i - 1).blockSize());
                }
            }
            if (low < 1 || low > 99 || critical <= low || critical > 100)
            {
                throw new IllegalArgumentException("thresholds low=" + low + " critical=" + critical
                    + " must satisfy 1 <= low < critical <= 100");
            }
            if (cacheSize < 0 || cacheSize > 1024)
            {
                throw new IllegalArgumentException("cacheSize=" + cacheSize + " must be in 0..1024");
            }
            if (threads < 1 || threads > 256)
            {
                throw new IllegalArgumentException("threadsPerProcess=" + threads + " must be in 1..256");
            }
            return new PoolConfig(this);
        }
    }
}
