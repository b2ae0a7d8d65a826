package io.shmtx.pool;

/**
 * One tier of a pool: blocks of one payload size. Immutable.
 *
 * @param blockSize  payload bytes of each block: a multiple of 8, 8 to 1 GiB.
 * @param blockCount number of blocks, 1 to 2^30.
 * @param reserve    blocks held back for {@link Priority#CRITICAL} allocations, 0 to blockCount - 1.
 */
public record TierConfig(int blockSize, int blockCount, int reserve)
{
    /** Largest block payload. */
    public static final int MAX_BLOCK_SIZE = 1 << 30;
    /** Most blocks in a tier. */
    public static final int MAX_BLOCK_COUNT = 1 << 30;

    /**
     * Validates the values.
     *
     * @param blockSize  payload size.
     * @param blockCount block count.
     * @param reserve    emergency reserve.
     */
    public TierConfig
    {
        if (blockSize < 8 || blockSize > MAX_BLOCK_SIZE || (blockSize & 7) != 0)
        {
            throw new IllegalArgumentException("blockSize=" + blockSize + " must be a multiple of 8 in 8.." + MAX_BLOCK_SIZE);
        }
        if (blockCount < 1 || blockCount > MAX_BLOCK_COUNT)
        {
            throw new IllegalArgumentException("blockCount=" + blockCount + " (blockSize=" + blockSize + ") must be in 1.."
                + MAX_BLOCK_COUNT);
        }
        if (reserve < 0 || reserve >= blockCount)
        {
            throw new IllegalArgumentException("reserve=" + reserve + " (blockSize=" + blockSize + ") must be in 0.."
                + (blockCount - 1));
        }
    }
}
