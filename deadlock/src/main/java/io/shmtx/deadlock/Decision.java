package io.shmtx.deadlock;

/**
 * Outcome of a non-blocking lock attempt ({@link Txn#tryLock(long, LockMode)}).
 */
public enum Decision
{
    /** The lock is held now. */
    GRANTED,
    /** Conflict; the policy says wait: try again later (the wait is recorded for the wait-for graph). */
    WAIT,
    /** Conflict; the policy says abort: the transaction is aborted and holds no lock. */
    ABORTED
}
