package io.shmtx.consistency;

/**
 * Why a transaction attempt was aborted. {@link SharedMemory#transact} retries after each of
 * them; {@link RetryLimitExceededException} names the last one.
 */
public enum AbortReason
{
    /** An object this transaction read was changed by a committed transaction since. */
    CONFLICT,
    /** An object this transaction needs is locked by a committing transaction of a live process. */
    LOCKED,
    /** An object was locked by a transaction whose process is dead; recovery ran, the attempt is retried. */
    OWNER_DEAD,
    /** CAUSAL: the pool had no block for an older version a running snapshot still needs; retried once readers move on. */
    HISTORY_FULL,
    /** SEQUENTIAL, WAIT_DIE: a younger transaction asked for a lock an older one holds. */
    DIED,
    /** SEQUENTIAL, WOUND_WAIT: an older transaction asked for a lock this one holds. */
    WOUNDED,
    /** SEQUENTIAL, NO_WAIT: a lock was held in a conflicting mode. */
    NO_WAIT,
    /** SEQUENTIAL: a lock wait exceeded the lock table's bound. */
    TIMEOUT,
    /** SEQUENTIAL, DETECT: the youngest transaction of a wait-for cycle. */
    DEADLOCK
}
