package io.shmtx.refcount;

import java.time.Duration;

/**
 * Configuration of the reference counts of a region, fixed at create time and saved in the
 * region. Immutable.
 *
 * <p>An existing region whose reference counts were created with another value of any of these
 * settings is refused by {@code Region.openOrCreate} with {@link RefCounts#section} ({@link
 * io.shmtx.region.ConfigMismatchException} naming each setting, the region's value and this
 * configuration's): the ledger capacity and the threads shape the section, and the grace period is
 * how every process frees. {@link RefCounts#open} takes the region's settings as they are.
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><td>ledgerCapacity</td><td>1024 handles per process (1 .. 1,048,576)</td></tr>
 *   <tr><td>threadsPerProcess</td><td>16 threads with their own intent cell; more share one under a lock (1 .. 256)</td></tr>
 *   <tr><td>gracePeriod</td><td>0: a block is freed as its count reaches zero (0 .. 1 h)</td></tr>
 * </table>
 */
public final class RefCountConfig
{
    private final int ledgerCapacity;
    private final int threadsPerProcess;
    private final Duration gracePeriod;

    private RefCountConfig(final Builder b)
    {
        ledgerCapacity = b.ledgerCapacity;
        threadsPerProcess = b.threadsPerProcess;
        gracePeriod = b.gracePeriod;
    }

    /**
     * The defaults.
     *
     * @return a configuration with every default.
     */
    public static RefCountConfig defaults()
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
     * Distinct handles one process may hold references to at once.
     *
     * @return entries per process ledger.
     */
    public int ledgerCapacity()
    {
        return ledgerCapacity;
    }

    /**
     * Threads per process with their own intent cell.
     *
     * @return cells per process.
     */
    public int threadsPerProcess()
    {
        return threadsPerProcess;
    }

    /**
     * Delay between a count reaching zero and the block's free.
     *
     * @return the grace period.
     */
    public Duration gracePeriod()
    {
        return gracePeriod;
    }

    @Override
    public String toString()
    {
        return "RefCountConfig{ledgerCapacity=" + ledgerCapacity + ", threadsPerProcess=" + threadsPerProcess
            + ", gracePeriod=" + gracePeriod + '}';
    }

    /**
     * Fluent builder. Not threadsafe.
     */
    public static final class Builder
    {
        private int ledgerCapacity = 1024;
        private int threadsPerProcess = 16;
        private Duration gracePeriod = Duration.ZERO;

        private Builder()
        {
        }

        /**
         * Distinct handles one process may hold references to at once.
         *
         * @param entries 1 to 1,048,576.
         * @return this builder.
         */
        public Builder ledgerCapacity(final int entries)
        {
            ledgerCapacity = entries;
            return this;
        }

        /**
         * Threads per process with their own intent cell.
         *
         * @param threads 1 to 256.
         * @return this builder.
         */
        public Builder threadsPerProcess(final int threads)
        {
            threadsPerProcess = threads;
            return this;
        }

        /**
         * Delay before a zero-count block is freed (its contents stay readable meanwhile).
         *
         * @param grace 0 to 1 h.
         * @return this builder.
         */
        public Builder gracePeriod(final Duration grace)
        {
            gracePeriod = grace;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the configuration.
         */
        public RefCountConfig build()
        {
            if (ledgerCapacity < 1 || ledgerCapacity > (1 << 20))
            {
                throw new IllegalArgumentException("ledgerCapacity=" + ledgerCapacity + " must be in 1..1048576");
            }
            if (threadsPerProcess < 1 || threadsPerProcess > 256)
            {
                throw new IllegalArgumentException("threadsPerProcess=" + threadsPerProcess + " must be in 1..256");
            }
            if (gracePeriod == null || gracePeriod.isNegative() || gracePeriod.compareTo(Duration.ofHours(1)) > 0)
            {
                throw new IllegalArgumentException("gracePeriod=" + gracePeriod + " must be in 0..1h");
            }
            return new RefCountConfig(this);
        }
    }
}
