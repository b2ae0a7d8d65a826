package io.shmtx.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.shmtx.pool.Handles;
import io.shmtx.pool.StaleHandleException;
import io.shmtx.pool.TieredPool;
import io.shmtx.refcount.RefCountException;
import io.shmtx.refcount.RefCounts;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;

/**
 * {@link RefCounts} on one shared block, updated by two actors at once: the count never loses an
 * update, and the block is freed exactly once, by the release that takes the count to zero, and
 * never while a reference is held.
 *
 * <p>Each state allocates an 8-byte block from the pool of a JVM-wide region
 * ({@link SharedPools#refSide()}), shares it (count 1, held by this process) and may retain it
 * more. The block's payload holds the offset of a zeroed int counter of the state
 * ({@link Slots#direct()}); the {@code onZero} callback of the side's reference counts, run just
 * before the block goes back to the pool, adds 1 to it: the number of times the block was freed.
 *
 * <p>Outcome (r1, r2, r3, r4, r5) of every variant: r1, r2 = what each actor saw (per variant);
 * r3 = the count after the actors ({@link RefCounts#count}: 0 once freed); r4 = 1 when the block
 * is still live after the actors ({@link TieredPool#isLive}); r5 = how many times the block was
 * freed, counted after the arbiter has released the references the state still held: always
 * exactly 1. All five are -1 when the state could not get a block (the pool or the ledger was
 * full; sized so it should not be).
 */
public final class RefCount_01_RetainReleaseNeverFreesTwice
{
    /** r1, r2 of an actor whose call threw something else than the refusal the variant expects. */
    static final int THREW = 2;

    private RefCount_01_RetainReleaseNeverFreesTwice()
    {
    }

    /**
     * Count 1, held by the state; each actor retains, then releases. r1, r2 = 1 when that
     * actor's release returned {@code true} (it took the count to zero), 0 when {@code false},
     * 2 when its retain or release threw.
     */
    @JCStressTest
    @Outcome(id = "0, 0, 1, 1, 1", expect = ACCEPTABLE,
        desc = "Both round trips left the count at 1 and the block live; the arbiter's release freed it once.")
    @Outcome(id = "-1, -1, -1, -1, -1", expect = ACCEPTABLE_INTERESTING, desc = "No block: pool or ledger full.")
    @Outcome(id = {"1, [01], .*", "0, 1, .*"}, expect = FORBIDDEN,
        desc = "A release returned true: it took the count to zero while the state held a reference (a retain was lost).")
    @Outcome(id = "0, 0, [2-9], .*", expect = FORBIDDEN, desc = "Lost update: a release was lost, the count stays above 1.")
    @Outcome(id = "0, 0, 0, .*", expect = FORBIDDEN,
        desc = "Lost update: the count reached zero, the block was freed while the state held it.")
    @Outcome(expect = FORBIDDEN,
        desc = "Count 1 but the block not live, or not freed exactly once in the end; or an update threw (2).")
    @State
    public static class RetainRelease
    {
        private final SharedBlock block = new SharedBlock(0);

        /** Retains, then releases. */
        @Actor
        public void actor1(final IIIII_Result r)
        {
            r.r1 = block.retainThenRelease();
        }

        /** Retains, then releases. */
        @Actor
        public void actor2(final IIIII_Result r)
        {
            r.r2 = block.retainThenRelease();
        }

        /**
         * Reads the count and liveness, releases the state's reference, counts the frees.
         *
         * @param r r3 = count, r4 = live, r5 = frees.
         */
        @Arbiter
        public void arbiter(final IIIII_Result r)
        {
            block.finish(r);
        }
    }

    /**
     * Count 1, held by the state; one actor releases it (the last reference) while the other
     * retains it. r1 = 1 when the release returned {@code true}, 0 when {@code false}, 2 when it
     * threw; r2 = 1 when the retain succeeded, 0 when it was refused ({@link StaleHandleException}:
     * the count was already zero), 2 when it threw anything else.
     */
    @JCStressTest
    @Outcome(id = "1, 0, 0, 0, 1", expect = ACCEPTABLE,
        desc = "Release first: it freed the block once; the retain was refused (count zero).")
    @Outcome(id = "0, 1, 1, 1, 1", expect = ACCEPTABLE,
        desc = "Retain first: 2, then the release left 1 and the block live; the arbiter's release freed it once.")
    @Outcome(id = "-1, -1, -1, -1, -1", expect = ACCEPTABLE_INTERESTING, desc = "No block: pool or ledger full.")
    @Outcome(id = "1, 1, .*", expect = FORBIDDEN,
        desc = "Resurrection: the retain succeeded on a block whose last reference was released (freed while held).")
    @Outcome(id = "0, 0, .*", expect = FORBIDDEN,
        desc = "Neither went first: the release left a reference and the retain found none.")
    @Outcome(expect = FORBIDDEN,
        desc = "Wrong count, block freed early, twice or never, or an update threw (2).")
    @State
    public static class ReleaseWhileRetain
    {
        private final SharedBlock block = new SharedBlock(0);

        /** Releases the state's reference, the last one unless the retain came first. */
        @Actor
        public void releaser(final IIIII_Result r)
        {
            r.r1 = block.release();
        }

        /** Retains. */
        @Actor
        public void retainer(final IIIII_Result r)
        {
            r.r2 = block.retain();
        }

        /**
         * Reads the count and liveness, releases whatever is still held, counts the frees.
         *
         * @param r r3 = count, r4 = live, r5 = frees.
         */
        @Arbiter
        public void arbiter(final IIIII_Result r)
        {
            block.finish(r);
        }
    }

    /**
     * Count 2, both held by the state (shared, then retained once); both actors release at once.
     * r1, r2 = 1 when that actor's release returned {@code true}, 0 when {@code false}, 2 when it
     * threw. Exactly one of them takes the count to zero and frees the block.
     */
    @JCStressTest
    @Outcome(id = {"1, 0, 0, 0, 1", "0, 1, 0, 0, 1"}, expect = ACCEPTABLE,
        desc = "Exactly one release took the count to zero and freed the block, once.")
    @Outcome(id = "-1, -1, -1, -1, -1", expect = ACCEPTABLE_INTERESTING, desc = "No block: pool or ledger full.")
    @Outcome(id = "1, 1, .*", expect = FORBIDDEN,
        desc = "Both releases saw zero: a decrement was lost and the block was freed twice.")
    @Outcome(id = "0, 0, .*", expect = FORBIDDEN,
        desc = "Neither release saw zero: a decrement was lost and the block leaked (or was freed by nobody).")
    @Outcome(expect = FORBIDDEN, desc = "Wrong count or liveness, freed twice or never, or a release threw (2).")
    @State
    public static class BothRelease
    {
        private final SharedBlock block = new SharedBlock(1);

        /** Releases one of the state's two references. */
        @Actor
        public void actor1(final IIIII_Result r)
        {
            r.r1 = block.release();
        }

        /** Releases the other. */
        @Actor
        public void actor2(final IIIII_Result r)
        {
            r.r2 = block.release();
        }

        /**
         * Reads the count and liveness, releases whatever is still held, counts the frees.
         *
         * @param r r3 = count, r4 = live, r5 = frees.
         */
        @Arbiter
        public void arbiter(final IIIII_Result r)
        {
            block.finish(r);
        }
    }

    /**
     * One state's shared block and its free counter. Not threadsafe by itself: the actors only
     * call the threadsafe {@link RefCounts}, and the arbiter runs after them.
     */
    static final class SharedBlock
    {
        private final SharedPools.RefSide side = SharedPools.refSide();
        private final TieredPool pool = side.pool;
        private final RefCounts refs = side.refs;
        private final int freeCounter = Slots.direct().claim();
        private final long handle;

        /**
         * Allocates, shares (count 1) and retains {@code extraReferences} times.
         *
         * @param extraReferences references added after the share.
         */
        SharedBlock(final int extraReferences)
        {
            handle = share(extraReferences);
        }

        private long share(final int extraReferences)
        {
            side.enter();
            final long h = pool.tryAllocate(Long.BYTES);
            if (h == Handles.NULL)
            {
                return Handles.NULL;
            }
            pool.putLong(h, 0, freeCounter);
            try
            {
                refs.share(h);
            }
            catch (final RefCountException ex)
            {
                pool.free(h); // the ledger is full: not shared, still ours
                return Handles.NULL;
            }
            for (int i = 0; i < extraReferences; i++)
            {
                refs.retain(h);
            }
            return h;
        }

        /** 1 = the release took the count to zero, 0 = it did not, {@link #THREW} = it threw, -1 = no block. */
        int release()
        {
            if (handle == Handles.NULL)
            {
                return -1;
            }
            side.enter();
            try
            {
                return refs.release(handle) ? 1 : 0;
            }
            catch (final RuntimeException ex)
            {
                return THREW;
            }
        }

        /** 1 = retained, 0 = refused as stale (count zero, freed), {@link #THREW} = other failure, -1 = no block. */
        int retain()
        {
            if (handle == Handles.NULL)
            {
                return -1;
            }
            side.enter();
            try
            {
                refs.retain(handle);
                return 1;
            }
            catch (final StaleHandleException ex)
            {
                return 0;
            }
            catch (final RuntimeException ex)
            {
                return THREW;
            }
        }

        /** Retain, then release: like {@link #release()}, {@link #THREW} when either threw. */
        int retainThenRelease()
        {
            final int retained = retain();
            if (retained != 1)
            {
                return retained == 0 ? THREW : retained;
            }
            return release();
        }

        /**
         * Arbiter: r3 = count, r4 = live; then releases every reference still counted (at most a
         * few: the count was never more than 3) and r5 = frees so far. Sets all five to -1 when
         * there is no block.
         */
        void finish(final IIIII_Result r)
        {
            if (handle == Handles.NULL)
            {
                r.r1 = -1;
                r.r2 = -1;
                r.r3 = -1;
                r.r4 = -1;
                r.r5 = -1;
                return;
            }
            side.enter();
            r.r3 = refs.count(handle);
            r.r4 = pool.isLive(handle) ? 1 : 0;
            for (int i = 0; i < 4 && refs.count(handle) > 0; i++)
            {
                try
                {
                    refs.release(handle);
                }
                catch (final RuntimeException ex)
                {
                    break; // the run has failed already: the outcome says so
                }
            }
            r.r5 = SharedPools.freeCounters().getIntVolatile(freeCounter);
        }
    }
}
