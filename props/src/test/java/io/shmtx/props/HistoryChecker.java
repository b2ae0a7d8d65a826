package io.shmtx.props;

import io.shmtx.props.Anomaly.Kind;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Checks that a history of committed transactions is serializable and that the memory they left
 * is what a serial run gives.
 *
 * <p>This class is threadsafe: {@link #check} keeps its state on its own stack.
 *
 * <h2>How</h2>
 * After the steps of {@link Observations} (the version each transaction read and wrote of each
 * object, from the objects' write counters; lost updates, uncommitted, torn and non-repeatable
 * reads), the checker:
 * <ol>
 *   <li>builds the serialization graph (Adya's direct serialization graph over this version
 *       order): write-write from the writer of version k to the writer of k + 1, write-read
 *       from the writer of k to each reader of k, read-write (anti-dependency) from each reader
 *       of k to the writer of k + 1; a cycle is a history no serial order explains (CYCLE,
 *       printed: a write skew is two read-write edges, a fractured read a write-read and a
 *       read-write edge);</li>
 *   <li>with no anomaly so far, replays every program in a topological order of the graph
 *       against a serial model, comparing each read with what was recorded (REPLAY, a
 *       self-check of the steps above), and compares the model's final state with the memory
 *       (FINAL_STATE); otherwise compares the memory with each object's latest version.</li>
 * </ol>
 * Why acyclic is enough: the version order of each object is total (one writer per version) and
 * every edge points from a transaction that must come earlier in any serial order consistent
 * with the reads to one that must come later, so a topological order is a serial order in which
 * every transaction reads exactly the versions it read; the replay confirms it.
 */
final class HistoryChecker
{
    /** The serial model: each transaction runs alone against it, in the chosen order. */
    private static final class Serial implements Access
    {
        private final long[][] model;
        private final long[][] local;
        private final boolean[] written;
        private TxRecord record;
        private int next;
        private Anomaly mismatch;

        Serial(final long[][] initial)
        {
            model = Observations.copy(initial);
            local = new long[initial.length][];
            written = new boolean[initial.length];
        }

        @Override
        public int objects()
        {
            return model.length;
        }

        @Override
        public long[] read(final int object, final boolean bulk)
        {
            if (local[object] == null)
            {
                local[object] = model[object].clone();
            }
            final long[] seen = Observations.recorded(record, next++, object);
            if (mismatch == null && !Arrays.equals(seen, local[object]))
            {
                mismatch = new Anomaly(Kind.REPLAY, record.id() + " read object " + object + " as " + Arrays.toString(seen)
                    + " but in the serial order it is " + Arrays.toString(local[object]));
            }
            return local[object].clone();
        }

        @Override
        public void put(final int object, final int word, final long value)
        {
            local[object][word] = value;
            written[object] = true;
        }

        Anomaly run(final TxRecord tx)
        {
            record = tx;
            next = 0;
            mismatch = null;
            Arrays.fill(local, null);
            Arrays.fill(written, false);
            tx.program().run(this, new ArrayList<>());
            for (int o = 0; o < model.length; o++)
            {
                if (written[o])
                {
                    model[o] = local[o];
                }
            }
            return mismatch;
        }
    }

    private HistoryChecker()
    {
    }

    /**
     * Checks a history.
     *
     * @param initial    each object's words before the history (counter 0).
     * @param history    the committed transactions, in any order.
     * @param finalState each object's words after every transaction ended.
     * @return the anomalies found, at most {@value Anomaly#MAX}; empty when the history is
     *         serializable and the final state is the serial one.
     */
    static List<Anomaly> check(final long[][] initial, final List<TxRecord> history, final long[][] finalState)
    {
        final List<Anomaly> anomalies = new ArrayList<>();
        final Observations observations = new Observations(initial, history, anomalies);
        final int n = history.size();
        final DependencyGraph graph = graph(observations);
        final int[] order = graph.topologicalOrder();
        if (order.length < n + 1)
        {
            Anomaly.add(anomalies, new Anomaly(Kind.CYCLE, "no serial order: "
                + graph.describeCycle(order, v -> v == n ? "initial state" : history.get(v).id())));
        }
        if (anomalies.isEmpty())
        {
            final Serial serial = new Serial(initial);
            for (final int v : order)
            {
                if (v < n)
                {
                    final Anomaly mismatch = serial.run(history.get(v));
                    if (mismatch != null)
                    {
                        Anomaly.add(anomalies, mismatch);
                    }
                }
            }
            observations.compareFinal(serial.model, finalState, "the serial replay");
        }
        else
        {
            observations.checkLatest(finalState);
        }
        return anomalies;
    }

    /** Nodes 0 .. n - 1 are the transactions, node n the initial state. */
    private static DependencyGraph graph(final Observations observations)
    {
        final int n = observations.size();
        final DependencyGraph graph = new DependencyGraph(n + 1);
        observations.dependencies(graph, writer -> node(writer, n), t -> t);
        return graph;
    }

    private static int node(final int writer, final int n)
    {
        return writer == Observations.INIT ? n : writer;
    }
}
