package io.shmtx.deadlock;

/**
 * What a transaction does when a lock it asks for is held in a conflicting mode. Age is the
 * region-clock timestamp a transaction took at its first begin (kept across its retries):
 * smaller is older.
 */
public enum LockPolicy
{
    /** An older requester waits; a younger requester aborts itself ("dies"). Waits go older to younger only. */
    WAIT_DIE,
    /** An older requester wounds the younger holders (they abort at their next step unless committing) and
     * waits; a younger requester waits. Waits go younger to older, or to a wounded holder. */
    WOUND_WAIT,
    /** Abort on any conflict. */
    NO_WAIT,
    /** Wait up to the configured bound, then abort. */
    TIMEOUT,
    /** Wait; waits are recorded in a wait-for graph, and a detector aborts the youngest transaction of each cycle. */
    DETECT
}
