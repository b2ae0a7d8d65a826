package io.shmtx.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Store buffering (Dekker) with plain fields: each actor stores 1 to its own field, then loads
 * the other's (r1 = y seen by the first, r2 = x seen by the second).
 *
 * <p>A store may wait in the store buffer while the next load is served, even on x86-64 (TSO
 * allows store-load reordering), so both actors may read 0. Only a full fence forbids it: see
 * {@link Barriers_05_StoreBufferingFullFence}.
 */
@JCStressTest
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "The first actor ran entirely before the second.")
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "The second actor ran entirely before the first.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "The actors interleaved.")
@Outcome(id = "0, 0", expect = ACCEPTABLE_INTERESTING,
    desc = "Both stores were still buffered when the loads ran: store-load reordering.")
@State
public class Barriers_04_StoreBufferingPlain
{
    int x;
    int y;

    /**
     * Stores x, loads y.
     *
     * @param r r1 = y.
     */
    @Actor
    public void actor1(final II_Result r)
    {
        x = 1;
        r.r1 = y;
    }

    /**
     * Stores y, loads x.
     *
     * @param r r2 = x.
     */
    @Actor
    public void actor2(final II_Result r)
    {
        y = 1;
        r.r2 = x;
    }
}
