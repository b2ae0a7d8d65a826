package io.shmtx.pool;

/**
 * One thread's cache of blocks per tier and its cell in the region (intent word, counters).
 * Used only by its thread (or, for the shared overflow cache, under the pool's lock).
 * <p>An entry is a block's index and the generation its header holds while cached
 * ({@link #entry}), so an allocation from the cache writes the header without reading it first.
 */
final class ThreadCache
{
    final Thread owner;
    final int slot;
    final int cellIndex;
    final int cell;
    final boolean shared;
    final long[][] magazines;
    final int[] sizes;

    ThreadCache(final Thread thread, final int slot, final int cellIndex, final int cell, final boolean shared, final int[] capacities)
    {
        this.owner = thread;
        this.slot = slot;
        this.cellIndex = cellIndex;
        this.cell = cell;
        this.shared = shared;
        this.magazines = new long[capacities.length][];
        this.sizes = new int[capacities.length];
        for (int t = 0; t < capacities.length; t++)
        {
            magazines[t] = new long[shared ? 0 : capacities[t]];
        }
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

    /**
     * @return the newest cached entry of {@code tier}, or -1 when there is none.
     */
    long pop(final int tier)
    {
        final int size = sizes[tier];
        if (size == 0)
        {
            return -1;
        }
        sizes[tier] = size - 1;
        return magazines[tier][size - 1];
    }

    boolean push(final int tier, final int index, final int generation)
    {
        final long[] magazine = magazines[tier];
        final int size = sizes[tier];
        if (size == magazine.length)
        {
            return false;
        }
        magazine[size] = entry(index, generation);
        sizes[tier] = size + 1;
        return true;
    }

    /**
     * Takes the oldest {@code n} entries of a tier out of the cache.
     *
     * @return their block indices, oldest first, with room for one more at the end.
     */
    int[] takeOldest(final int tier, final int n)
    {
        final long[] magazine = magazines[tier];
        final int size = sizes[tier];
        final int[] chain = new int[n + 1];
        for (int i = 0; i < n; i++)
        {
            chain[i] = index(magazine[i]);
        }
        System.arraycopy(magazine, n, magazine, 0, size - n);
        sizes[tier] = size - n;
        return chain;
    }

    boolean threadIsDead()
    {
        return !owner.isAlive();
    }
}
