package io.shmtx.consistency;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * Transaction statistics of a region, summed over every transaction log (so over every process
 * that ever ran transactions in it, since the region was created): a snapshot taken by
 * {@link SharedMemory#stats()}, each counter read once (they move while it is taken).
 *
 * @param model          the model in force.
 * @param epoch          the model epoch.
 * @param switches       model switches completed.
 * @param switchFailures model switches given up (timed out, or their switcher died).
 * @param commits        committed transactions.
 * @param aborts         aborted attempts, by reason.
 * @param retries        aborted attempts that {@code transact} ran again.
 * @param retryWaits     {@link Tx#retry()} waits.
 * @param versionsAlive  CAUSAL history blocks alive (older versions kept for snapshots).
 */
public record TxStats(ConsistencyModel model, long epoch, long switches, long switchFailures, long commits,
    Map<AbortReason, Long> aborts, long retries, long retryWaits, long versionsAlive)
{
    /**
     * A snapshot; {@code aborts} is copied.
     *
     * @param model          the model in force.
     * @param epoch          the model epoch.
     * @param switches       model switches completed.
     * @param switchFailures model switches given up.
     * @param commits        committed transactions.
     * @param aborts         aborted attempts, by reason (copied).
     * @param retries        aborted attempts that {@code transact} ran again.
     * @param retryWaits     {@link Tx#retry()} waits.
     * @param versionsAlive  CAUSAL history blocks alive.
     */
    public TxStats
    {
        aborts = Collections.unmodifiableMap(new EnumMap<>(aborts));
    }

    /**
     * Aborted attempts of every reason.
     *
     * @return the sum.
     */
    public long totalAborts()
    {
        long sum = 0;
        for (final long n : aborts.values())
        {
            sum += n;
        }
        return sum;
    }

    @Override
    public String toString()
    {
        final StringBuilder reasons = new StringBuilder();
        for (final Map.Entry<AbortReason, Long> e : aborts.entrySet())
        {
            if (e.getValue() != 0)
            {
                reasons.append(reasons.length() == 0 ? " (" : ", ").append(e.getKey()).append(' ').append(e.getValue());
            }
        }
        return new StringBuilder()
            .append("model ").append(model).append(" (epoch ").append(epoch).append(", ").append(switches).append(" switches, ")
            .append(switchFailures).append(" given up)\n")
            .append("commits ").append(commits).append(", aborts ").append(totalAborts()).append(reasons)
            .append(reasons.length() == 0 ? "" : ")").append(", retries ").append(retries).append(", retry() waits ").append(retryWaits)
            .append("\nversions alive ").append(versionsAlive).toString();
    }
}
