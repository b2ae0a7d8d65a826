package io.shmtx.refcount;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.pool.Handles;
import io.shmtx.pool.ValidationReport;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

/**
 * Two "processes" (two attachments in this JVM) retain and release shared blocks; one of them is
 * crashed at a chosen step of a chosen operation (the step hook throws, then the attachment is
 * abandoned as a killed process would leave it) and the other recovers it. Invariants after
 * every operation: each count equals the sum of the live holdings, never negative, and a block
 * whose holdings reach zero is freed exactly once.
 */
class RefCountCrashProperties
{
    private static final int OBJECTS = 4;

    /** Thrown by the step hook: a crash, so no cleanup may run after it. */
    static final class Crash extends Error
    {
        private static final long serialVersionUID = 1L;
    }

    record Step(int process, int object, boolean retain)
    {
    }

    @Provide
    Arbitrary<List<Step>> steps()
    {
        return Combinators.combine(Arbitraries.integers().between(0, 1), Arbitraries.integers().between(0, OBJECTS - 1),
            Arbitraries.of(true, false)).as(Step::new).list().ofMinSize(1).ofMaxSize(40);
    }

    @Property(tries = 200)
    void aCrashAtAnyStepLeavesExactCounts(
        @ForAll("steps") final List<Step> steps,
        @ForAll @IntRange(min = 0, max = 39) final int crashAt,
        @ForAll @IntRange(min = RefCounts.STEP_INTENT, max = RefCounts.STEP_UNLOCKED) final int crashStep) throws Exception
    {
        try (TempRegions temp = new TempRegions())
        {
            final Path file = temp.newPath("crash");
            RefFixture.create(file, RefCountConfig.defaults());
            final RefFixture[] procs = {new RefFixture(file), new RefFixture(file)};
            final Map<Long, Integer> zeroCallbacks = new HashMap<>();
            for (final RefFixture p : procs)
            {
                p.refs.onZero(h -> zeroCallbacks.merge(h, 1, Integer::sum));
            }
            try
            {
                final long[] handles = new long[OBJECTS];
                final int[][] held = new int[2][OBJECTS];
                for (int o = 0; o < OBJECTS; o++)
                {
                    handles[o] = procs[1].refs.allocate(32);
                    held[1][o] = 1;
                    procs[0].refs.retain(handles[o]);
                    held[0][o] = 1;
                }
                final boolean[] freed = new boolean[OBJECTS];
                String crashed = "no crash";
                int process0Steps = 0;
                for (int i = 0; i < steps.size(); i++)
                {
                    final Step step = steps.get(i);
                    final int o = step.object();
                    final int total = held[0][o] + held[1][o];
                    if (freed[o] || (!step.retain() && held[step.process()][o] == 0))
                    {
                        continue; // the model only performs valid operations
                    }
                    final RefFixture p = procs[step.process()];
                    final boolean crash = step.process() == 0 && process0Steps++ == crashAt % 8 && crashed.equals("no crash");
                    if (crash)
                    {
                        p.refs.stepHook = n ->
                        {
                            if (n == crashStep)
                            {
                                throw new Crash();
                            }
                        };
                    }
                    try
                    {
                        if (step.retain())
                        {
                            p.refs.retain(handles[o]);
                            held[step.process()][o]++;
                        }
                        else
                        {
                            final boolean zero = p.refs.release(handles[o]);
                            held[step.process()][o]--;
                            assertEquals(total == 1, zero, "release reports the zero");
                        }
                    }
                    catch (final Crash c)
                    {
                        // process 0 dies mid-operation: its holdings are gone, whatever step it reached
                        crashed = "crash at step " + crashStep + (step.retain() ? " of a retain" : " of a release");
                        p.region.abandon();
                        java.util.Arrays.fill(held[0], 0);
                        procs[1].region.recoverDeadSlots();
                        assertTrue(procs[1].region.processes().stream().allMatch(s -> s.slot() == procs[1].region.slot()),
                            "the crashed process was recovered: " + procs[1].region.processes());
                        procs[0] = new RefFixture(file);
                        procs[0].refs.onZero(h -> zeroCallbacks.merge(h, 1, Integer::sum));
                    }
                    for (int k = 0; k < OBJECTS; k++)
                    {
                        final int live = held[0][k] + held[1][k];
                        final long h = handles[k];
                        if (live > 0)
                        {
                            assertEquals(live, procs[1].refs.count(h), "count of object " + k + " after step " + i);
                            assertTrue(procs[1].pool.isLive(h));
                            assertEquals(held[1][k], procs[1].refs.held(h));
                        }
                        else
                        {
                            assertFalse(procs[1].pool.isLive(h), "object " + k + " freed when its holdings reached zero");
                            assertEquals(1, zeroCallbacks.getOrDefault(h, 0), "object " + k + " zero callback exactly once");
                            freed[k] = true;
                        }
                    }
                }
                Statistics.collect(crashed);
                final ValidationReport report = procs[1].pool.validate();
                assertTrue(report.valid(), report.problems().toString());
                assertTrue(procs[1].refs.orphanReport().isEmpty(), () -> "orphans: " + procs[1].refs.orphanReport().stream()
                    .map(Handles::toString).toList());
            }
            finally
            {
                procs[0].close();
                procs[1].close();
            }
        }
    }
}
