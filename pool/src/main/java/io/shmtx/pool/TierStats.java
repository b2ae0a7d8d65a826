package io.shmtx.pool;

/**
 * Statistics of one tier, summed over every process. Immutable.
 *
 * @param tier           tier index.
 * @param blockSize      payload bytes per block.
 * @param capacity       blocks in the tier (reserve included).
 * @param reserve        blocks only CRITICAL requests may take.
 * @param inUse          blocks handed out and not freed (allocations - frees).
 * @param outstanding    blocks out of the free lists: in use plus held in threads' caches.
 * @param highWater      largest {@code outstanding} seen.
 * @param allocations    blocks handed out, ever.
 * @param frees          blocks taken back, ever.
 * @param failures       requests that fitted this tier and failed.
 * @param fallbacks      requests that fitted this tier and were served by a larger one.
 * @param bytesRequested bytes asked for by the requests this tier served.
 * @param bytesGranted   bytes handed out for them (block size each).
 */
public record TierStats(
    int tier, int blockSize, int capacity, int reserve, long inUse, long outstanding, long highWater, long allocations,
    long frees, long failures, long fallbacks, long bytesRequested, long bytesGranted)
{
    /**
     * Internal fragmentation: share of granted bytes that were not requested.
     *
     * @return 0.0 to 1.0.
     */
    public double fragmentation()
    {
        return bytesGranted == 0 ? 0.0 : 1.0 - (double)bytesRequested / bytesGranted;
    }

    /**
     * Outstanding blocks in percent of capacity.
     *
     * @return 0 to 100.
     */
    public int utilisationPercent()
    {
        return (int)Math.min(100, outstanding * 100 / Math.max(1, capacity));
    }
}
