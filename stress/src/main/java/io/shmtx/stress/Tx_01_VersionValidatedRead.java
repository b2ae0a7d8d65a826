package io.shmtx.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.shmtx.consistency.ConsistencyDescriptor;
import io.shmtx.consistency.SharedMemory;
import io.shmtx.consistency.Tx;
import io.shmtx.consistency.TxFunction;
import io.shmtx.consistency.TxRunnable;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * The version-validated read of a RELEASE transaction: a reader never returns a torn object (one
 * field from before a commit and one from after) nor an uncommitted one. One object with two
 * longs x = y = 0; a writer transaction sets both to 1 and commits (or, in {@link Aborted},
 * sets both and aborts); a read-only transaction reads both.
 *
 * <p>The read under test: version word (acquire), payload, load-load fence, version word again;
 * accepted only when both are equal, unlocked and not newer than the snapshot. A writer holds the
 * object's version word locked from before it applies its redo records until it stores the new
 * version (release), so a read that overlaps the apply sees the lock or a changed version and
 * retries (or moves its snapshot, or aborts and runs again).
 *
 * <p>Outcome (r1, r2, r3): r1 = x, r2 = y as the reader returned them ({@link #ERROR} when a
 * transaction threw); r3 = 1 when the arbiter then finds the object holding what the writer
 * committed (x = y = 1, or 0 after an abort) with an unlocked version word, else 0.
 */
public final class Tx_01_VersionValidatedRead
{
    /** A transaction threw (retry limit, a corrupt object): never expected. */
    static final int ERROR = 9;

    private Tx_01_VersionValidatedRead()
    {
    }

    /** The reader reads x then y with one {@code getLong} each: two validated reads of one object. */
    @JCStressTest
    @Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "The reader ran before the commit: both old.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "The reader ran after the commit: both new.")
    @Outcome(id = {"0, 1, .*", "1, 0, .*"}, expect = FORBIDDEN, desc = "Torn read: one field old, the other new.")
    @Outcome(id = ".*, 0", expect = FORBIDDEN, desc = "After both, the object is not x = y = 1, or is still locked.")
    @Outcome(expect = FORBIDDEN, desc = "Anything else: a transaction threw (9).")
    @State
    public static class Words extends Fixture
    {
        /** Writes x = y = 1 and commits. */
        @Actor
        public void writer()
        {
            commit();
        }

        /**
         * Reads x, then y, with getLong.
         *
         * @param r r1 = x, r2 = y.
         */
        @Actor
        public void reader(final III_Result r)
        {
            read(r, readWords);
        }

        /**
         * Checks the committed state.
         *
         * @param r r3.
         */
        @Arbiter
        public void arbiter(final III_Result r)
        {
            r.r3 = committed(1);
        }
    }

    /** The reader copies both fields with one {@code getBytes}: one validated bulk read. */
    @JCStressTest
    @Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "The reader ran before the commit: both old.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "The reader ran after the commit: both new.")
    @Outcome(id = {"0, 1, .*", "1, 0, .*"}, expect = FORBIDDEN, desc = "Torn read: one field old, the other new.")
    @Outcome(id = ".*, 0", expect = FORBIDDEN, desc = "After both, the object is not x = y = 1, or is still locked.")
    @Outcome(expect = FORBIDDEN, desc = "Anything else: a transaction threw (9).")
    @State
    public static class Bytes extends Fixture
    {
        /** Writes x = y = 1 and commits. */
        @Actor
        public void writer()
        {
            commit();
        }

        /**
         * Reads x and y with one getBytes.
         *
         * @param r r1 = x, r2 = y.
         */
        @Actor
        public void reader(final III_Result r)
        {
            read(r, readBytes);
        }

        /**
         * Checks the committed state.
         *
         * @param r r3.
         */
        @Arbiter
        public void arbiter(final III_Result r)
        {
            r.r3 = committed(1);
        }
    }

    /**
     * The writer writes x = y = 1 in a manual transaction and aborts it: a reader never sees
     * the writes of a transaction that did not commit, and the object stays x = y = 0.
     */
    @JCStressTest
    @Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "The reader saw the object as it was: the abort left nothing.")
    @Outcome(id = {"1, .*", ".*, 1, .*"}, expect = FORBIDDEN, desc = "Uncommitted read: a write of the aborted transaction.")
    @Outcome(id = ".*, 0", expect = FORBIDDEN, desc = "After both, the object is not x = y = 0, or is still locked.")
    @Outcome(expect = FORBIDDEN, desc = "Anything else: a transaction threw (9).")
    @State
    public static class Aborted extends Fixture
    {
        /** Writes x = y = 1, then aborts. */
        @Actor
        public void writer()
        {
            try (Tx tx = shm.begin())
            {
                tx.putLong(handle, 0, 1);
                tx.putLong(handle, Long.BYTES, 1);
                tx.abort();
            }
        }

        /**
         * Reads x, then y, with getLong.
         *
         * @param r r1 = x, r2 = y.
         */
        @Actor
        public void reader(final III_Result r)
        {
            read(r, readWords);
        }

        /**
         * Checks nothing was committed.
         *
         * @param r r3.
         */
        @Arbiter
        public void arbiter(final III_Result r)
        {
            r.r3 = committed(0);
        }
    }

    /** One object of the JVM-wide shared memory, zeroed, and the transaction bodies, built once per state. */
    abstract static class Fixture
    {
        final SharedMemory shm = SharedTx.shm();
        final long handle = SharedTx.nextObject();
        final TxRunnable write = tx ->
        {
            tx.putLong(handle, 0, 1);
            tx.putLong(handle, Long.BYTES, 1);
        };
        final TxFunction<long[]> readWords = tx -> new long[] {tx.getLong(handle, 0), tx.getLong(handle, Long.BYTES)};
        final TxFunction<long[]> readBytes = tx ->
        {
            final byte[] bytes = new byte[2 * Long.BYTES];
            tx.getBytes(handle, 0, bytes, 0, bytes.length);
            final java.nio.ByteBuffer view = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.nativeOrder());
            return new long[] {view.getLong(0), view.getLong(Long.BYTES)};
        };

        Fixture()
        {
            SharedTx.zero(handle);
        }

        void commit()
        {
            shm.transact(write);
        }

        void read(final III_Result r, final TxFunction<long[]> body)
        {
            try
            {
                final long[] xy = shm.readOnly(body);
                r.r1 = (int)xy[0];
                r.r2 = (int)xy[1];
            }
            catch (final RuntimeException ex)
            {
                r.r1 = ERROR;
                r.r2 = ERROR;
            }
        }

        /** 1 when the object holds x = y = {@code expected} and its version word is unlocked. */
        int committed(final long expected)
        {
            final long[] xy = shm.readOnly(readWords);
            final boolean unlocked = !ConsistencyDescriptor.isLocked(shm.versionWord(handle));
            return xy[0] == expected && xy[1] == expected && unlocked ? 1 : 0;
        }
    }
}
