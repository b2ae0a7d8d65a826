package io.shmtx.deadlock;

import java.time.Duration;

/**
 * Configuration of a region's lock table, fixed at create time and saved in the region (the
 * policy can be switched later). Immutable.
 *
 * <table>
 *   <caption>Defaults, and what {@code Region.openOrCreate} does when an existing region differs</caption>
 *   <tr><th>setting</th><th>default</th><th>existing region saved with another value</th></tr>
 *   <tr><td>locks</td><td>4096 lock entries (a power of two, 16 .. 16M); handles hash onto them</td><td>refused</td></tr>
 *   <tr><td>transactionsPerProcess</td><td>16 open transactions per process (1 .. 1024)</td><td>refused</td></tr>
 *   <tr><td>policy</td><td>WAIT_DIE</td><td>adopted: the region's current policy is kept (any process may
 *       switch it with {@link LockManager#setPolicy}), and the difference is logged at INFO on the
 *       {@code io.shmtx.region} logger</td></tr>
 *   <tr><td>maxWait</td><td>2 s: no wait lasts longer, whatever the policy (1 ms .. 10 min)</td><td>refused</td></tr>
 * </table>
 *
 * <p>"Refused" is a {@link io.shmtx.region.ConfigMismatchException} naming every setting that
 * differs, the region's value and this configuration's. {@link LockManager#open} takes the
 * region's settings as they are.
 */
public final class LockManagerConfig
{
    private static final Duration MIN_WAIT = Duration.ofMillis(1);
    private static final Duration MAX_WAIT = Duration.ofMinutes(10);

    private final int locks;
    private final int transactionsPerProcess;
    private final LockPolicy policy;
    private final Duration maxWait;

    private LockManagerConfig(final Builder b)
    {
        locks = b.locks;
        transactionsPerProcess = b.transactionsPerProcess;
        policy = b.policy;
        maxWait = b.maxWait;
    }

    /**
     * The defaults.
     *
     * @return a configuration with every default.
     */
    public static LockManagerConfig defaults()
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
     * Lock entries.
     *
     * @return count, a power of two.
     */
    public int locks()
    {
        return locks;
    }

    /**
     * Open transactions per process.
     *
     * @return cells per process slot.
     */
    public int transactionsPerProcess()
    {
        return transactionsPerProcess;
    }

    /**
     * Initial policy.
     *
     * @return the policy.
     */
    public LockPolicy policy()
    {
        return policy;
    }

    /**
     * Bound of every wait.
     *
     * @return the bound.
     */
    public Duration maxWait()
    {
        return maxWait;
    }

    @Override
    public String toString()
    {
        return "LockManagerConfig{locks=" + locks + ", transactionsPerProcess=" + transactionsPerProcess + ", policy=" + policy
            + ", maxWait=" + maxWait + '}';
    }

    /**
     * Fluent builder. Not threadsafe.
     */
    public static final class Builder
    {
        private int locks = 4096;
        private int transactionsPerProcess = 16;
        private LockPolicy policy = LockPolicy.WAIT_DIE;
        private Duration maxWait = Duration.ofSeconds(2);

        private Builder()
        {
        }

        /**
         * Lock entries.
         *
         * @param locks a power of two, 16 to 16,777,216.
         * @return this builder.
         */
        public Builder locks(final int locks)
        {
            this.locks = locks;
            return this;
        }

        /**
         * Open transactions per process.
         *
         * @param transactions 1 to 1024.
         * @return this builder.
         */
        public Builder transactionsPerProcess(final int transactions)
        {
            this.transactionsPerProcess = transactions;
            return this;
        }

        /**
         * Initial policy.
         *
         * @param policy the policy.
         * @return this builder.
         */
        public Builder policy(final LockPolicy policy)
        {
            this.policy = policy;
            return this;
        }

        /**
         * Bound of every wait.
         *
         * @param maxWait 1 ms to 10 min.
         * @return this builder.
         */
        public Builder maxWait(final Duration maxWait)
        {
            this.maxWait = maxWait;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the configuration.
         * @throws IllegalArgumentException naming the first value out of range (or null) and the range.
         */
        public LockManagerConfig build()
        {
            if (locks < 16 || locks > (1 << 24) || Integer.bitCount(locks) != 1)
            {
                throw new IllegalArgumentException("locks=" + locks + " must be a power of two in 16..16777216");
            }
            if (transactionsPerProcess < 1 || transactionsPerProcess > 1024)
            {
                throw new IllegalArgumentException("transactionsPerProcess=" + transactionsPerProcess + " must be in 1..1024");
            }
            if (policy == null)
            {
                throw new IllegalArgumentException("policy=null must be one of " + java.util.Arrays.toString(LockPolicy.values()));
            }
            // compared as durations: converting one to milliseconds overflows beyond 292 million years
            if (maxWait == null || maxWait.compareTo(MIN_WAIT) < 0 || maxWait.compareTo(MAX_WAIT) > 0)
            {
                throw new IllegalArgumentException("maxWait=" + maxWait + " must be in 1ms..10min (PT0.001S..PT10M)");
            }
            return new LockManagerConfig(this);
        }
    }
}
