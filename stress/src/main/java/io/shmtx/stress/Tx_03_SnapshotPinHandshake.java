package io.shmtx.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.agrona.concurrent.AtomicBuffer;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJ_Result;

/**
 * The CAUSAL snapshot handshake, reduced to its two words in a mapped file: a reader publishes
 * its pin (a volatile store) and then reads the clock; a committer advances the clock (get and
 * add) and then scans the pins. At least one of them must see the other's write: if the scan
 * misses the pin, the reader's clock read must see the advance (its snapshot then includes the
 * commit). Both missing would let a commit overwrite a value a snapshot still needs.
 */
@JCStressTest
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "The reader read the clock first: the committer saw its pin.")
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "The committer scanned first: the reader saw the advanced clock.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Both saw each other's write.")
@Outcome(id = "0, 0", expect = FORBIDDEN, desc = "Neither saw the other's write: store-load order was lost.")
@State
public class Tx_03_SnapshotPinHandshake
{
    private final AtomicBuffer buffer = Slots.mapped().buffer();
    private final int clock = Slots.mapped().claim();
    private final int pin = Slots.mapped().claim();

    /**
     * Pins, then reads the clock.
     *
     * @param r r1 = the clock seen.
     */
    @Actor
    public void reader(final JJ_Result r)
    {
        buffer.putLongVolatile(pin, 1);
        r.r1 = buffer.getLongVolatile(clock);
    }

    /**
     * Advances the clock, then reads the pin.
     *
     * @param r r2 = the pin seen.
     */
    @Actor
    public void committer(final JJ_Result r)
    {
        buffer.getAndAddLong(clock, 1);
        r.r2 = buffer.getLongVolatile(pin);
    }
}
