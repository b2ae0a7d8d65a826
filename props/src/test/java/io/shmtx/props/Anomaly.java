package io.shmtx.props;

import java.util.List;

/**
 * One finding of a history checker ({@link HistoryChecker}, {@link SnapshotChecker}). Immutable.
 *
 * @param kind   what.
 * @param detail the transactions, objects, versions and values involved.
 */
record Anomaly(Kind kind, String detail)
{
    /** Most anomalies one check reports. */
    static final int MAX = 20;

    /** What went wrong. */
    enum Kind
    {
        /** The record does not fit its program (wrong number or size of reads). */
        MALFORMED,
        /** A transaction read an object twice and saw something other than its first read plus its own writes. */
        NON_REPEATABLE_READ,
        /** Two committed transactions wrote the same version of an object. */
        LOST_UPDATE,
        /** A read of a version no committed transaction wrote. */
        UNCOMMITTED_READ,
        /** A read of a committed version whose words differ from what was committed. */
        TORN_READ,
        /** The serialization graph has a cycle: no serial order explains the reads. */
        CYCLE,
        /** No commit order has a prefix that explains every transaction's reads (a fractured, stale or mixed snapshot). */
        NOT_A_SNAPSHOT,
        /** A transaction that only reads needed more than one attempt. */
        READ_ONLY_ABORTED,
        /** The replay in the order the checker found disagrees with a recorded read (a self-check of the checker). */
        REPLAY,
        /** The memory after the run differs from what the committed transactions wrote. */
        FINAL_STATE
    }

    @Override
    public String toString()
    {
        return kind + ": " + detail;
    }

    /**
     * Adds {@code anomaly} unless {@code anomalies} holds {@value #MAX} already.
     *
     * @param anomalies the findings so far.
     * @param anomaly   a new one.
     */
    static void add(final List<Anomaly> anomalies, final Anomaly anomaly)
    {
        if (anomalies.size() < MAX)
        {
            anomalies.add(anomaly);
        }
    }

    /**
     * The anomalies as lines, for an assertion message.
     *
     * @param anomalies what a check found.
     * @return one line each.
     */
    static String describe(final List<Anomaly> anomalies)
    {
        final StringBuilder text = new StringBuilder();
        for (final Anomaly anomaly : anomalies)
        {
            text.append(anomaly).append('\n');
        }
        return text.toString();
    }
}
