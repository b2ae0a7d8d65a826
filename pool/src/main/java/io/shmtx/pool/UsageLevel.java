package io.shmtx.pool;

/**
 * Utilisation level of a tier against its thresholds.
 */
public enum UsageLevel
{
    /** Below the low threshold. */
    NORMAL,
    /** At or above the low threshold. */
    LOW,
    /** At or above the critical threshold. */
    CRITICAL
}
