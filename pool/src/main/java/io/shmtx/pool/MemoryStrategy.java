package io.shmtx.pool;

/**
 * A way of handing out and taking back memory in a region, addressed by handles. The tiered pool
 * ({@link TieredPool}) is the main implementation.
 *
 * <p>Implementations are threadsafe and safe across processes.
 */
public interface MemoryStrategy
{
    /**
     * Hands out a block of at least {@code size} bytes.
     *
     * @param size requested bytes, positive.
     * @return the block's handle, never 0.
     * @throws PoolExhaustedException when no block is left.
     * @throws IllegalArgumentException when size is 0, negative or larger than the largest block.
     */
    long allocate(int size);

    /**
     * Takes back a block.
     *
     * @param handle the handle {@link #allocate} returned.
     * @throws HandleException when the handle is invalid, stale or already freed; nothing changes then.
     */
    void deallocate(long handle);

    /**
     * Current health.
     *
     * @return the status.
     */
    StrategyStatus status();

    /**
     * Checks the shared structures: every block accounted for exactly once, lists without cycles,
     * counters that agree. Never hangs on a corrupt region.
     *
     * @return what was found.
     */
    ValidationReport validate();

    /**
     * Checks that {@code size} could be requested, without allocating.
     *
     * @param size requested bytes.
     * @throws IllegalArgumentException when it could not.
     */
    void checkAllocation(int size);

    /**
     * Checks that {@code handle} could be freed now, without freeing it.
     *
     * @param handle the handle.
     * @throws HandleException when it could not.
     */
    void checkDeallocation(long handle);
}
