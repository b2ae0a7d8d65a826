package io.shmtx.barriers;

/**
 * The memory ordering of one access, chosen as a value so that a caller (a consistency model)
 * can pick it at run time. The modes are those of {@link java.lang.invoke.VarHandle}, from
 * weakest to strongest.
 *
 * <p>This enum is immutable and threadsafe.
 */
public enum Ordering
{
    /**
     * No ordering and no atomicity guarantee across threads beyond what the hardware gives
     * for an aligned word; the compiler may reorder, hoist or merge it.
     */
    PLAIN,
    /**
     * Coherent per location (every thread sees one order of writes to the word, and a value is
     * never read from the future); no ordering against other locations. Cheap progress flags.
     */
    OPAQUE,
    /**
     * Loads are acquire, stores are release: a reader that sees a release store also sees every
     * write that preceded it. No store-load ordering.
     */
    RELEASE_ACQUIRE,
    /**
     * Sequentially consistent: all volatile accesses appear in one total order. On x86-64 a
     * volatile store costs a locked instruction or {@code xchg}.
     */
    VOLATILE;

    /**
     * Whether this ordering is at least as strong as {@code other}.
     *
     * @param other the ordering to compare with.
     * @return {@code true} when every guarantee of {@code other} is also given by this one.
     */
    public boolean atLeast(final Ordering other)
    {
        return ordinal() >= other.ordinal();
    }
}
