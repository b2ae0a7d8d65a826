package io.shmtx.pool;

/**
 * Health of a {@link MemoryStrategy}.
 */
public enum StrategyStatus
{
    /** Every tier below its critical threshold and no recent failure. */
    HEALTHY,
    /** Some tier at or above its critical threshold, or allocations have failed. */
    DEGRADED,
    /** Some tier has no block left for an ordinary request. */
    EXHAUSTED,
    /** Validation found the shared structures inconsistent. */
    CORRUPT
}
