package io.shmtx.deadlock;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

/**
 * A deterministic simulator: one thread steps many transactions over random lock sets, in an
 * order chosen by a seeded scheduler, through the real lock table in a region. Checked at every
 * step: no deadlock (the wait-for graph stays acyclic), each policy's direction of waits, the
 * oldest live transaction is never aborted, the waiter count of the entry stepped on equals the
 * cells marked as waiting for it, and every transaction commits in the end (no count left).
 */
class LockSimulatorProperties
{
    private static final int KEYS = 6;
    private static final int MAX_STEPS = 20_000;

    record Outcome(int steps, int aborts, int waits)
    {
    }

    private static Outcome simulate(final LockPolicy policy, final long seed, final int count) throws Exception
    {
        try (TempRegions temp = new TempRegions())
        {
            final Path file = temp.newPath("sim");
            LockFixture.create(file, LockManagerConfig.builder().locks(64).transactionsPerProcess(16).policy(policy)
                .maxWait(Duration.ofMinutes(1)).build());
            try (LockFixture f = new LockFixture(file))
            {
                final SplittableRandom random = new SplittableRandom(seed);
                final List<Txn> txns = new ArrayList<>();
                final List<long[]> plans = new ArrayList<>(); // key << 1 | exclusive
                final int[] position = new int[count];
                final boolean[] done = new boolean[count];
                for (int t = 0; t < count; t++)
                {
                    txns.add(f.locks.begin());
                    final long[] plan = new long[1 + random.nextInt(4)];
                    for (int i = 0; i < plan.length; i++)
                    {
                        plan[i] = ((long)random.nextInt(KEYS) << 1) | (random.nextInt(3) == 0 ? 0 : 1);
                    }
                    plans.add(plan);
                }
                int aborts = 0;
                int waits = 0;
                int steps = 0;
                try
                {
                    while (steps < MAX_STEPS)
                    {
                        int unfinished = 0;
                        int oldest = -1;
                        for (int t = 0; t < count; t++)
                        {
                            if (!done[t])
                            {
                                unfinished++;
                                if (oldest < 0 || txns.get(t).timestamp() < txns.get(oldest).timestamp())
                                {
                                    oldest = t;
                                }
                            }
                        }
                        if (unfinished == 0)
                        {
                            break;
                        }
                        int next = random.nextInt(count);
                        while (done[next])
                        {
                            next = (next + 1) % count;
                        }
                        final int t = next;
                        steps++;
                        final Txn txn = txns.get(t);
                        if (position[t] == plans.get(t).length)
                        {
                            try
                            {
                                txn.commit();
                                done[t] = true;
                            }
                            catch (final TxAbortedException ex)
                            {
                                assertNotEquals(oldest, t, "the oldest live transaction was aborted at commit");
                                aborts++;
                                txn.restart();
                                position[t] = 0;
                            }
                            continue;
                        }
                        final long step = plans.get(t)[position[t]];
                        final Decision decision = txn.tryLock(step >> 1, (step & 1) == 1 ? LockMode.EXCLUSIVE : LockMode.SHARED);
                        if (decision == Decision.GRANTED)
                        {
                            position[t]++;
                        }
                        else if (decision == Decision.WAIT)
                        {
                            waits++;
                        }
                        else
                        {
                            assertNotEquals(oldest, t, "the oldest live transaction was aborted (" + policy + ")");
                            aborts++;
                            txn.restart();
                            position[t] = 0;
                        }
                        final int entry = f.locks.lockIndex(step >> 1);
                        assertEquals(f.markedWaiters(entry), f.waiterCount(entry), "waiter count of entry " + entry
                            + " = its marked waiters (one thread, no crash: nothing in flight)");
                        final Map<Integer, List<Integer>> graph = f.locks.waitForGraph();
                        if (policy == LockPolicy.DETECT)
                        {
                            if (hasCycle(graph))
                            {
                                assertTrue(f.locks.detectDeadlocks() > 0, "DETECT found the cycle in " + graph);
                            }
                            continue;
                        }
                        if (decision == Decision.WAIT)
                        {
                            // the decision just taken follows the policy's direction
                            for (final int holder : graph.getOrDefault(txn.cell(), List.of()))
                            {
                                assertTrue(allowed(f, policy, txn.cell(), holder), () -> policy + ": txn " + t + " (cell " + txn.cell()
                                    + ") waits for cell " + holder + " on key " + (step >> 1) + " state of holder "
                                    + Long.toHexString(f.locks.buffer().getLongVolatile(f.locks.cellOffset(holder) + LockTableDescriptor.CELL_STATE))
                                    + " held by waiter " + txn.held() + " entry owner " + Long.toHexString(f.locks.buffer().getLong(
                                    f.locks.entryOffset(f.locks.lockIndex(step >> 1)))) + " readers " + Long.toHexString(f.locks.buffer().getLong(
                                    f.locks.entryOffset(f.locks.lockIndex(step >> 1)) + 16)));
                            }
                        }
                        // a registered wait can go stale (a holder changed since the waiter decided); such a
                        // waiter aborts (or wounds) at its next step: checked by every transaction committing below
                    }
                    for (int t = 0; t < count; t++)
                    {
                        if (!done[t])
                        {
                            final StringBuilder state = new StringBuilder();
                            for (int u = 0; u < count; u++)
                            {
                                final Txn x = txns.get(u);
                                final long step = position[u] < plans.get(u).length ? plans.get(u)[position[u]] : -1;
                                state.append("\n t").append(u).append(" cell ").append(x.cell()).append(" ts ").append(x.timestamp())
                                    .append(done[u] ? " done" : " next key " + (step >> 1) + ((step & 1) == 1 ? "X" : "S"))
                                    .append(" held ").append(x.held()).append(" lockIndex ")
                                    .append(step < 0 ? -1 : f.locks.lockIndex(step >> 1))
                                    .append(" tryLock ").append(step < 0 || done[u] ? "-" : x.tryLock(step >> 1, (step & 1) == 1 ? LockMode.EXCLUSIVE : LockMode.SHARED));
                            }
                            fail("transaction " + t + " did not commit within " + MAX_STEPS + " steps (starvation):" + state
                                + "\n graph " + f.locks.waitForGraph());
                        }
                    }
                    assertTrue(f.locks.locksHeldPerSlot().isEmpty());
                    assertEquals(0, f.totalWaiterCount(), "every wait withdrawn");
                    return new Outcome(steps, aborts, waits);
                }
                finally
                {
                    txns.forEach(Txn::close);
                }
            }
        }
    }

    private static boolean allowed(final LockFixture f, final LockPolicy policy, final int waiter, final int holder)
    {
        return policy == LockPolicy.WAIT_DIE ? f.locks.olderThan(waiter, holder)
            : f.locks.olderThan(holder, waiter) || isWounded(f, holder);
    }

    private static boolean isWounded(final LockFixture f, final int cell)
    {
        return LockTableDescriptor.wounded(f.locks.buffer().getLongVolatile(f.locks.cellOffset(cell) + LockTableDescriptor.CELL_STATE));
    }

    static boolean hasCycle(final Map<Integer, List<Integer>> graph)
    {
        final Map<Integer, Integer> color = new java.util.HashMap<>();
        for (final int start : graph.keySet())
        {
            if (dfs(graph, start, color))
            {
                return true;
            }
        }
        return false;
    }

    private static boolean dfs(final Map<Integer, List<Integer>> graph, final int node, final Map<Integer, Integer> color)
    {
        final int c = color.getOrDefault(node, 0);
        if (c == 1)
        {
            return true;
        }
        if (c == 2)
        {
            return false;
        }
        color.put(node, 1);
        for (final int next : graph.getOrDefault(node, List.of()))
        {
            if (dfs(graph, next, color))
            {
                return true;
            }
        }
        color.put(node, 2);
        return false;
    }

    @Property(tries = 80)
    void waitDieNeverDeadlocks(@ForAll final long seed, @ForAll @IntRange(min = 2, max = 8) final int count) throws Exception
    {
        final Outcome outcome = simulate(LockPolicy.WAIT_DIE, seed, count);
        Statistics.label("aborts").collect(outcome.aborts() == 0 ? "none" : "some");
    }

    @Property(tries = 80)
    void woundWaitNeverDeadlocks(@ForAll final long seed, @ForAll @IntRange(min = 2, max = 8) final int count) throws Exception
    {
        final Outcome outcome = simulate(LockPolicy.WOUND_WAIT, seed, count);
        Statistics.label("aborts").collect(outcome.aborts() == 0 ? "none" : "some");
    }

    @Property(tries = 80)
    void detectBreaksEveryCycle(@ForAll final long seed, @ForAll @IntRange(min = 2, max = 8) final int count) throws Exception
    {
        final Outcome outcome = simulate(LockPolicy.DETECT, seed, count);
        Statistics.label("aborts").collect(outcome.aborts() == 0 ? "none" : "some");
    }
}
