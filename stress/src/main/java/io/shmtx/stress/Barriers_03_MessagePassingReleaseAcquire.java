package io.shmtx.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.shmtx.barriers.OrderedAccess;
import io.shmtx.barriers.Ordering;
import org.agrona.concurrent.AtomicBuffer;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJ_Result;

/**
 * Message passing through {@link OrderedAccess} on an Agrona {@code UnsafeBuffer} over direct
 * memory: the data word is written and read plain, the flag word with
 * {@link Ordering#RELEASE_ACQUIRE} (a release store, an acquire load); r1 = flag, r2 = data.
 *
 * <p>The release store of the flag pairs with the acquire load that reads it, so the reader that
 * sees the flag sees the data. Each state owns one 64-byte slot of a JVM-wide region
 * ({@link Slots#direct()}): data at +0, flag at +8.
 *
 * <p>On x86-64 this test cannot show a missing barrier: with both words read and written plain
 * it still never saw (1, 0) in a quick run on JDK 17: the CPU is TSO, and C2 most likely keeps
 * {@code Unsafe} accesses to off-heap memory in program order (CPU-order barriers around them). It guards the ordering on weaker hardware
 * (AArch64) and against a regression in {@link OrderedAccess}; {@link Barriers_02_MessagePassingFences}
 * is the one whose plain twin shows the reordering on x86-64.
 */
@JCStressTest
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "The reader ran before the writer.")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "The reader saw the data, not yet the flag.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "The reader ran after the writer.")
@Outcome(id = "1, 0", expect = FORBIDDEN,
    desc = "Flag seen, data not: the release store / acquire load pair failed to order the data.")
@State
public class Barriers_03_MessagePassingReleaseAcquire
{
    private final AtomicBuffer buffer = Slots.direct().buffer();
    private final int dataOffset = Slots.direct().claim();
    private final int flagOffset = dataOffset + Long.BYTES;

    /** Publishes the data plainly, then raises the flag with a release store. */
    @Actor
    public void writer()
    {
        OrderedAccess.putLong(buffer, dataOffset, 1L, Ordering.PLAIN);
        OrderedAccess.putLong(buffer, flagOffset, 1L, Ordering.RELEASE_ACQUIRE);
    }

    /**
     * Reads the flag with an acquire load, then the data plainly.
     *
     * @param r r1 = flag, r2 = data.
     */
    @Actor
    public void reader(final JJ_Result r)
    {
        r.r1 = OrderedAccess.getLong(buffer, flagOffset, Ordering.RELEASE_ACQUIRE);
        r.r2 = OrderedAccess.getLong(buffer, dataOffset, Ordering.PLAIN);
    }
}
