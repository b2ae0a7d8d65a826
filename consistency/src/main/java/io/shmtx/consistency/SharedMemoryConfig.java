package io.shmtx.consistency;

import io.shmtx.deadlock.LockPolicy;
import io.shmtx.pool.PoolConfig;
import io.shmtx.refcount.RefCountConfig;
import io.shmtx.region.ProcessTableDescriptor;
import io.shmtx.region.RegionDescriptor;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * Configuration of a {@link SharedMemory}: the layout a new region is created with, and the
 * per-process settings (retry policy, idle strategy). Build one with {@link #builder()}; every
 * setting has a safe default and is validated by {@link Builder#build()}. Immutable.
 *
 * <table>
 *   <caption>Defaults, and what {@link SharedMemory#open} does when an existing region differs</caption>
 *   <tr><th>setting</th><th>default</th><th>existing region saved with another value</th></tr>
 *   <tr><td>model</td><td>RELEASE</td><td>adopted: the initial model of a new region; an existing region keeps
 *       its own ({@link SharedMemory#switchModel} changes it), and the difference is logged at INFO</td></tr>
 *   <tr><td>lockPolicy</td><td>WAIT_DIE (the lock table's initial deadlock policy)</td><td>adopted, the same way</td></tr>
 *   <tr><td>processSlots</td><td>16 processes attached at once (1 .. 4096)</td><td>refused</td></tr>
 *   <tr><td>pool</td><td>{@link PoolConfig#defaults()}</td><td>refused (every pool setting)</td></tr>
 *   <tr><td>refCounts</td><td>{@link RefCountConfig#defaults()}</td><td>refused (every reference-count setting)</td></tr>
 *   <tr><td>regionSize</td><td>0: just what the sections need</td><td>refused (0 accepts any size)</td></tr>
 *   <tr><td>logsPerProcess</td><td>8 threads of a process in transactions at once (1 .. 1024,
 *       and processSlots x logsPerProcess at most 32767)</td><td>refused</td></tr>
 *   <tr><td>maxObjectsPerTransaction</td><td>256 objects written, allocated or freed by one transaction (1 .. 65536)</td>
 *       <td>refused</td></tr>
 *   <tr><td>redoCapacity</td><td>16 KiB of written bytes (with 16 bytes per record) per transaction (64 B .. 16 MiB)</td>
 *       <td>refused</td></tr>
 *   <tr><td>retry</td><td>at most 100000 attempts; back-off from 1 us doubling to 1 ms after the third abort</td>
 *       <td>not saved: this process's own</td></tr>
 *   <tr><td>switchTimeout</td><td>1 s: how long a model switch waits for transactions of the old model</td>
 *       <td>not saved: this process's own</td></tr>
 *   <tr><td>idleStrategy</td><td>a {@link BackoffIdleStrategy} per waiting thread (for {@code Tx.retry()})</td>
 *       <td>not saved: this process's own</td></tr>
 * </table>
 *
 * <p>"Refused" is a {@link io.shmtx.region.ConfigMismatchException} naming every setting that
 * differs (by the name of the module configuration that holds it, e.g. {@code
 * RegionConfig.processSlots}, {@code PoolConfig.tiers}, {@code SharedMemoryConfig.redoCapacity}),
 * the region's value and this configuration's; nothing is changed. "Adopted" differences are
 * logged on the {@code io.shmtx.region} logger; {@link SharedMemory#model()} and {@code
 * lockManager().policy()} tell the values in force.
 */
public final class SharedMemoryConfig
{
    /** Largest object table of one log. */
    public static final int MAX_OBJECTS_LIMIT = 65_536;
    /** Largest redo area of one log. */
    public static final int MAX_REDO_LIMIT = 16 << 20;

    private final ConsistencyModel model;
    private final LockPolicy lockPolicy;
    private final int processSlots;
    private final PoolConfig pool;
    private final RefCountConfig refCounts;
    private final long regionSize;
    private final int logsPerProcess;
    private final int maxObjects;
    private final int redoCapacity;
    private final int maxAttempts;
    private final long minBackoffNanos;
    private final long maxBackoffNanos;
    private final Supplier<IdleStrategy> idleStrategy;
    private final Duration switchTimeout;

    private SharedMemoryConfig(final Builder b)
    {
        model = b.model;
        lockPolicy = b.lockPolicy;
        processSlots = b.processSlots;
        pool = b.pool;
        refCounts = b.refCounts;
        regionSize = b.regionSize;
        logsPerProcess = b.logsPerProcess;
        maxObjects = b.maxObjects;
        redoCapacity = b.redoCapacity;
        maxAttempts = b.maxAttempts;
        minBackoffNanos = b.minBackoff.toNanos();
        maxBackoffNanos = b.maxBackoff.toNanos();
        idleStrategy = b.idleStrategy;
        switchTimeout = b.switchTimeout;
    }

    /**
     * The defaults.
     *
     * @return a configuration with every default.
     */
    public static SharedMemoryConfig defaults()
    {
        return builder().build();
    }

    /**
     * A new builder with every default.
     *
     * @return the builder.
     */
    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * The model a new region starts with.
     *
     * @return the model.
     */
    public ConsistencyModel model()
    {
        return model;
    }

    /**
     * The lock table's initial deadlock policy.
     *
     * @return the policy.
     */
    public LockPolicy lockPolicy()
    {
        return lockPolicy;
    }

    /**
     * Process slots of the region.
     *
     * @return the count.
     */
    public int processSlots()
    {
        return processSlots;
    }

    /**
     * Pool tiers and settings.
     *
     * @return the pool configuration.
     */
    public PoolConfig pool()
    {
        return pool;
    }

    /**
     * Reference-count settings.
     *
     * @return the configuration.
     */
    public RefCountConfig refCounts()
    {
        return refCounts;
    }

    /**
     * Requested region size, 0 for just what the sections need.
     *
     * @return bytes.
     */
    public long regionSize()
    {
        return regionSize;
    }

    /**
     * Transaction logs per process: how many threads of one process may be in transactions at once.
     *
     * @return the count.
     */
    public int logsPerProcess()
    {
        return logsPerProcess;
    }

    /**
     * Objects one transaction may write, allocate or free.
     *
     * @return the count.
     */
    public int maxObjectsPerTransaction()
    {
        return maxObjects;
    }

    /**
     * Redo bytes per transaction.
     *
     * @return bytes.
     */
    public int redoCapacity()
    {
        return redoCapacity;
    }

    /**
     * Attempts {@link SharedMemory#transact} makes before giving up.
     *
     * @return the count.
     */
    public int maxAttempts()
    {
        return maxAttempts;
    }

    /**
     * Shortest back-off between attempts (after the first three, which retry at once).
     *
     * @return nanoseconds.
     */
    public long minBackoffNanos()
    {
        return minBackoffNanos;
    }

    /**
     * Longest back-off between attempts.
     *
     * @return nanoseconds.
     */
    public long maxBackoffNanos()
    {
        return maxBackoffNanos;
    }

    /**
     * Makes the idle strategy a waiting thread uses (one per thread: strategies keep state).
     *
     * @return the supplier.
     */
    public Supplier<IdleStrategy> idleStrategy()
    {
        return idleStrategy;
    }

    /**
     * How long a model switch waits for transactions of the old model.
     *
     * @return the timeout.
     */
    public Duration switchTimeout()
    {
        return switchTimeout;
    }

    @Override
    public String toString()
    {
        return "SharedMemoryConfig{model=" + model + ", lockPolicy=" + lockPolicy + ", processSlots=" + processSlots
            + ", pool=" + pool + ", refCounts=" + refCounts + ", regionSize=" + regionSize + ", logsPerProcess=" + logsPerProcess
            + ", maxObjectsPerTransaction=" + maxObjects + ", redoCapacity=" + redoCapacity + ", maxAttempts=" + maxAttempts
            + ", backoff=" + minBackoffNanos + ".." + maxBackoffNanos + "ns, switchTimeout=" + switchTimeout + "}";
    }

    /**
     * Builds a {@link SharedMemoryConfig}. Not threadsafe.
     */
    public static final class Builder
    {
        private ConsistencyModel model = ConsistencyModel.RELEASE;
        private LockPolicy lockPolicy = LockPolicy.WAIT_DIE;
        private int processSlots = 16;
        private PoolConfig pool = PoolConfig.defaults();
        private RefCountConfig refCounts = RefCountConfig.defaults();
        private long regionSize;
        private int logsPerProcess = 8;
        private int maxObjects = 256;
        private int redoCapacity = 16 << 10;
        private int maxAttempts = 100_000;
        private Duration minBackoff = Duration.ofNanos(1_000);
        private Duration maxBackoff = Duration.ofMillis(1);
        private Supplier<IdleStrategy> idleStrategy = BackoffIdleStrategy::new;
        private Duration switchTimeout = Duration.ofSeconds(1);

        private Builder()
        {
        }

        /**
         * The model a new region starts with.
         *
         * @param model the model.
         * @return this builder.
         */
        public Builder model(final ConsistencyModel model)
        {
            this.model = Objects.requireNonNull(model, "model");
            return this;
        }

        /**
         * The lock table's initial deadlock policy.
         *
         * @param policy the policy.
         * @return this builder.
         */
        public Builder lockPolicy(final LockPolicy policy)
        {
            this.lockPolicy = Objects.requireNonNull(policy, "lockPolicy");
            return this;
        }

        /**
         * Processes that may be attached at once.
         *
         * @param slots 1 .. 4096.
         * @return this builder.
         */
        public Builder processSlots(final int slots)
        {
            this.processSlots = slots;
            return this;
        }

        /**
         * Pool tiers and settings.
         *
         * @param pool the pool configuration.
         * @return this builder.
         */
        public Builder pool(final PoolConfig pool)
        {
            this.pool = Objects.requireNonNull(pool, "pool");
            return this;
        }

        /**
         * Reference-count settings.
         *
         * @param refCounts the configuration.
         * @return this builder.
         */
        public Builder refCounts(final RefCountConfig refCounts)
        {
            this.refCounts = Objects.requireNonNull(refCounts, "refCounts");
            return this;
        }

        /**
         * Region size; 0 for just what the sections need.
         *
         * @param bytes size.
         * @return this builder.
         */
        public Builder regionSize(final long bytes)
        {
            this.regionSize = bytes;
            return this;
        }

        /**
         * Threads of one process that may be in transactions at once (one log each).
         *
         * @param logs 1 .. 1024.
         * @return this builder.
         */
        public Builder logsPerProcess(final int logs)
        {
            this.logsPerProcess = logs;
            return this;
        }

        /**
         * Objects one transaction may write, allocate or free.
         *
         * @param objects 1 .. {@value #MAX_OBJECTS_LIMIT}.
         * @return this builder.
         */
        public Builder maxObjectsPerTransaction(final int objects)
        {
            this.maxObjects = objects;
            return this;
        }

        /**
         * Bytes of redo records one transaction may write (each write costs its length rounded
         * up to 8, plus 16).
         *
         * @param bytes 64 .. {@value #MAX_REDO_LIMIT}.
         * @return this builder.
         */
        public Builder redoCapacity(final int bytes)
        {
            this.redoCapacity = bytes;
            return this;
        }

        /**
         * Retry policy of {@link SharedMemory#transact}: attempts, then back-off bounds. The first
         * three retries run at once; later ones park a random time up to a bound that doubles from
         * {@code minBackoff} to {@code maxBackoff}.
         *
         * @param maxAttempts attempts before {@link RetryLimitExceededException}, at least 1.
         * @param minBackoff  first back-off bound, 0 .. maxBackoff.
         * @param maxBackoff  largest back-off bound, at most 1 s.
         * @return this builder.
         */
        public Builder retry(final int maxAttempts, final Duration minBackoff, final Duration maxBackoff)
        {
            this.maxAttempts = maxAttempts;
            this.minBackoff = Objects.requireNonNull(minBackoff, "minBackoff");
            this.maxBackoff = Objects.requireNonNull(maxBackoff, "maxBackoff");
            return this;
        }

        /**
         * The idle strategy of a thread waiting in {@code Tx.retry()}.
         *
         * @param idleStrategy makes one strategy per waiting thread.
         * @return this builder.
         */
        public Builder idleStrategy(final Supplier<IdleStrategy> idleStrategy)
        {
            this.idleStrategy = Objects.requireNonNull(idleStrategy, "idleStrategy");
            return this;
        }

        /**
         * How long {@link SharedMemory#switchModel} waits for transactions of the old model (and
         * for another switch to finish) before it gives up, leaving the old model in force.
         *
         * @param timeout 1 ms .. 1 min.
         * @return this builder.
         */
        public Builder switchTimeout(final Duration timeout)
        {
            this.switchTimeout = Objects.requireNonNull(timeout, "switchTimeout");
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the configuration.
         * @throws IllegalArgumentException naming the first setting out of range.
         */
        public SharedMemoryConfig build()
        {
            range("processSlots", processSlots, 1, ProcessTableDescriptor.MAX_SLOTS);
            range("logsPerProcess", logsPerProcess, 1, 1024);
            if ((long)processSlots * logsPerProcess > ConsistencyDescriptor.MAX_LOCKER)
            {
                throw new IllegalArgumentException("processSlots=" + processSlots + " x logsPerProcess=" + logsPerProcess
                    + " must be at most " + ConsistencyDescriptor.MAX_LOCKER + " logs");
            }
            range("maxObjectsPerTransaction", maxObjects, 1, MAX_OBJECTS_LIMIT);
            range("redoCapacity", redoCapacity, 64, MAX_REDO_LIMIT);
            if (regionSize < 0 || regionSize > RegionDescriptor.MAX_REGION_SIZE)
            {
                throw new IllegalArgumentException("regionSize=" + regionSize + " must be in 0.." + RegionDescriptor.MAX_REGION_SIZE);
            }
            range("maxAttempts", maxAttempts, 1, Integer.MAX_VALUE);
            if (minBackoff.isNegative() || maxBackoff.compareTo(minBackoff) < 0 || maxBackoff.compareTo(Duration.ofSeconds(1)) > 0)
            {
                throw new IllegalArgumentException("backoff " + minBackoff + ".." + maxBackoff
                    + " must satisfy 0 <= minBackoff <= maxBackoff <= 1 s");
            }
            if (switchTimeout.compareTo(Duration.ofMillis(1)) < 0 || switchTimeout.compareTo(Duration.ofMinutes(1)) > 0)
            {
                throw new IllegalArgumentException("switchTimeout=" + switchTimeout + " must be in 1 ms .. 1 min");
            }
            return new SharedMemoryConfig(this);
        }

        private static void range(final String name, final long value, final long min, final long max)
        {
            if (value < min || value > max)
            {
                throw new IllegalArgumentException(name + "=" + value + " must be in " + min + ".." + max);
            }
        }
    }
}
