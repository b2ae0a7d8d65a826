package io.shmtx.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.shmtx.consistency.ConsistencyDescriptor;
import io.shmtx.consistency.SharedMemory;
import io.shmtx.consistency.TxFunction;
import io.shmtx.consistency.TxRunnable;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * Commit publication of a RELEASE transaction: its writes to several objects appear all at
 * once. Two objects A and B, each a long 0; a writer transaction sets both to 1 and commits; a
 * read-only transaction reads both. A reader that sees the new version of A sees B's write too,
 * and the other way round.
 *
 * <p>Why it holds: the writer locks A and B, takes its commit timestamp from the region clock,
 * applies both, then stores each new version word (release). A reader whose snapshot is older
 * than the commit timestamp refuses a new version it meets (it moves its snapshot only after
 * checking that what it read so far is unchanged, else aborts and runs again); one whose
 * snapshot is newer meets the other object locked or already published. Either way it cannot
 * return A new with B old.
 *
 * <p>Outcome (r1, r2, r3): r1 = A and r2 = B as the reader returned them ({@link #ERROR} when a
 * transaction threw); r3 = 1 when the arbiter then finds A = B = 1 with unlocked version words,
 * else 0.
 */
public final class Tx_02_CommitPublication
{
    /** A transaction threw (retry limit, a corrupt object): never expected. */
    static final int ERROR = 9;

    private Tx_02_CommitPublication()
    {
    }

    /** The reader reads A, then B. */
    @JCStressTest
    @Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "The reader ran before the commit: both old.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "The reader ran after the commit: both new.")
    @Outcome(id = {"1, 0, .*", "0, 1, .*"}, expect = FORBIDDEN,
        desc = "Fractured read: one object's new version without the other's, written by the same transaction.")
    @Outcome(id = ".*, 0", expect = FORBIDDEN, desc = "After both, A and B are not both 1, or one is still locked.")
    @Outcome(expect = FORBIDDEN, desc = "Anything else: a transaction threw (9).")
    @State
    public static class ReadAThenB extends Fixture
    {
        /** Writes A = B = 1 and commits. */
        @Actor
        public void writer()
        {
            commit();
        }

        /**
         * Reads A, then B.
         *
         * @param r r1 = A, r2 = B.
         */
        @Actor
        public void reader(final III_Result r)
        {
            read(r, readAThenB);
        }

        /**
         * Checks the committed state.
         *
         * @param r r3.
         */
        @Arbiter
        public void arbiter(final III_Result r)
        {
            r.r3 = committed();
        }
    }

    /** The reader reads B, then A (the writer writes A first: the other order of meeting its versions). */
    @JCStressTest
    @Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "The reader ran before the commit: both old.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "The reader ran after the commit: both new.")
    @Outcome(id = {"1, 0, .*", "0, 1, .*"}, expect = FORBIDDEN,
        desc = "Fractured read: one object's new version without the other's, written by the same transaction.")
    @Outcome(id = ".*, 0", expect = FORBIDDEN, desc = "After both, A and B are not both 1, or one is still locked.")
    @Outcome(expect = FORBIDDEN, desc = "Anything else: a transaction threw (9).")
    @State
    public static class ReadBThenA extends Fixture
    {
        /** Writes A = B = 1 and commits. */
        @Actor
        public void writer()
        {
            commit();
        }

        /**
         * Reads B, then A.
         *
         * @param r r1 = A, r2 = B.
         */
        @Actor
        public void reader(final III_Result r)
        {
            read(r, readBThenA);
        }

        /**
         * Checks the committed state.
         *
         * @param r r3.
         */
        @Arbiter
        public void arbiter(final III_Result r)
        {
            r.r3 = committed();
        }
    }

    /** Two objects of the JVM-wide shared memory, zeroed, and the transaction bodies, built once per state. */
    abstract static class Fixture
    {
        final SharedMemory shm = SharedTx.shm();
        final long a = SharedTx.nextObject();
        final long b = SharedTx.nextObject();
        final TxRunnable write = tx ->
        {
            tx.putLong(a, 0, 1);
            tx.putLong(b, 0, 1);
        };
        final TxFunction<long[]> readAThenB = tx ->
        {
            final long valueA = tx.getLong(a, 0);
            return new long[] {valueA, tx.getLong(b, 0)};
        };
        final TxFunction<long[]> readBThenA = tx ->
        {
            final long valueB = tx.getLong(b, 0);
            return new long[] {tx.getLong(a, 0), valueB};
        };

        Fixture()
        {
            SharedTx.zero(a, b);
        }

        void commit()
        {
            shm.transact(write);
        }

        void read(final III_Result r, final TxFunction<long[]> body)
        {
            try
            {
                final long[] ab = shm.readOnly(body);
                r.r1 = (int)ab[0];
                r.r2 = (int)ab[1];
            }
            catch (final RuntimeException ex)
            {
                r.r1 = ERROR;
                r.r2 = ERROR;
            }
        }

        /** 1 when A = B = 1 and both version words are unlocked. */
        int committed()
        {
            final long[] ab = shm.readOnly(readAThenB);
            final boolean unlocked = !ConsistencyDescriptor.isLocked(shm.versionWord(a))
                && !ConsistencyDescriptor.isLocked(shm.versionWord(b));
            return ab[0] == 1 && ab[1] == 1 && unlocked ? 1 : 0;
        }
    }
}
