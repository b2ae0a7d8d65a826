package io.shmtx.consistency;

/**
 * The consistency model transactions run under, one for the whole region at a time.
 *
 * <p>Every process follows the region's model; {@link SharedMemory#switchModel} changes it at run
 * time. See the README's "Using transactions" for what each guarantees and costs.
 */
public enum ConsistencyModel
{
    /**
     * Shared/exclusive locks through the lock table, writes in place after an undo record:
     * strict serializability.
     */
    SEQUENTIAL,

    /**
     * Optimistic reads validated against per-object versions, writes buffered and applied at
     * commit under per-object version locks, published with release stores: serializable, and a
     * transaction's writes become visible all at once.
     */
    RELEASE,

    /**
     * Reads from a snapshot fixed at begin, new versions at commit: causal consistency with
     * atomic visibility (snapshot isolation: a write-write conflict aborts the later committer).
     */
    CAUSAL
}
