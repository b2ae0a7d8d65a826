package io.shmtx.barriers;

import java.lang.invoke.VarHandle;

/**
 * Explicit memory fences, named by what they order, over the {@link VarHandle} fence methods.
 *
 * <p>This class is threadsafe: it has no state (apart from the optional diagnostic counters of
 * {@link BarrierCounters}).
 *
 * <p>In Java-memory-model terms, a fence orders the <em>plain and opaque</em> accesses of the
 * current thread around it; it creates no happens-before edge on its own. An edge exists when a
 * release fence (or release store) in one thread is paired with an acquire fence (or acquire
 * load) in another thread that reads a value written after the release. Prefer the ordered
 * accessors of {@link OrderedAccess} where one access carries the ordering; use a fence when
 * several plain accesses need ordering at once.
 *
 * <p>Costs quoted are for HotSpot C2 on the two targets we support: on x86-64 (TSO) only the
 * store-load ordering of {@link #full()} needs an instruction; on AArch64 every fence emits a
 * {@code dmb} variant.
 */
public final class Barriers
{
    private Barriers()
    {
    }

    /**
     * Acquire fence: loads before the fence are ordered before loads and stores after it.
     * Pairs with a {@link #release()} (or release store) in the writing thread.
     *
     * <p>Cost: x86-64 — no instruction (compiler barrier only); AArch64 — {@code dmb ishld}.
     */
    public static void acquire()
    {
        if (BarrierCounters.ENABLED)
        {
            BarrierCounters.count(BarrierCounters.Kind.ACQUIRE);
        }
        VarHandle.acquireFence();
    }

    /**
     * Release fence: loads and stores before the fence are ordered before stores after it.
     * Use it before publishing a flag that a reader checks with an acquire.
     *
     * <p>Cost: x86-64 — no instruction (compiler barrier only); AArch64 — {@code dmb ish}.
     */
    public static void release()
    {
        if (BarrierCounters.ENABLED)
        {
            BarrierCounters.count(BarrierCounters.Kind.RELEASE);
        }
        VarHandle.releaseFence();
    }

    /**
     * Full fence: all loads and stores before the fence are ordered before all loads and stores
     * after it, including a store before it against a load after it (the store-load order that
     * Dekker-style protocols need and that acquire/release do not give).
     *
     * <p>Cost: x86-64 — a locked instruction ({@code lock addl $0,(rsp)}), tens of cycles;
     * AArch64 — {@code dmb ish}.
     */
    public static void full()
    {
        if (BarrierCounters.ENABLED)
        {
            BarrierCounters.count(BarrierCounters.Kind.FULL);
        }
        VarHandle.fullFence();
    }

    /**
     * Load-load fence: loads before the fence are ordered before loads after it (a seqlock
     * reader's fence between reading the data and re-reading the version).
     *
     * <p>Cost: x86-64 — no instruction; AArch64 — {@code dmb ishld}.
     */
    public static void loadLoad()
    {
        if (BarrierCounters.ENABLED)
        {
            BarrierCounters.count(BarrierCounters.Kind.LOAD_LOAD);
        }
        VarHandle.loadLoadFence();
    }

    /**
     * Store-store fence: stores before the fence are ordered before stores after it (a seqlock
     * writer's fence between bumping the version and writing the data).
     *
     * <p>Cost: x86-64 — no instruction; AArch64 — {@code dmb ishst}.
     */
    public static void storeStore()
    {
        if (BarrierCounters.ENABLED)
        {
            BarrierCounters.count(BarrierCounters.Kind.STORE_STORE);
        }
        VarHandle.storeStoreFence();
    }
}
