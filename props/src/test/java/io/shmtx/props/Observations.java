package io.shmtx.props;

import io.shmtx.props.Anomaly.Kind;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntUnaryOperator;

/**
 * A history interpreted against its own observations, the first steps both checkers share
 * ({@link HistoryChecker}, {@link SnapshotChecker}).
 *
 * <p>Not threadsafe: made and read by one check.
 *
 * <h2>How</h2>
 * Every write of an object makes the next version of it, numbered by the object's write counter
 * ({@link Program}), so the history itself says which version of each object every transaction
 * read and wrote; no clock is needed.
 * <ol>
 *   <li>Each transaction's program runs against its own observations: the first read of an
 *       object names the version read; a later read must equal that version plus the
 *       transaction's own writes, else NON_REPEATABLE_READ; what it writes follows from what it
 *       read.</li>
 *   <li>The versions are indexed: two transactions that wrote the same version of an object both
 *       read the one before (LOST_UPDATE).</li>
 *   <li>Every read must name a version some committed transaction wrote (or the initial one),
 *       else UNCOMMITTED_READ, and see exactly its committed words, else TORN_READ.</li>
 * </ol>
 */
final class Observations
{
    /** The writer of an initial version. */
    static final int INIT = -1;

    /**
     * One committed version of an object.
     *
     * @param object the object.
     * @param number its write counter.
     * @param writer the transaction (index in the history) that wrote it, or {@link #INIT}.
     * @param words  its words.
     */
    record Version(int object, long number, int writer, long[] words)
    {
    }

    /** A transaction's program interpreted against its own observations. */
    static final class Observed implements Access
    {
        private final TxRecord record;
        private final long[][] first;
        private final long[][] view;
        private final boolean[] written;
        private final List<Anomaly> anomalies;
        private int next;

        private Observed(final TxRecord record, final int objects, final List<Anomaly> anomalies)
        {
            this.record = record;
            this.first = new long[objects][];
            this.view = new long[objects][];
            this.written = new boolean[objects];
            this.anomalies = anomalies;
        }

        /**
         * The record.
         *
         * @return it.
         */
        TxRecord record()
        {
            return record;
        }

        /**
         * The words of the first read of an object.
         *
         * @param object the object.
         * @return them, or {@code null} when the transaction did not read it.
         */
        long[] first(final int object)
        {
            return first[object];
        }

        /**
         * Whether the transaction wrote an object.
         *
         * @param object the object.
         * @return {@code true} when it did.
         */
        boolean wrote(final int object)
        {
            return written[object];
        }

        /**
         * Whether the transaction wrote anything.
         *
         * @return {@code true} when it wrote an object.
         */
        boolean writer()
        {
            for (final boolean w : written)
            {
                if (w)
                {
                    return true;
                }
            }
            return false;
        }

        /**
         * The words of an object the transaction left (the version it wrote, when it wrote it).
         *
         * @param object the object.
         * @return them, or {@code null} when it did not touch it.
         */
        long[] last(final int object)
        {
            return view[object];
        }

        @Override
        public int objects()
        {
            return first.length;
        }

        @Override
        public long[] read(final int object, final boolean bulk)
        {
            final long[] seen = recorded(record, next++, object);
            if (view[object] == null)
            {
                first[object] = seen; // records are immutable: shared until the transaction writes the object
                view[object] = seen;
            }
            else if (!Arrays.equals(view[object], seen))
            {
                throw new Malformed(new Anomaly(Kind.NON_REPEATABLE_READ, record.id() + " read object " + object + " as "
                    + Arrays.toString(seen) + " where its first read and its own writes give " + Arrays.toString(view[object])));
            }
            return view[object].clone();
        }

        @Override
        public void put(final int object, final int word, final long value)
        {
            if (view[object] == first[object])
            {
                view[object] = first[object].clone();
            }
            view[object][word] = value;
            written[object] = true;
        }

        private boolean interpret()
        {
            try
            {
                record.program().run(this, new ArrayList<>());
                if (next != record.reads().size())
                {
                    throw new Malformed(new Anomaly(Kind.MALFORMED, record.id() + " recorded " + record.reads().size()
                        + " reads but its program makes " + next));
                }
                return true;
            }
            catch (final Malformed ex)
            {
                Anomaly.add(anomalies, ex.anomaly);
                return false;
            }
        }
    }

    /** Ends the interpretation of one transaction. */
    private static final class Malformed extends RuntimeException
    {
        private static final long serialVersionUID = 1L;
        private final transient Anomaly anomaly;

        Malformed(final Anomaly anomaly)
        {
            super(anomaly.toString(), null, false, false);
            this.anomaly = anomaly;
        }
    }

    private final List<TxRecord> history;
    private final Observed[] txs;
    private final Map<Long, Version> versions = new HashMap<>();
    private final List<Anomaly> anomalies;

    /**
     * Interprets {@code history} and indexes its versions (steps 1 to 3 of the class comment).
     *
     * @param initial   each object's words before the history.
     * @param history   the committed transactions, in any order.
     * @param anomalies receives what is found.
     */
    Observations(final long[][] initial, final List<TxRecord> history, final List<Anomaly> anomalies)
    {
        this.history = history;
        this.anomalies = anomalies;
        txs = new Observed[history.size()];
        for (int t = 0; t < txs.length; t++)
        {
            txs[t] = new Observed(history.get(t), initial.length, anomalies);
            if (!txs[t].interpret())
            {
                txs[t] = null;
            }
        }
        indexVersions(initial);
        checkReads();
    }

    /**
     * How many transactions.
     *
     * @return the history's size.
     */
    int size()
    {
        return txs.length;
    }

    /**
     * A transaction's interpretation.
     *
     * @param t index in the history.
     * @return it, or {@code null} when its record was malformed.
     */
    Observed tx(final int t)
    {
        return txs[t];
    }

    /**
     * A committed version.
     *
     * @param object the object.
     * @param number the version number.
     * @return it, or {@code null} when nobody committed it.
     */
    Version version(final int object, final long number)
    {
        return versions.get(key(object, number));
    }

    /**
     * Adds the dependencies the versions make: ww from the writer of version k of an object to
     * the writer of k + 1, wr from the writer of the version a transaction read to the
     * transaction, rw from the transaction to the writer of the version after the one it read
     * (none from or to the transaction itself).
     *
     * @param graph      receives the edges.
     * @param writerNode a writer's node (index in the history, or {@link #INIT}).
     * @param readerNode the node of a transaction as a reader (index in the history).
     */
    void dependencies(final DependencyGraph graph, final IntUnaryOperator writerNode, final IntUnaryOperator readerNode)
    {
        for (final Version version : versions.values())
        {
            final Version next = version(version.object(), version.number() + 1);
            if (next != null)
            {
                graph.add(writerNode.applyAsInt(version.writer()), writerNode.applyAsInt(next.writer()), "ww",
                    version.object(), next.number());
            }
        }
        for (int t = 0; t < txs.length; t++)
        {
            final Observed tx = txs[t];
            for (int o = 0; tx != null && o < tx.first.length; o++)
            {
                if (tx.first[o] == null)
                {
                    continue;
                }
                final long number = tx.first[o][Program.COUNTER];
                final Version read = version(o, number);
                if (read != null && read.writer() != t)
                {
                    graph.add(writerNode.applyAsInt(read.writer()), readerNode.applyAsInt(t), "wr", o, number);
                }
                final Version next = version(o, number + 1);
                if (next != null && next.writer() != t)
                {
                    graph.add(readerNode.applyAsInt(t), writerNode.applyAsInt(next.writer()), "rw", o, number + 1);
                }
            }
        }
    }

    /**
     * A writer's name for messages.
     *
     * @param writer index in the history, or {@link #INIT}.
     * @return its id, or "the initial state".
     */
    String name(final int writer)
    {
        return writer == INIT ? "the initial state" : history.get(writer).id();
    }

    /**
     * Flags each object of {@code finalState} that is not its latest committed version (the check
     * when no replay can run).
     *
     * @param finalState each object's words after every transaction ended.
     */
    void checkLatest(final long[][] finalState)
    {
        for (int o = 0; o < finalState.length; o++)
        {
            final long number = finalState[o][Program.COUNTER];
            final Version latest = version(o, number);
            if (latest == null || version(o, number + 1) != null || !Arrays.equals(latest.words(), finalState[o]))
            {
                Anomaly.add(anomalies, new Anomaly(Kind.FINAL_STATE, "object " + o + " is " + Arrays.toString(finalState[o])
                    + ", not the latest committed version"));
            }
        }
    }

    /**
     * Flags each object whose words after the replay differ from the memory.
     *
     * @param replayed   each object's words in the replay's end state.
     * @param finalState each object's words in memory.
     * @param replay     what the replay was, for the message.
     */
    void compareFinal(final long[][] replayed, final long[][] finalState, final String replay)
    {
        for (int o = 0; o < finalState.length; o++)
        {
            if (!Arrays.equals(replayed[o], finalState[o]))
            {
                Anomaly.add(anomalies, new Anomaly(Kind.FINAL_STATE, "object " + o + " is " + Arrays.toString(finalState[o])
                    + " but " + replay + " ends with " + Arrays.toString(replayed[o])));
            }
        }
    }

    /**
     * A copy of {@code state}.
     *
     * @param state words per object.
     * @return a deep copy.
     */
    static long[][] copy(final long[][] state)
    {
        final long[][] copy = new long[state.length][];
        for (int o = 0; o < state.length; o++)
        {
            copy[o] = state[o].clone();
        }
        return copy;
    }

    /**
     * The words of one recorded read, checked against the program's shape.
     *
     * @param record the record.
     * @param index  which read.
     * @param object the object the program reads there.
     * @return the words.
     */
    static long[] recorded(final TxRecord record, final int index, final int object)
    {
        if (index >= record.reads().size())
        {
            throw new Malformed(new Anomaly(Kind.MALFORMED, record.id() + " recorded " + record.reads().size()
                + " reads but its program makes more"));
        }
        final long[] words = record.reads().get(index);
        if (words.length != Program.WORDS)
        {
            throw new Malformed(new Anomaly(Kind.MALFORMED, record.id() + " read " + index + " of object " + object + " has "
                + words.length + " words, not " + Program.WORDS));
        }
        return words;
    }

    private void indexVersions(final long[][] initial)
    {
        for (int o = 0; o < initial.length; o++)
        {
            versions.put(key(o, initial[o][Program.COUNTER]), new Version(o, initial[o][Program.COUNTER], INIT, initial[o]));
        }
        for (int t = 0; t < txs.length; t++)
        {
            final Observed tx = txs[t];
            for (int o = 0; tx != null && o < initial.length; o++)
            {
                if (!tx.written[o])
                {
                    continue;
                }
                final long number = tx.view[o][Program.COUNTER];
                final Version earlier = versions.putIfAbsent(key(o, number), new Version(o, number, t, tx.view[o]));
                if (earlier != null)
                {
                    Anomaly.add(anomalies, new Anomaly(Kind.LOST_UPDATE, name(earlier.writer()) + " and " + tx.record.id()
                        + " both wrote version " + number + " of object " + o + " (both read version " + (number - 1)
                        + ": one write overwrote the other)"));
                }
            }
        }
    }

    private void checkReads()
    {
        for (final Observed tx : txs)
        {
            for (int o = 0; tx != null && o < tx.first.length; o++)
            {
                final long[] seen = tx.first[o];
                if (seen == null)
                {
                    continue;
                }
                final Version version = version(o, seen[Program.COUNTER]);
                if (version == null)
                {
                    Anomaly.add(anomalies, new Anomaly(Kind.UNCOMMITTED_READ, tx.record.id() + " read version "
                        + seen[Program.COUNTER] + " of object " + o + " " + Arrays.toString(seen)
                        + ", which no committed transaction wrote"));
                }
                else if (!Arrays.equals(version.words(), seen))
                {
                    Anomaly.add(anomalies, new Anomaly(Kind.TORN_READ, tx.record.id() + " read version " + version.number()
                        + " of object " + o + " as " + Arrays.toString(seen) + " but " + name(version.writer())
                        + " committed it as " + Arrays.toString(version.words())));
                }
            }
        }
    }

    private static long key(final int object, final long number)
    {
        return ((long)object << 40) ^ number;
    }
}
