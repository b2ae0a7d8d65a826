package io.shmtx.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.shmtx.barriers.OrderedAccess;
import io.shmtx.barriers.Ordering;
import org.agrona.concurrent.AtomicBuffer;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.J_Result;

/**
 * A counter word in a memory-mapped file, incremented once by each of two actors: one with a
 * {@link OrderedAccess#compareAndSetLong} retry loop, one with {@link OrderedAccess#getAndAddLong};
 * the arbiter reads the final count (r1).
 *
 * <p>Both are atomic read-modify-writes, so neither increment can be lost: the count is 2. Each
 * state owns one 64-byte slot of a file mapped from {@code /dev/shm} ({@link Slots#mapped()}),
 * the kind of memory shmtx shares between processes.
 */
@JCStressTest
@Outcome(id = "2", expect = ACCEPTABLE, desc = "Both increments landed.")
@Outcome(id = "1", expect = FORBIDDEN, desc = "Lost update: one increment overwrote the other.")
@Outcome(expect = FORBIDDEN, desc = "Any other count: the word was torn, shared or not zeroed.")
@State
public class Barriers_06_CasCounterMappedFile
{
    private final AtomicBuffer buffer = Slots.mapped().buffer();
    private final int counterOffset = Slots.mapped().claim();

    /** Increments with a compare-and-set retry loop. */
    @Actor
    public void compareAndSetLoop()
    {
        long seen;
        do
        {
            // Opaque keeps the load fresh on every retry; the compare-and-set validates it.
            seen = OrderedAccess.getLong(buffer, counterOffset, Ordering.OPAQUE);
        }
        while (!OrderedAccess.compareAndSetLong(buffer, counterOffset, seen, seen + 1, Ordering.VOLATILE));
    }

    /** Increments with one get-and-add. */
    @Actor
    public void getAndAdd()
    {
        OrderedAccess.getAndAddLong(buffer, counterOffset, 1L, Ordering.VOLATILE);
    }

    /**
     * Reads the count once both actors are done.
     *
     * @param r r1 = the count.
     */
    @Arbiter
    public void count(final J_Result r)
    {
        r.r1 = OrderedAccess.getLong(buffer, counterOffset, Ordering.VOLATILE);
    }
}
