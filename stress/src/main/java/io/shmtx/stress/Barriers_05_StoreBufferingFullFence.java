package io.shmtx.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.shmtx.barriers.Barriers;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Store buffering (Dekker) with plain fields and {@link Barriers#full()} between each actor's
 * store and load (r1 = y seen by the first, r2 = x seen by the second).
 *
 * <p>The full fence drains the store before the load, so at least one actor sees the other's
 * store. Same accesses as {@link Barriers_04_StoreBufferingPlain}, where (0, 0) is seen;
 * acquire/release fences would not forbid it.
 */
@JCStressTest
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "The first actor ran entirely before the second.")
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "The second actor ran entirely before the first.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "The actors interleaved.")
@Outcome(id = "0, 0", expect = FORBIDDEN,
    desc = "Neither actor saw the other's store: the full fence failed to order store before load.")
@State
public class Barriers_05_StoreBufferingFullFence
{
    int x;
    int y;

    /**
     * Stores x, full fence, loads y.
     *
     * @param r r1 = y.
     */
    @Actor
    public void actor1(final II_Result r)
    {
        x = 1;
        Barriers.full();
        r.r1 = y;
    }

    /**
     * Stores y, full fence, loads x.
     *
     * @param r r2 = x.
     */
    @Actor
    public void actor2(final II_Result r)
    {
        y = 1;
        Barriers.full();
        r.r2 = x;
    }
}
