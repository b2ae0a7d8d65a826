package io.shmtx.pool;

import org.agrona.UnsafeApi;

/**
 * One thread's cache of blocks per tier and its cell in the region (intent word, counters).
 * Used only by its thread (or, for the shared overflow cache, under the pool's lock).
 * <p>Everything the hot path needs sits in one {@code long[]} ({@link #slots}), so that a pool
 * can memoise the array of the last thread it served and reach a cached block in two dependent
 * loads: the owner thread's id, the process slot and the cell's offset in the first words, then
 * per tier the number of cached entries followed by the entries ({@link #base}). An entry is a
 * block's index and the generation its header holds while cached ({@link #entry}), so an
 * allocation from the cache writes the header without reading it first.
 */
final class ThreadCache
{
    /** Offset of element 0 in a {@code long[]}. */
    private static final long LONGS = UnsafeApi.arrayBaseOffset(long[].class);
    /** Word of {@link #slots}: the owner thread's id ({@link Thread#getId()}), -1 for the shared cache. */
    static final int OWNER = 0;
    /** Word of {@link #slots}: the process slot. */
    static final int SLOT = 1;
    /** Word of {@link #slots}: the cell's offset in the region buffer. */
    static final int CELL = 2;
    static final int HEADER_WORDS = 3;

    final Thread owner;
    final int slot;
    final int cellIndex;
    final int cell;
    final boolean shared;
    /** Owner, slot, cell, then per tier at {@code base[tier]}: count, then up to capacity entries. */
    final long[] slots;
    private final int[] base;
    private final int[] capacity;
    /** Times the owner thread found the pool's memo naming another cache since it last took it (owner only). */
    int memoMisses;

    ThreadCache(final Thread thread, final int slot, final int cellIndex, final int cell, final boolean shared,
        final int[] base, final int[] capacities)
    {
        this.owner = thread;
        this.slot = slot;
        this.cellIndex = cellIndex;
        this.cell = cell;
        this.shared = shared;
        this.base = base;
        this.capacity = shared ? new int[capacities.length] : capacities;
        final int last = capacities.length - 1;
        this.slots = new long[base[last] + 1 + capacities[last]];
        slots[OWNER] = shared ? -1 : thread.getId(); // ids are never reused by the JDK's counter
        slots[SLOT] = slot;
        slots[CELL] = cell;
    }

    /**
     * Where each tier's count word sits in a cache's {@link #slots}.
     *
     * @param capacities entries per tier.
     * @return the offsets.
     */
    static int[] bases(final int[] capacities)
    {
        final int[] base = new int[capacities.length];
        int at = HEADER_WORDS;
        for (int t = 0; t < capacities.length; t++)
        {
            base[t] = at;
            at += 1 + capacities[t];
        }
        return base;
    }

    static long entry(final int index, final int generation)
    {
        return ((long)generation << 32) | index;
    }

    static int index(final long entry)
    {
        return (int)entry;
    }

    static int generation(final long entry)
    {
        return (int)(entry >>> 32);
    }

    int size(final int tier)
    {
        return (int)slots[base[tier]];
    }

    int capacity(final int tier)
    {
        return capacity[tier];
    }

    /**
     * @return the newest cached entry of {@code tier}, or -1 when there is none.
     */
    long pop(final int tier)
    {
        return pop(slots, base[tier]);
    }

    boolean push(final int tier, final int index, final int generation)
    {
        return push(slots, base[tier], capacity[tier], entry(index, generation));
    }

    /**
     * Pops the newest entry of the tier whose count word is {@code slots[at]} (also used by the
     * pool on a memoised cache's slots). No array bounds checks: a count word is written only by
     * its cache's owner thread (or under the pool's lock for the shared cache), through these two
     * methods, so it stays within 0..capacity, and {@link #bases} leaves room for capacity
     * entries after it.
     *
     * @return the entry, or -1 when the tier's cache is empty.
     */
    static long pop(final long[] slots, final int at)
    {
        final long countAt = LONGS + ((long)at << 3);
        final long size = UnsafeApi.getLong(slots, countAt);
        if (size == 0)
        {
            return -1;
        }
        UnsafeApi.putLong(slots, countAt, size - 1);
        return UnsafeApi.getLong(slots, countAt + (size << 3));
    }

    /**
     * Pushes an entry onto the tier whose count word is {@code slots[at]} (no bounds checks, as
     * {@link #pop(long[], int)}).
     *
     * @return false when the tier's cache already holds {@code capacity} entries.
     */
    static boolean push(final long[] slots, final int at, final int capacity, final long entry)
    {
        final long countAt = LONGS + ((long)at << 3);
        final long size = UnsafeApi.getLong(slots, countAt);
        if (size >= capacity)
        {
            return false;
        }
        UnsafeApi.putLong(slots, countAt + ((size + 1) << 3), entry);
        UnsafeApi.putLong(slots, countAt, size + 1);
        return true;
    }

    /**
     * Takes the oldest {@code wanted} entries of a tier out of the cache, or all of them when it
     * holds fewer (a count read once, so a close that drains another thread's cache against the
     * rules gets a consistent chain rather than an exception).
     *
     * @return their block indices, oldest first, with room for one more at the end.
     */
    int[] takeOldest(final int tier, final int wanted)
    {
        final int at = base[tier];
        final int size = (int)slots[at];
        final int n = Math.max(0, Math.min(wanted, size));
        final int[] chain = new int[n + 1];
        for (int i = 0; i < n; i++)
        {
            chain[i] = index(slots[at + 1 + i]);
        }
        System.arraycopy(slots, at + 1 + n, slots, at + 1, size - n);
        slots[at] = size - n;
        return chain;
    }

    boolean threadIsDead()
    {
        return !owner.isAlive();
    }
}
