package io.shmtx.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.shmtx.deadlock.Decision;
import io.shmtx.deadlock.LockManager;
import io.shmtx.deadlock.LockMode;
import io.shmtx.deadlock.Txn;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * The lock word of a {@link LockManager} entry, taken by two transactions at once: never an
 * exclusive holder together with any other holder (shared or exclusive), while shared holders
 * do hold it together; and a released lock leaves the entry free.
 *
 * <p>This is the lock entry's Dekker protocol: a reader CASes itself into a reader lane and then
 * reads the owner word, a writer CASes itself into the owner word and then reads the lanes; of a
 * racing reader and writer at least one must see the other (and back out), or both would hold
 * the lock. The JVM-wide table ({@link SharedLocks}) runs the NO_WAIT policy: a conflicting
 * request aborts its transaction at once, so an actor never blocks and either holds the lock or
 * holds nothing. Each actor uses its thread's own transaction ({@link SharedLocks#txn()}), and
 * each state a key of its own, on an entry no other live state uses.
 *
 * <p><b>Witnesses.</b> While it holds the lock, an actor sets its bit in the state's occupancy
 * word (an atomic or), then clears it (an atomic and); these atomics are totally ordered, so if
 * the two actors' holds overlap, the second to set its bit sees the first one's. An exclusive
 * holder first increments a plain counter: the other half of a lock's contract is that two
 * exclusive holds one after the other are ordered (happens-before), so no increment is lost. The
 * increment comes before the marks on purpose: after them, the marks' own atomics (one actor's
 * and, the other's or) would order the two increments, and the count would no longer test the
 * lock's ordering.
 *
 * <p>Outcome (r1, r2, r3, r4): r1, r2 = what each actor got, one of {@link #REFUSED} (0),
 * {@link #HELD} (1), {@link #HELD_SHARED} (2), {@link #OVERLAP} (3), {@link #ERROR} (4), and in
 * {@link BothUpgrade} {@link #UPGRADED} (5); r3 = the plain counter after both actors (the
 * exclusive holds); r4 = 1 when the arbiter then takes the entry exclusively at once (nothing
 * leaked: no owner claim and no reader lane left), 0 when it is refused.
 */
public final class Lock_01_SharedExclusive
{
    /** Refused: the transaction was aborted on a conflict (NO_WAIT) and holds nothing. */
    static final int REFUSED = 0;

    /** Held, and no other holder was seen. */
    static final int HELD = 1;

    /** Held shared, and the other actor was seen holding it shared at the same time. */
    static final int HELD_SHARED = 2;

    /** Held while the other actor held it in a conflicting mode: the lock failed. */
    static final int OVERLAP = 3;

    /** An unexpected answer or exception (a WAIT under NO_WAIT, a failed commit). */
    static final int ERROR = 4;

    /** BothUpgrade: held shared, then upgraded to exclusive and held so. */
    static final int UPGRADED = 5;

    private Lock_01_SharedExclusive()
    {
    }

    /**
     * Two writers: both ask for the exclusive lock. They cannot both hold it at once; they may
     * both get it one after the other. Of two writers racing for a free entry one wins the owner
     * CAS and, finding no reader, is granted: both refused is impossible.
     */
    @JCStressTest
    @Outcome(id = {"1, 0, 1, 1", "0, 1, 1, 1"}, expect = ACCEPTABLE,
        desc = "One writer held it; the other was refused (NO_WAIT: it found the owner claim).")
    @Outcome(id = "1, 1, 2, 1", expect = ACCEPTABLE,
        desc = "Both held it, one after the other: no increment lost.")
    @Outcome(id = "0, 0, .*", expect = FORBIDDEN, desc = "Both refused: a conflict with no holder.")
    @Outcome(id = "1, 1, 1, .*", expect = FORBIDDEN,
        desc = "Lost update: two exclusive holds not ordered by the lock (held at once, or no happens-before).")
    @Outcome(id = {"3, .*", ".*, 3, .*"}, expect = FORBIDDEN, desc = "Two writers held the lock at the same time.")
    @Outcome(id = ".*, 0", expect = FORBIDDEN, desc = "The entry was left held after both released: a leaked claim.")
    @Outcome(expect = FORBIDDEN, desc = "Anything else: an error (4), or a count that does not match the holds.")
    @State
    public static class TwoWriters
    {
        private final Guarded lock = new Guarded();

        /** Takes the lock exclusively, witnesses, commits. */
        @Actor
        public void writer1(final IIII_Result r)
        {
            r.r1 = lock.hold(0, LockMode.EXCLUSIVE);
        }

        /** Takes the lock exclusively, witnesses, commits. */
        @Actor
        public void writer2(final IIII_Result r)
        {
            r.r2 = lock.hold(1, LockMode.EXCLUSIVE);
        }

        /**
         * Reads the counter and checks the entry is free.
         *
         * @param r r3 = counter, r4 = entry free.
         */
        @Arbiter
        public void arbiter(final IIII_Result r)
        {
            lock.finish(r);
        }
    }

    /**
     * A writer and a reader: one asks for the exclusive lock, the other for the shared one. They
     * cannot both hold it at once. Both may be refused: each saw the other's claim (the reader
     * the owner claim, the writer the reader lane) and both backed out, as NO_WAIT says.
     */
    @JCStressTest
    @Outcome(id = "1, 0, 1, 1", expect = ACCEPTABLE, desc = "The writer held it; the reader was refused.")
    @Outcome(id = "0, 1, 0, 1", expect = ACCEPTABLE, desc = "The reader held it; the writer was refused.")
    @Outcome(id = "1, 1, 1, 1", expect = ACCEPTABLE, desc = "Both held it, one after the other.")
    @Outcome(id = "0, 0, 0, 1", expect = ACCEPTABLE_INTERESTING,
        desc = "Both refused: each saw the other's claim and backed out (the Dekker race, both sides seen).")
    @Outcome(id = {"3, .*", ".*, 3, .*"}, expect = FORBIDDEN,
        desc = "A writer and a reader held the lock at the same time.")
    @Outcome(id = ".*, 0", expect = FORBIDDEN, desc = "The entry was left held after both released: a leaked claim or lane.")
    @Outcome(expect = FORBIDDEN, desc = "Anything else: an error (4), or a count that does not match the writer's hold.")
    @State
    public static class WriterReader
    {
        private final Guarded lock = new Guarded();

        /** Takes the lock exclusively, witnesses, commits. */
        @Actor
        public void writer(final IIII_Result r)
        {
            r.r1 = lock.hold(0, LockMode.EXCLUSIVE);
        }

        /** Takes the lock shared, witnesses, commits. */
        @Actor
        public void reader(final IIII_Result r)
        {
            r.r2 = lock.hold(1, LockMode.SHARED);
        }

        /**
         * Reads the counter and checks the entry is free.
         *
         * @param r r3 = counter, r4 = entry free.
         */
        @Arbiter
        public void arbiter(final IIII_Result r)
        {
            lock.finish(r);
        }
    }

    /**
     * Two readers: both ask for the shared lock. Readers never conflict: both are always granted,
     * and often hold it at the same time (the interesting outcomes show they really do).
     */
    @JCStressTest
    @Outcome(id = "1, 1, 0, 1", expect = ACCEPTABLE, desc = "Both held it, one after the other.")
    @Outcome(id = {"2, 1, 0, 1", "1, 2, 0, 1", "2, 2, 0, 1"}, expect = ACCEPTABLE_INTERESTING,
        desc = "Both held it at the same time (shared).")
    @Outcome(id = {"0, .*", "[0-9], 0, .*"}, expect = FORBIDDEN, desc = "A reader was refused with no writer around.")
    @Outcome(id = ".*, 0", expect = FORBIDDEN, desc = "The entry was left held after both released: a leaked lane.")
    @Outcome(expect = FORBIDDEN, desc = "Anything else: an error (4), or a counter moved by a reader.")
    @State
    public static class TwoReaders
    {
        private final Guarded lock = new Guarded();

        /** Takes the lock shared, witnesses, commits. */
        @Actor
        public void reader1(final IIII_Result r)
        {
            r.r1 = lock.hold(0, LockMode.SHARED);
        }

        /** Takes the lock shared, witnesses, commits. */
        @Actor
        public void reader2(final IIII_Result r)
        {
            r.r2 = lock.hold(1, LockMode.SHARED);
        }

        /**
         * Reads the counter and checks the entry is free.
         *
         * @param r r3 = counter, r4 = entry free.
         */
        @Arbiter
        public void arbiter(final IIII_Result r)
        {
            lock.finish(r);
        }
    }

    /**
     * Two readers that upgrade: each takes the shared lock, then asks for the exclusive one
     * (an upgrade: its own reader lane is ignored, the other's is not). An upgraded holder is a
     * writer: the other actor may hold nothing meanwhile, neither shared nor exclusive. r1, r2 =
     * {@link #REFUSED} (the shared request was refused: the other held or claimed it
     * exclusively), {@link #HELD} (held shared, the upgrade refused: the transaction aborted and
     * released its shared lock too) or {@link #UPGRADED}.
     */
    @JCStressTest
    @Outcome(id = {"5, 0, 1, 1", "0, 5, 1, 1", "5, 1, 1, 1", "1, 5, 1, 1"}, expect = ACCEPTABLE,
        desc = "One upgraded; the other was refused, at its shared request or at its upgrade.")
    @Outcome(id = "5, 5, 2, 1", expect = ACCEPTABLE, desc = "Both upgraded, one after the other: no increment lost.")
    @Outcome(id = {"1, 0, 0, 1", "0, 1, 0, 1"}, expect = ACCEPTABLE,
        desc = "Neither upgraded: one was refused at its upgrade, the other at its shared request (it saw that upgrade's claim).")
    @Outcome(id = "1, 1, 0, 1", expect = ACCEPTABLE_INTERESTING,
        desc = "Both held it shared and both upgrades were refused: each saw the other's lane (the upgrade deadlock, broken by NO_WAIT).")
    @Outcome(id = "0, 0, .*", expect = FORBIDDEN, desc = "Both refused their shared request: a conflict with no writer.")
    @Outcome(id = {"3, .*", ".*, 3, .*"}, expect = FORBIDDEN,
        desc = "An upgraded writer held the lock while the other held it, shared or exclusive.")
    @Outcome(id = "5, 5, 1, .*", expect = FORBIDDEN,
        desc = "Lost update: two exclusive holds not ordered by the lock (held at once, or no happens-before).")
    @Outcome(id = ".*, 0", expect = FORBIDDEN, desc = "The entry was left held after both released: a leaked claim or lane.")
    @Outcome(expect = FORBIDDEN, desc = "Anything else: an error (4), or a count that does not match the upgrades.")
    @State
    public static class BothUpgrade
    {
        private final Guarded lock = new Guarded();

        /** Shared, then exclusive; witnesses each hold; commits. */
        @Actor
        public void upgrader1(final IIII_Result r)
        {
            r.r1 = lock.holdThenUpgrade(0);
        }

        /** Shared, then exclusive; witnesses each hold; commits. */
        @Actor
        public void upgrader2(final IIII_Result r)
        {
            r.r2 = lock.holdThenUpgrade(1);
        }

        /**
         * Reads the counter and checks the entry is free.
         *
         * @param r r3 = counter, r4 = entry free.
         */
        @Arbiter
        public void arbiter(final IIII_Result r)
        {
            lock.finish(r);
        }
    }

    /**
     * One state's key and its witnesses. Not threadsafe by itself: each actor passes its own
     * index (0 or 1) and uses its own thread's transaction; the arbiter runs after both actors.
     */
    static final class Guarded
    {
        private static final VarHandle OCCUPANCY;

        static
        {
            try
            {
                OCCUPANCY = MethodHandles.lookup().findVarHandle(Guarded.class, "occupancy", int.class);
            }
            catch (final ReflectiveOperationException ex)
            {
                throw new ExceptionInInitializerError(ex);
            }
        }

        private final long key = SharedLocks.nextKey();

        /** Bits of the holds in progress: actor a's shared hold is bit 2a, its exclusive one bit 2a + 1. */
        @SuppressWarnings("unused") // accessed through OCCUPANCY
        private volatile int occupancy;

        /** Incremented (plainly) by every exclusive hold. */
        private int exclusiveHolds;

        /** Takes the lock in {@code mode}, witnesses the hold, commits; the transaction is active again after. */
        int hold(final int actor, final LockMode mode)
        {
            final Txn tx = SharedLocks.txn();
            try
            {
                final Decision decision = tx.tryLock(key, mode);
                if (decision != Decision.GRANTED)
                {
                    tx.restart();
                    return decision == Decision.ABORTED ? REFUSED : ERROR;
                }
                final int seen = witness(actor, mode);
                tx.commit();
                tx.restart();
                return seen;
            }
            catch (final RuntimeException ex)
            {
                abandon(tx);
                return ERROR;
            }
        }

        /** Takes the lock shared, witnesses, upgrades it, witnesses again, commits. */
        int holdThenUpgrade(final int actor)
        {
            final Txn tx = SharedLocks.txn();
            try
            {
                final Decision shared = tx.tryLock(key, LockMode.SHARED);
                if (shared != Decision.GRANTED)
                {
                    tx.restart();
                    return shared == Decision.ABORTED ? REFUSED : ERROR;
                }
                // The shared witness ends before the upgrade: a refused upgrade aborts the
                // transaction, which releases the shared lock inside tryLock.
                final int sharedSeen = witness(actor, LockMode.SHARED);
                final Decision exclusive = tx.tryLock(key, LockMode.EXCLUSIVE);
                if (exclusive != Decision.GRANTED)
                {
                    tx.restart();
                    return sharedSeen == OVERLAP ? OVERLAP : exclusive == Decision.ABORTED ? HELD : ERROR;
                }
                final int exclusiveSeen = witness(actor, LockMode.EXCLUSIVE);
                tx.commit();
                tx.restart();
                return sharedSeen == OVERLAP || exclusiveSeen == OVERLAP ? OVERLAP : UPGRADED;
            }
            catch (final RuntimeException ex)
            {
                abandon(tx);
                return ERROR;
            }
        }

        /**
         * Increments the counter when exclusive, then marks the hold in the occupancy word and
         * unmarks it; returns what the marks of the other actor said, seen when setting and when
         * clearing.
         */
        private int witness(final int actor, final LockMode mode)
        {
            final int other = 1 - actor;
            final int mine = mode == LockMode.EXCLUSIVE ? exclusiveBit(actor) : sharedBit(actor);
            final int conflicting = mode == LockMode.EXCLUSIVE ? sharedBit(other) | exclusiveBit(other) : exclusiveBit(other);
            if (mode == LockMode.EXCLUSIVE)
            {
                exclusiveHolds++; // ordered with the other actor's increment by the lock alone (see the class comment)
            }
            final int before = (int)OCCUPANCY.getAndBitwiseOr(this, mine);
            final int after = (int)OCCUPANCY.getAndBitwiseAnd(this, ~mine);
            final int seen = before | after;
            if ((seen & conflicting) != 0)
            {
                return OVERLAP;
            }
            return (seen & sharedBit(other)) != 0 ? HELD_SHARED : HELD;
        }

        private static int sharedBit(final int actor)
        {
            return 1 << (2 * actor);
        }

        private static int exclusiveBit(final int actor)
        {
            return 2 << (2 * actor);
        }

        /** After an unexpected exception: release whatever the transaction holds, if it still can. */
        private static void abandon(final Txn tx)
        {
            try
            {
                tx.restart();
            }
            catch (final RuntimeException ignored)
            {
                // the outcome says ERROR already
            }
        }

        /**
         * Arbiter: r3 = the counter; r4 = 1 when the arbiter thread's transaction is granted the
         * entry exclusively at once (then commits), 0 when refused.
         */
        void finish(final IIII_Result r)
        {
            r.r3 = exclusiveHolds;
            final Txn tx = SharedLocks.txn();
            try
            {
                final Decision decision = tx.tryLock(key, LockMode.EXCLUSIVE);
                if (decision == Decision.GRANTED)
                {
                    tx.commit();
                }
                tx.restart();
                r.r4 = decision == Decision.GRANTED ? 1 : 0;
            }
            catch (final RuntimeException ex)
            {
                abandon(tx);
                r.r4 = ERROR;
            }
        }
    }
}
