package io.shmtx.pool;

import java.util.List;

/**
 * Result of {@link MemoryStrategy#validate()}. Immutable.
 *
 * @param problems one line per inconsistency found; empty when valid.
 * @param tiers    per-tier block counts by state.
 */
public record ValidationReport(List<String> problems, List<TierCounts> tiers)
{
    /**
     * Copies the lists.
     *
     * @param problems problems.
     * @param tiers    per-tier counts.
     */
    public ValidationReport
    {
        problems = List.copyOf(problems);
        tiers = List.copyOf(tiers);
    }

    /**
     * Whether no problem was found.
     *
     * @return {@code true} when valid.
     */
    public boolean valid()
    {
        return problems.isEmpty();
    }

    /**
     * Block counts of one tier by state. Immutable.
     *
     * @param tier      tier index.
     * @param capacity  blocks in the tier.
     * @param listed    blocks in the free lists.
     * @param cached    blocks in threads' caches.
     * @param allocated blocks handed out (owned or published).
     * @param inFlight  blocks moving between a list and a thread, named by a live intent.
     */
    public record TierCounts(int tier, int capacity, int listed, int cached, int allocated, int inFlight)
    {
    }
}
