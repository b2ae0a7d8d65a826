package io.shmtx.pool;

/**
 * Priority of an allocation request.
 */
public enum Priority
{
    /** Ordinary request: never takes a tier's emergency reserve. */
    NORMAL,
    /** May take a tier's emergency reserve once the ordinary blocks are gone. */
    CRITICAL
}
