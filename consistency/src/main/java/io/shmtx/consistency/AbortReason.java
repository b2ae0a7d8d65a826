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
    OWNER_DEAD
}
