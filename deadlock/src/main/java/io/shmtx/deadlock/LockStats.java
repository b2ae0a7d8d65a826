package io.shmtx.deadlock;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * Counters of a lock table since its region was created, summed over every process: a snapshot
 * taken by {@link LockManager#stats()}, each counter read once (they move while it is taken).
 * Immutable.
 *
 * @param grants locks granted, added when their transaction commits, aborts, restarts or closes.
 * @param waits  requests that waited for a holder.
 * @param wounds transactions wounded by an older requester (WOUND_WAIT).
 * @param aborts aborted transactions, by reason (every reason present).
 */
public record LockStats(long grants, long waits, long wounds, Map<AbortReason, Long> aborts)
{
    /**
     * A snapshot; {@code aborts} is copied, every reason present (0 when missing).
     *
     * @param grants locks granted.
     * @param waits  requests that waited.
     * @param wounds transactions wounded.
     * @param aborts aborts by reason.
     */
    public LockStats
    {
        final Map<AbortReason, Long> copy = new EnumMap<>(AbortReason.class);
        for (final AbortReason reason : AbortReason.values())
        {
            copy.put(reason, aborts.getOrDefault(reason, 0L));
        }
        aborts = Collections.unmodifiableMap(copy);
    }

    /**
     * Aborts of every reason.
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

    /**
     * The counters in words.
     *
     * @return e.g. {@code grants 12, waits 3, wounds 1, aborts 2 (DIED 1, TIMEOUT 1)}.
     */
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
        return "grants " + grants + ", waits " + waits + ", wounds " + wounds + ", aborts " + totalAborts() + reasons
            + (reasons.length() == 0 ? "" : ")");
    }
}
