package io.shmtx.consistency;

/**
 * The consistency model transactions run under, one for the whole region at a time.
 *
 * <p>This version implements {@link #RELEASE}; {@link #SEQUENTIAL} and {@link #CAUSAL} are
 * named so that regions and configurations can refer to them, and are refused by
 * {@link SharedMemoryConfig.Builder#build()} until they are built.
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
     * atomic visibility. Not implemented yet.
     */
    CAUSAL;

    /**
     * Whether this version of the library can run transactions under the model.
     *
     * @return {@code true} for {@link #SEQUENTIAL} and {@link #RELEASE}.
     */
    public boolean implemented()
    {
        return this != CAUSAL;
    }
}
