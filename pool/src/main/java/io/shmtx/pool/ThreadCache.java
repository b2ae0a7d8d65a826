package io.shmtx.pool;

/**
 * One thread's cache of blocks per tier and its cell in the region (intent word, counters).
 * Used only by its thread (or, for the shared overflow cache, under the pool's lock).
 */
final class ThreadCache
{
    final Thread owner;
    final int slot;
    final int cellIndex;
    final int cell;
    final boolean shared;
    final int[][] magazines;
    final int[] sizes;

    ThreadCache(final Thread thread, final int slot, final int cellIndex, final int cell, final boolean shared, final int[] capacities)
    {
        this.owner = thread;
        this.slot = slot;
        this.cellIndex = cellIndex;
        this.cell = cell;
        this.shared = shared;
        this.magazines = new int[capacities.length][];
        this.sizes = new int[capacities.length];
        for (int t = 0; t < capacities.length; t++)
        {
            magazines[t] = new int[shared ? 0 : capacities[t]];
        }
    }

    int pop(final int tier)
    {
        final int size = sizes[tier];
        if (size == 0)
        {
            return -1;
        }
        sizes[tier] = size - 1;
        return magazines[tier][size - 1];
    }

    boolean push(final int tier, final int index)
    {
        final int[] magazine = magazines[tier];
        final int size = sizes[tier];
        if (size == magazine.length)
        {
            return false;
        }
        magazine[size] = index;
        sizes[tier] = size + 1;
        return true;
    }

    boolean threadIsDead()
    {
        return !owner.isAlive();
    }
}
