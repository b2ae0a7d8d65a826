package io.shmtx.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.shmtx.pool.HandleException;
import io.shmtx.pool.Handles;
import io.shmtx.pool.TieredPool;

import java.util.concurrent.atomic.AtomicLong;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * No block of a {@link TieredPool} tier is handed to two holders at once: two actors each
 * allocate an 8-byte block from the one tier of a JVM-wide pool and write a tag unique to the
 * state and actor into it; the arbiter checks that each block is still live and still holds its
 * actor's tag, and that the two handles name different blocks, then frees both.
 *
 * <p>The tag check catches a block handed out twice across states as well as within one: all the
 * blocks of an epoch's states are held at once (until the arbiters run), so a block popped by two
 * threads, pushed back while held, or reused while held, is overwritten by the other holder's tag
 * (or freed by its arbiter) before this arbiter looks.
 *
 * <p>Outcome (r1, r2, r3): r1 = actor 1's block, r2 = actor 2's block, each 0 = no block (the
 * tier was exhausted), 1 = live and holding its actor's tag, 2 = live but holding another tag,
 * 3 = no longer live (freed or handed out again: its generation moved on); r3 = 1 when both
 * handles name the same block, else 0.
 */
public final class Pool_01_NoBlockTwice
{
    private static final AtomicLong TAGS = new AtomicLong();

    private Pool_01_NoBlockTwice()
    {
    }

    /**
     * No per-thread cache ({@link SharedPools#SHARED_STACK}): every allocate pops the tier's
     * shared lock-free stack and every free pushes it, so the two actors' pops race on its head
     * word (tag-protected CAS) every time.
     */
    @JCStressTest
    @Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "Each actor got a block of its own, and still holds it.")
    @Outcome(id = {"0, 0, 0", "0, 1, 0", "1, 0, 0"}, expect = ACCEPTABLE_INTERESTING,
        desc = "The tier ran out of blocks (sized so it should not): nothing to check.")
    @Outcome(id = {"1, 2, 1", "2, 1, 1"}, expect = FORBIDDEN,
        desc = "Both actors got the same block: the later tag overwrote the earlier.")
    @Outcome(expect = FORBIDDEN,
        desc = "A held block was overwritten (2) or freed (3) by another holder: the pool handed it out twice.")
    @State
    public static class SharedStack
    {
        private final TieredPool pool = SharedPools.sharedStack();
        private final long tag1 = TAGS.addAndGet(2);
        private final long tag2 = tag1 + 1;
        private long handle1;
        private long handle2;

        /** Allocates a block and tags it. */
        @Actor
        public void actor1()
        {
            handle1 = allocateAndTag(pool, tag1);
        }

        /** Allocates a block and tags it. */
        @Actor
        public void actor2()
        {
            handle2 = allocateAndTag(pool, tag2);
        }

        /**
         * Checks both blocks and frees them.
         *
         * @param r r1, r2 = the state of each actor's block, r3 = same block.
         */
        @Arbiter
        public void arbiter(final III_Result r)
        {
            r.r1 = check(pool, handle1, tag1);
            r.r2 = check(pool, handle2, tag2);
            r.r3 = sameBlock(handle1, handle2);
            freeBoth(pool, handle1, handle2, r.r1, r.r2, r.r3);
        }
    }

    /**
     * The default per-thread cache ({@link SharedPools#THREAD_CACHES}, 32 blocks): the arbiters
     * free on both actor threads, so blocks move between the threads' caches, and the caches
     * refill and drain through the shared stack 16 blocks at a time, popped with one CAS after a
     * walk of the chain's links that the other thread may be changing.
     */
    @JCStressTest
    @Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "Each actor got a block of its own, and still holds it.")
    @Outcome(id = {"0, 0, 0", "0, 1, 0", "1, 0, 0"}, expect = ACCEPTABLE_INTERESTING,
        desc = "The tier ran out of blocks (sized so it should not): nothing to check.")
    @Outcome(id = {"1, 2, 1", "2, 1, 1"}, expect = FORBIDDEN,
        desc = "Both actors got the same block: the later tag overwrote the earlier.")
    @Outcome(expect = FORBIDDEN,
        desc = "A held block was overwritten (2) or freed (3) by another holder: the pool handed it out twice.")
    @State
    public static class ThreadCaches
    {
        private final TieredPool pool = SharedPools.threadCaches();
        private final long tag1 = TAGS.addAndGet(2);
        private final long tag2 = tag1 + 1;
        private long handle1;
        private long handle2;

        /** Allocates a block and tags it. */
        @Actor
        public void actor1()
        {
            handle1 = allocateAndTag(pool, tag1);
        }

        /** Allocates a block and tags it. */
        @Actor
        public void actor2()
        {
            handle2 = allocateAndTag(pool, tag2);
        }

        /**
         * Checks both blocks and frees them.
         *
         * @param r r1, r2 = the state of each actor's block, r3 = same block.
         */
        @Arbiter
        public void arbiter(final III_Result r)
        {
            r.r1 = check(pool, handle1, tag1);
            r.r2 = check(pool, handle2, tag2);
            r.r3 = sameBlock(handle1, handle2);
            freeBoth(pool, handle1, handle2, r.r1, r.r2, r.r3);
        }
    }

    /**
     * Allocates an 8-byte block and writes {@code tag} into it; 0 when the tier is exhausted. A
     * block freed by another holder before the tag is written is left to the arbiter to report
     * (not live: 3) rather than failing the actor.
     */
    static long allocateAndTag(final TieredPool pool, final long tag)
    {
        final long handle = pool.tryAllocate(Long.BYTES);
        if (handle != Handles.NULL)
        {
            try
            {
                pool.putLong(handle, 0, tag);
            }
            catch (final HandleException ex)
            {
                // freed under us: the arbiter sees it not live
            }
        }
        return handle;
    }

    /** 0 = no block, 1 = live with {@code tag}, 2 = live with another tag, 3 = not live. */
    static int check(final TieredPool pool, final long handle, final long tag)
    {
        if (handle == Handles.NULL)
        {
            return 0;
        }
        try
        {
            return pool.getLong(handle, 0) == tag ? 1 : 2;
        }
        catch (final HandleException ex)
        {
            return 3; // freed, or freed and handed out again: its generation moved on
        }
    }

    /** 1 when both handles name the same block (whatever their generations). */
    static int sameBlock(final long handle1, final long handle2)
    {
        return handle1 != Handles.NULL && Handles.tier(handle1) == Handles.tier(handle2)
            && Handles.index(handle1) == Handles.index(handle2) ? 1 : 0;
    }

    /**
     * Frees what the actors took, so the tier does not run dry. A block that failed its check is
     * left alone (freeing it could throw, or free another holder's block): the run has failed.
     */
    static void freeBoth(
        final TieredPool pool, final long handle1, final long handle2, final int check1, final int check2, final int same)
    {
        if (same != 0)
        {
            return;
        }
        if (check1 == 1)
        {
            pool.free(handle1);
        }
        if (check2 == 1)
        {
            pool.free(handle2);
        }
    }
}
