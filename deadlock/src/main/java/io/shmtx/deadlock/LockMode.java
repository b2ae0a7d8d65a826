package io.shmtx.deadlock;

/**
 * Lock modes.
 */
public enum LockMode
{
    /** Many holders at once; excludes EXCLUSIVE. */
    SHARED,
    /** One holder; excludes every other holder. A SHARED holder asking for EXCLUSIVE upgrades. */
    EXCLUSIVE
}
