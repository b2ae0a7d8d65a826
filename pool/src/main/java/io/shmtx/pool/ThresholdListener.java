package io.shmtx.pool;

/**
 * Told when a tier's utilisation crosses a threshold, once per crossing (up or down), in the
 * process whose operation or {@link TieredPool#stats()} call observed it. Called on that thread;
 * must not block and must not call the pool.
 */
@FunctionalInterface
public interface ThresholdListener
{
    /**
     * A tier moved from one level to another.
     *
     * @param tier               tier index.
     * @param blockSize          its block size.
     * @param previous           level before.
     * @param current            level now.
     * @param utilisationPercent blocks out of the free lists, in percent of the tier.
     */
    void onThreshold(int tier, int blockSize, UsageLevel previous, UsageLevel current, int utilisationPercent);
}
