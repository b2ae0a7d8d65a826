package io.shmtx.props;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks that a history of committed transactions is serializable and that the memory they left
 * is what a serial run gives.
 *
 * <p>This class is threadsafe: {@link #check} keeps its state on its own stack.
 *
 * <h2>How</h2>
 * Every write of an object makes the next version of it, numbered by the object's write counter
 * ({@link Program}), so the history itself says which version of each object every transaction
 * read and wrote; no clock is needed. The checker:
 * <ol>
 *   <li>interprets each transaction's program against its own observations: the first read of
 *       an object names the version read; a later read must equal that version plus the
 *       transaction's own writes, else NON_REPEATABLE_READ; what it writes follows from what it
 *       read;</li>
 *   <li>indexes the versions: two transactions that wrote the same version of an object both
 *       read the one before (LOST_UPDATE);</li>
 *   <li>checks every read names a version some committed transaction wrote (or the initial
 *       one), else UNCOMMITTED_READ, and saw exactly its committed words, else TORN_READ;</li>
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
    /** Most anomalies reported by one check. */
    static final int MAX_ANOMALIES = 20;

    private static final int INIT = -1;

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
        /** The serialization graph has a cycle. */
        CYCLE,
        /** The serial replay disagrees with a recorded read. */
        REPLAY,
        /** The memory after the run differs from the serial result. */
        FINAL_STATE
    }

    /**
     * One finding.
     *
     * @param kind   what.
     * @param detail the transactions, objects, versions and values involved.
     */
    record Anomaly(Kind kind, String detail)
    {
        @Override
        public String toString()
        {
            return kind + ": " + detail;
        }
    }

    private record Version(int object, long number, int writer, long[] words)
    {
    }

    private record Edge(int to, String kind, int object, long version)
    {
    }

    /** A transaction's program interpreted against its own observations. */
    private static final class Observed implements Access
    {
        private final TxRecord record;
        private final long[][] first;
        private final long[][] view;
        private final boolean[] written;
        private final List<Anomaly> anomalies;
        private int next;

        Observed(final TxRecord record, final int objects, final List<Anomaly> anomalies)
        {
            this.record = record;
            this.first = new long[objects][];
            this.view = new long[objects][];
            this.written = new boolean[objects];
            this.anomalies = anomalies;
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
                first[object] = seen.clone();
                view[object] = seen.clone();
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
            view[object][word] = value;
            written[object] = true;
        }

        boolean interpret()
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
                add(anomalies, ex.anomaly);
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
            model = copy(initial);
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
            final long[] seen = recorded(record, next++, object);
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
     * @return the anomalies found, at most {@value #MAX_ANOMALIES}; empty when the history is
     *         serializable and the final state is the serial one.
     */
    static List<Anomaly> check(final long[][] initial, final List<TxRecord> history, final long[][] finalState)
    {
        final int n = history.size();
        final int objects = initial.length;
        final List<Anomaly> anomalies = new ArrayList<>();
        final Observed[] txs = new Observed[n];
        for (int t = 0; t < n; t++)
        {
            txs[t] = new Observed(history.get(t), objects, anomalies);
            if (!txs[t].interpret())
            {
                txs[t] = null;
            }
        }
        final Map<Long, Version> versions = versions(initial, txs, anomalies);
        checkReads(txs, versions, anomalies);
        final List<List<Edge>> graph = graph(txs, versions);
        final int[] order = topologicalOrder(graph);
        if (order.length < n + 1)
        {
            add(anomalies, new Anomaly(Kind.CYCLE, describeCycle(graph, order, history)));
        }
        if (anomalies.isEmpty())
        {
            replay(initial, history, order, finalState, anomalies);
        }
        else
        {
            checkLatest(versions, finalState, anomalies);
        }
        return anomalies;
    }

    /**
     * The anomalies as lines, for an assertion message.
     *
     * @param anomalies what {@link #check} found.
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

    private static Map<Long, Version> versions(final long[][] initial, final Observed[] txs, final List<Anomaly> anomalies)
    {
        final Map<Long, Version> versions = new HashMap<>();
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
                    add(anomalies, new Anomaly(Kind.LOST_UPDATE, name(txs, earlier.writer()) + " and " + tx.record.id()
                        + " both wrote version " + number + " of object " + o + " (both read version " + (number - 1)
                        + ": one write overwrote the other)"));
                }
            }
        }
        return versions;
    }

    private static void checkReads(final Observed[] txs, final Map<Long, Version> versions, final List<Anomaly> anomalies)
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
                final Version version = versions.get(key(o, seen[Program.COUNTER]));
                if (version == null)
                {
                    add(anomalies, new Anomaly(Kind.UNCOMMITTED_READ, tx.record.id() + " read version " + seen[Program.COUNTER]
                        + " of object " + o + " " + Arrays.toString(seen) + ", which no committed transaction wrote"));
                }
                else if (!Arrays.equals(version.words(), seen))
                {
                    add(anomalies, new Anomaly(Kind.TORN_READ, tx.record.id() + " read version " + version.number()
                        + " of object " + o + " as " + Arrays.toString(seen) + " but " + name(txs, version.writer())
                        + " committed it as " + Arrays.toString(version.words())));
                }
            }
        }
    }

    /** Nodes 0 .. n - 1 are the transactions, node n the initial state. */
    private static List<List<Edge>> graph(final Observed[] txs, final Map<Long, Version> versions)
    {
        final int n = txs.length;
        final List<List<Edge>> graph = new ArrayList<>(n + 1);
        for (int t = 0; t <= n; t++)
        {
            graph.add(new ArrayList<>());
        }
        for (final Version version : versions.values())
        {
            final Version next = versions.get(key(version.object(), version.number() + 1));
            if (next != null)
            {
                graph.get(node(version.writer(), n)).add(new Edge(node(next.writer(), n), "ww", version.object(), next.number()));
            }
        }
        for (int t = 0; t < n; t++)
        {
            final Observed tx = txs[t];
            for (int o = 0; tx != null && o < tx.first.length; o++)
            {
                if (tx.first[o] == null)
                {
                    continue;
                }
                final long number = tx.first[o][Program.COUNTER];
                final Version read = versions.get(key(o, number));
                if (read != null && read.writer() != t)
                {
                    graph.get(node(read.writer(), n)).add(new Edge(t, "wr", o, number));
                }
                final Version next = versions.get(key(o, number + 1));
                if (next != null && next.writer() != t)
                {
                    graph.get(t).add(new Edge(node(next.writer(), n), "rw", o, number + 1));
                }
            }
        }
        return graph;
    }

    /** Kahn's algorithm; shorter than the node count when there is a cycle. */
    private static int[] topologicalOrder(final List<List<Edge>> graph)
    {
        final int nodes = graph.size();
        final int[] inDegree = new int[nodes];
        for (final List<Edge> edges : graph)
        {
            for (final Edge edge : edges)
            {
                inDegree[edge.to()]++;
            }
        }
        final ArrayDeque<Integer> ready = new ArrayDeque<>();
        for (int v = 0; v < nodes; v++)
        {
            if (inDegree[v] == 0)
            {
                ready.add(v);
            }
        }
        final int[] order = new int[nodes];
        int count = 0;
        while (!ready.isEmpty())
        {
            final int v = ready.poll();
            order[count++] = v;
            for (final Edge edge : graph.get(v))
            {
                if (--inDegree[edge.to()] == 0)
                {
                    ready.add(edge.to());
                }
            }
        }
        return Arrays.copyOf(order, count);
    }

    /**
     * Every node left out of the topological order has a predecessor that was left out too, so
     * walking predecessors from one of them must come back to a node already walked: a cycle.
     */
    private static String describeCycle(final List<List<Edge>> graph, final int[] order, final List<TxRecord> history)
    {
        final int nodes = graph.size();
        final boolean[] sorted = new boolean[nodes];
        for (final int v : order)
        {
            sorted[v] = true;
        }
        final int[] pred = new int[nodes];
        final Edge[] predEdge = new Edge[nodes];
        Arrays.fill(pred, -1);
        int start = -1;
        for (int u = 0; u < nodes; u++)
        {
            for (final Edge edge : graph.get(u))
            {
                if (!sorted[u] && !sorted[edge.to()] && pred[edge.to()] < 0)
                {
                    pred[edge.to()] = u;
                    predEdge[edge.to()] = edge;
                    start = edge.to();
                }
            }
        }
        final int[] walked = new int[nodes];
        Arrays.fill(walked, -1);
        int v = start;
        for (int step = 0; walked[v] < 0; step++)
        {
            walked[v] = step;
            v = pred[v];
        }
        final List<Integer> cycle = new ArrayList<>();
        int u = v;
        do
        {
            cycle.add(0, u);
            u = pred[u];
        }
        while (u != v);
        final StringBuilder text = new StringBuilder("no serial order: ");
        for (final int w : cycle)
        {
            final int from = pred[w];
            final Edge edge = predEdge[w];
            text.append(nodeName(from, history)).append(" -").append(edge.kind()).append("(object ").append(edge.object())
                .append(" v").append(edge.version()).append(")-> ");
        }
        text.append(nodeName(cycle.get(cycle.size() - 1), history));
        return text.toString();
    }

    private static void replay(final long[][] initial, final List<TxRecord> history, final int[] order,
        final long[][] finalState, final List<Anomaly> anomalies)
    {
        final Serial serial = new Serial(initial);
        for (final int v : order)
        {
            if (v < history.size())
            {
                final Anomaly mismatch = serial.run(history.get(v));
                if (mismatch != null)
                {
                    add(anomalies, mismatch);
                }
            }
        }
        for (int o = 0; o < initial.length; o++)
        {
            if (!Arrays.equals(serial.model[o], finalState[o]))
            {
                add(anomalies, new Anomaly(Kind.FINAL_STATE, "object " + o + " is " + Arrays.toString(finalState[o])
                    + " but the serial replay ends with " + Arrays.toString(serial.model[o])));
            }
        }
    }

    private static void checkLatest(final Map<Long, Version> versions, final long[][] finalState, final List<Anomaly> anomalies)
    {
        for (int o = 0; o < finalState.length; o++)
        {
            long number = finalState[o][Program.COUNTER];
            final Version latest = versions.get(key(o, number));
            if (latest == null || versions.containsKey(key(o, number + 1)) || !Arrays.equals(latest.words(), finalState[o]))
            {
                add(anomalies, new Anomaly(Kind.FINAL_STATE, "object " + o + " is " + Arrays.toString(finalState[o])
                    + ", not the latest committed version"));
            }
        }
    }

    private static long[] recorded(final TxRecord record, final int index, final int object)
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

    private static void add(final List<Anomaly> anomalies, final Anomaly anomaly)
    {
        if (anomalies.size() < MAX_ANOMALIES)
        {
            anomalies.add(anomaly);
        }
    }

    private static long key(final int object, final long number)
    {
        return ((long)object << 40) ^ number;
    }

    private static int node(final int writer, final int n)
    {
        return writer == INIT ? n : writer;
    }

    private static String name(final Observed[] txs, final int writer)
    {
        return writer == INIT ? "the initial state" : txs[writer].record.id();
    }

    private static String nodeName(final int node, final List<TxRecord> history)
    {
        return node == history.size() ? "initial state" : history.get(node).id();
    }

    private static long[][] copy(final long[][] state)
    {
        final long[][] copy = new long[state.length][];
        for (int o = 0; o < state.length; o++)
        {
            copy[o] = state[o].clone();
        }
        return copy;
    }
}
