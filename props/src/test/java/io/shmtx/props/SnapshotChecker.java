package io.shmtx.props;

import io.shmtx.props.Anomaly.Kind;
import io.shmtx.props.Observations.Observed;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Checks CAUSAL's promise on a history of committed transactions: every transaction read one
 * snapshot of the committed state, a cut of a single commit order that holds each committed
 * transaction wholly or not at all and, with a transaction, every one committed before it; no
 * update was lost; a transaction that only reads never aborted; the memory left is what the
 * writers wrote in that order.
 *
 * <p>This class is threadsafe: {@link #check} keeps its state on its own stack.
 *
 * <h2>How</h2>
 * After the steps of {@link Observations} (the version each transaction read and wrote of each
 * object, from the objects' write counters; lost updates, uncommitted, torn and non-repeatable
 * reads), each transaction T gets two nodes in a graph: its snapshot s(T), and, if it wrote,
 * its commit c(T); the initial state is one more commit. An edge says "comes first in the
 * commit order" (for s(T): every commit before it is in T's snapshot, every commit after it is
 * not):
 * <ul>
 *   <li>ww: c(writer of version k) to c(writer of k + 1) of each object;</li>
 *   <li>wr: c(writer of the version T read) to s(T): T's snapshot holds it;</li>
 *   <li>rw: s(T) to c(writer of the version after the one T read): T's snapshot does not;</li>
 *   <li>own commit: s(T) to c(T);</li>
 *   <li>session: for T then U of one thread or process, s(T) to s(U) and c(T) to s(U) (a
 *       snapshot holds what its session committed and saw before);</li>
 *   <li>real time: the same edges when T's commit returned before U began, in any two streams
 *       (only from the latest such T of each other stream: the earlier ones follow by session
 *       edges).</li>
 * </ul>
 * A topological order is a commit order with every snapshot placed in it: the snapshot of T
 * holds the commits before s(T), among them the writer of every version T read (wr) and none of
 * the later writers of those objects (rw, then ww), so T read, of each object, the last version
 * that cut holds; the cut is a prefix of the commit order, so it holds every commit before any
 * commit it holds. Conversely CAUSAL's own timestamps (snapshot S, commit timestamp C, a snapshot
 * holding the commits with C &le; S) order every edge: ww and wr because a writer's snapshot
 * holds what it read and overwrote, rw because a version newer than the one read came after S,
 * own commit because S &lt; C, session and real time because a snapshot is taken from the clock
 * after every commit that returned before. So a cycle is a history no snapshots explain
 * (NOT_A_SNAPSHOT, printed: a fractured read is a wr and an rw edge through one commit; a stale
 * read a real-time and an rw edge). Then, with no anomaly so far, the writes are replayed in the
 * topological order, each snapshot's reads compared with the replay (REPLAY, a self-check) and the
 * end state with the memory (FINAL_STATE); otherwise the memory is compared with each object's
 * latest version. A lost update, two committed writers of an object that read one version of
 * it (which first committer wins forbids), is flagged by step 2 of {@link Observations}.
 *
 * <p>What it cannot see: the commit order it finds is one that explains the history, not
 * necessarily CAUSAL's timestamp order; two commits that no read, session or real-time order
 * relates may be placed either way (a snapshot holding the later of two unrelated commits but
 * not the earlier passes).
 */
final class SnapshotChecker
{
    private SnapshotChecker()
    {
    }

    /**
     * Checks a history.
     *
     * @param initial    each object's words before the history (counter 0).
     * @param streams    the committed transactions of each thread or process, in the order it ran them.
     * @param finalState each object's words after every transaction ended.
     * @return the anomalies found, at most {@value Anomaly#MAX}; empty when every transaction
     *         read one snapshot of one commit order and the memory is what that order leaves.
     */
    static List<Anomaly> check(final long[][] initial, final List<List<TxRecord>> streams, final long[][] finalState)
    {
        final List<TxRecord> history = new ArrayList<>();
        streams.forEach(history::addAll);
        final List<Anomaly> anomalies = new ArrayList<>();
        for (final TxRecord record : history)
        {
            if (record.program().readOnly() && record.attempts() > 1)
            {
                Anomaly.add(anomalies, new Anomaly(Kind.READ_ONLY_ABORTED, record.id() + " only reads but took "
                    + record.attempts() + " attempts"));
            }
        }
        final Observations observations = new Observations(initial, history, anomalies);
        final int n = history.size();
        final DependencyGraph graph = new DependencyGraph(2 * n + 1);
        versionEdges(observations, graph);
        sessionEdges(observations, streams, graph);
        final int[] order = graph.topologicalOrder();
        if (order.length < 2 * n + 1)
        {
            Anomaly.add(anomalies, new Anomaly(Kind.NOT_A_SNAPSHOT, "no commit order holds every snapshot: "
                + graph.describeCycle(order, v -> name(v, history))));
        }
        if (anomalies.isEmpty())
        {
            replay(initial, observations, order, finalState, anomalies);
        }
        else
        {
            observations.checkLatest(finalState);
        }
        return anomalies;
    }

    private static void versionEdges(final Observations observations, final DependencyGraph graph)
    {
        final int n = observations.size();
        observations.dependencies(graph, writer -> commit(writer, n), SnapshotChecker::snapshot);
        for (int t = 0; t < n; t++)
        {
            final Observed tx = observations.tx(t);
            if (tx != null && tx.writer())
            {
                graph.add(snapshot(t), commit(t, n), "own commit");
            }
        }
    }

    private static void sessionEdges(final Observations observations, final List<List<TxRecord>> streams,
        final DependencyGraph graph)
    {
        final int[] base = new int[streams.size()];
        for (int s = 1; s < base.length; s++)
        {
            base[s] = base[s - 1] + streams.get(s - 1).size();
        }
        for (int s = 0; s < base.length; s++)
        {
            final List<TxRecord> stream = streams.get(s);
            for (int i = 0; i < stream.size(); i++)
            {
                final int u = base[s] + i;
                if (i > 0)
                {
                    before(observations, base[s] + i - 1, u, "session", graph);
                }
                for (int r = 0; r < base.length; r++)
                {
                    final int latest = r == s ? -1 : endedBefore(streams.get(r), stream.get(i).begin());
                    if (latest >= 0)
                    {
                        before(observations, base[r] + latest, u, "real time", graph);
                    }
                }
            }
        }
    }

    /** T's snapshot and commit come before U's snapshot. */
    private static void before(final Observations observations, final int t, final int u, final String kind,
        final DependencyGraph graph)
    {
        graph.add(snapshot(t), snapshot(u), kind);
        final Observed tx = observations.tx(t);
        if (tx != null && tx.writer())
        {
            graph.add(commit(t, observations.size()), snapshot(u), kind);
        }
    }

    /** The last transaction of {@code stream} (ends ascending) whose end is below {@code time}, or -1. */
    private static int endedBefore(final List<TxRecord> stream, final long time)
    {
        int low = 0;
        int high = stream.size() - 1;
        int found = -1;
        while (low <= high)
        {
            final int mid = (low + high) >>> 1;
            if (stream.get(mid).end() < time)
            {
                found = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }
        return found;
    }

    private static void replay(final long[][] initial, final Observations observations, final int[] order,
        final long[][] finalState, final List<Anomaly> anomalies)
    {
        final long[][] model = Observations.copy(initial);
        final int n = observations.size();
        for (final int v : order)
        {
            if (v == 2 * n)
            {
                continue;
            }
            final Observed tx = observations.tx(v / 2);
            for (int o = 0; o < model.length; o++)
            {
                if (v % 2 == 1 && tx.wrote(o))
                {
                    model[o] = tx.last(o).clone();
                }
                else if (v % 2 == 0 && tx.first(o) != null && !Arrays.equals(tx.first(o), model[o]))
                {
                    Anomaly.add(anomalies, new Anomaly(Kind.REPLAY, tx.record().id() + " read object " + o + " as "
                        + Arrays.toString(tx.first(o)) + " but at its snapshot in the commit order it is "
                        + Arrays.toString(model[o])));
                }
            }
        }
        observations.compareFinal(model, finalState, "the commit order");
    }

    private static int snapshot(final int t)
    {
        return 2 * t;
    }

    private static int commit(final int writer, final int n)
    {
        return writer == Observations.INIT ? 2 * n : 2 * writer + 1;
    }

    private static String name(final int node, final List<TxRecord> history)
    {
        if (node == 2 * history.size())
        {
            return "initial state";
        }
        return (node % 2 == 0 ? "snapshot of " : "commit of ") + history.get(node / 2).id();
    }
}
