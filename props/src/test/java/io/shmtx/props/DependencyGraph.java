package io.shmtx.props;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;

/**
 * A directed graph over nodes {@code 0 .. nodes - 1} whose edges carry a label (the dependency
 * and the object version behind it), with a topological order and, when there is none, one
 * cycle spelled out.
 *
 * <p>Not threadsafe: built and read by one checker.
 */
final class DependencyGraph
{
    /**
     * An edge.
     *
     * @param to      target node.
     * @param kind    what the dependency is (ww, wr, rw, ...).
     * @param object  the object it is about, or -1.
     * @param version the version of it, when {@code object >= 0}.
     */
    private record Edge(int to, String kind, int object, long version)
    {
        String label()
        {
            return object < 0 ? kind : kind + "(object " + object + " v" + version + ")";
        }
    }

    private final List<List<Edge>> out;

    /**
     * A graph without edges.
     *
     * @param nodes how many nodes.
     */
    DependencyGraph(final int nodes)
    {
        out = new ArrayList<>(nodes);
        for (int v = 0; v < nodes; v++)
        {
            out.add(new ArrayList<>());
        }
    }

    /**
     * Adds an edge about one version of one object.
     *
     * @param from    source.
     * @param to      target.
     * @param kind    the dependency.
     * @param object  the object.
     * @param version its version.
     */
    void add(final int from, final int to, final String kind, final int object, final long version)
    {
        out.get(from).add(new Edge(to, kind, object, version));
    }

    /**
     * Adds an edge about no object (an order between transactions).
     *
     * @param from source.
     * @param to   target.
     * @param kind the dependency.
     */
    void add(final int from, final int to, final String kind)
    {
        add(from, to, kind, -1, 0);
    }

    /**
     * Kahn's algorithm.
     *
     * @return the nodes in an order that puts every edge forward; shorter than the node count
     *         when there is a cycle.
     */
    int[] topologicalOrder()
    {
        final int nodes = out.size();
        final int[] inDegree = new int[nodes];
        for (final List<Edge> edges : out)
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
            for (final Edge edge : out.get(v))
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
     * One cycle, as {@code a -kind(object o vN)-> b -...-> a}. Every node left out of the
     * topological order has a predecessor that was left out too, so walking predecessors from
     * one of them must come back to a node already walked.
     *
     * @param order what {@link #topologicalOrder()} returned, shorter than the node count.
     * @param names a node's name.
     * @return the cycle.
     */
    String describeCycle(final int[] order, final IntFunction<String> names)
    {
        final int nodes = out.size();
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
            for (final Edge edge : out.get(u))
            {
                if (!sorted[u] && !sorted[edge.to()] && pred[edge.to()] < 0)
                {
                    pred[edge.to()] = u;
                    predEdge[edge.to()] = edge;
                    start = edge.to();
                }
            }
        }
        final boolean[] walked = new boolean[nodes];
        int v = start;
        while (!walked[v])
        {
            walked[v] = true;
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
        final StringBuilder text = new StringBuilder();
        for (final int w : cycle)
        {
            text.append(names.apply(pred[w])).append(" -").append(predEdge[w].label()).append("-> ");
        }
        return text.append(names.apply(cycle.get(cycle.size() - 1))).toString();
    }
}
