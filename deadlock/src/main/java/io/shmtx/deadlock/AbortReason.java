package io.shmtx.deadlock;

/**
 * Why a transaction was aborted.
 */
public enum AbortReason
{
    /** WAIT_DIE: a younger requester met an older holder. */
    DIED,
    /** WOUND_WAIT: an older requester wounded this transaction. */
    WOUNDED,
    /** NO_WAIT: any conflict. */
    NO_WAIT,
    /** The wait exceeded its bound. */
    TIMEOUT,
    /** DETECT: youngest transaction of a wait-for cycle. */
    DEADLOCK
}
