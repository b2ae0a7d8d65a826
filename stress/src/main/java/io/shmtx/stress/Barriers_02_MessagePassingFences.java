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
 * Message passing with plain fields ordered by fences: {@link Barriers#release()} between the
 * writer's two stores, {@link Barriers#acquire()} between the reader's two loads
 * (r1 = flag, r2 = data).
 *
 * <p>The release fence keeps the data store before the flag store, the acquire fence keeps the
 * flag load before the data load; the reader that sees the flag therefore sees the data. Same
 * accesses as {@link Barriers_01_MessagePassingPlain}, where (1, 0) is seen.
 */
@JCStressTest
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "The reader ran before the writer.")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "The reader saw the data, not yet the flag.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "The reader ran after the writer.")
@Outcome(id = "1, 0", expect = FORBIDDEN,
    desc = "Flag seen, data not: the release/acquire fence pair failed to order the plain accesses.")
@State
public class Barriers_02_MessagePassingFences
{
    int data;
    int flag;

    /** Publishes the data, release fence, raises the flag. */
    @Actor
    public void writer()
    {
        data = 1;
        Barriers.release();
        flag = 1;
    }

    /**
     * Reads the flag, acquire fence, reads the data.
     *
     * @param r r1 = flag, r2 = data.
     */
    @Actor
    public void reader(final II_Result r)
    {
        r.r1 = flag;
        Barriers.acquire();
        r.r2 = data;
    }
}
