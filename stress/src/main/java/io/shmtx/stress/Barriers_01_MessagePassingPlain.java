package io.shmtx.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Message passing with plain fields and no barrier: the writer sets {@code data} then
 * {@code flag}, the reader reads {@code flag} then {@code data} (r1 = flag, r2 = data).
 *
 * <p>Nothing orders the two stores or the two loads, so the reader may see the flag without the
 * data. On x86-64 (TSO) the hardware keeps both orders and only the JIT reorders; on AArch64 the
 * hardware does too. The ordered twins of this test, {@link Barriers_02_MessagePassingFences}
 * and {@link Barriers_03_MessagePassingReleaseAcquire}, forbid the outcome.
 */
@JCStressTest
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "The reader ran before the writer.")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "The reader saw the data, not yet the flag.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "The reader ran after the writer.")
@Outcome(id = "1, 0", expect = ACCEPTABLE_INTERESTING,
    desc = "Flag seen, data not: plain accesses reordered (by the JIT, or the CPU on AArch64).")
@State
public class Barriers_01_MessagePassingPlain
{
    int data;
    int flag;

    /** Publishes the data, then raises the flag, both plain. */
    @Actor
    public void writer()
    {
        data = 1;
        flag = 1;
    }

    /**
     * Reads the flag, then the data, both plain.
     *
     * @param r r1 = flag, r2 = data.
     */
    @Actor
    public void reader(final II_Result r)
    {
        r.r1 = flag;
        r.r2 = data;
    }
}
