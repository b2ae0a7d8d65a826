package io.shmtx.refcount;

import java.util.concurrent.TimeUnit;

/**
 * Tells whether a count word locked by this attachment's own slot is held by none of its threads,
 * from readings at least a millisecond apart that find the same word with no thread's cell naming
 * its handle ({@link RefCounts#heldByNoThread}). One reading could miss a thread that unlocked the
 * word and another that locked it again to the same value; two readings a millisecond apart that
 * agree would each need such a pair, timed exactly, which an update (a few hundred nanoseconds)
 * does not give.
 *
 * <p>Not threadsafe: one per waiting call.
 */
final class LeftoverProbe
{
    private static final long APART_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private long suspect;
    private long since;
    private boolean armed;

    /**
     * Takes one reading of the word at {@code word}, read as {@code w}.
     *
     * @param exceptCell the caller's own cell (its intent names the handle), or -1.
     * @return whether this reading and an earlier one, at least a millisecond before it, found the
     *         same word {@code w} held by no thread of this attachment.
     */
    boolean leftover(final RefCounts refs, final int word, final long w, final long handle, final int exceptCell)
    {
        if (!refs.heldByNoThread(word, w, handle, exceptCell))
        {
            armed = false;
            return false;
        }
        final long now = System.nanoTime();
        if (!armed || suspect != w)
        {
            armed = true;
            suspect = w;
            since = now;
            return false;
        }
        return now - since >= APART_NANOS;
    }
}
