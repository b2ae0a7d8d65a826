package io.shmtx.consistency;

import static io.shmtx.consistency.ConsistencyDescriptor.*;

import java.lang.invoke.VarHandle;

import org.agrona.concurrent.AtomicBuffer;

/**
 * RELEASE, after TL2: optimistic reads validated against per-object versions, writes buffered,
 * locks taken only at commit (see {@link OptimisticProtocol}), published with release stores.
 *
 * <p>Every object carries a version word: the commit timestamp of its value, a lock bit and the
 * locking log (see {@link ConsistencyDescriptor}). An attempt takes a snapshot timestamp from the
 * region clock at begin.
 * <ul>
 *   <li>Read: version, payload, load-load fence, version again. The value is accepted when both
 *       versions are equal, unlocked and not newer than the snapshot. A newer version first tries
 *       to move the snapshot forward (take the clock again, check that everything read so far is
 *       unchanged); otherwise the attempt aborts. A locked version is waited for a few spins,
 *       then its owner's liveness is asked: dead → recovery runs and the attempt is retried,
 *       alive → the attempt aborts (LOCKED).</li>
 *   <li>Commit: lock each written object by a CAS of its version word from the version this
 *       transaction read (a blind write: from the current one). Take a commit timestamp from the
 *       region clock; unless it directly follows the snapshot, check every object read is
 *       unchanged. Then publish.</li>
 * </ul>
 * Why it is serializable: a committed writer held every object it wrote locked from before it
 * took its timestamp until its values were in place, so a reader that accepts a version not
 * newer than its snapshot sees either a writer's complete values or none, and a snapshot-time
 * view of every object it reads (TL2's argument; the snapshot extension re-establishes it at the
 * new time). A writing transaction is ordered at its commit timestamp: its reads were still
 * current then (checked while its writes were locked). A read-only transaction stores only its
 * announcement (one word of its log).
 */
final class ReleaseProtocol extends OptimisticProtocol
{
    ReleaseProtocol(final Tx tx)
    {
        super(tx, false);
    }

    /**
     * The snapshot is the clock, or, right after {@code retry()} woke on a commit with timestamp
     * T, T itself: that commit took T from the clock before it published T with a release store
     * this thread has read, and every commit with a timestamp up to T locked its writes before
     * taking it, so T serves as the clock read (TL2's requirement) without another trip to the
     * clock's cache line, which the waker has just written. An older snapshot is only ever
     * extended, never wrong.
     */
    @Override
    void begin(final boolean retry)
    {
        final long woken = tx.wokenAt;
        if (woken > 0)
        {
            tx.wokenAt = 0;
            snapshot = woken;
            return;
        }
        snapshot = region.currentTimestamp();
    }

    /** The common case without a copy: a long not written by this transaction, read and validated in one go. */
    @Override
    long getLong(final int i, final int offset, final int at)
    {
        final int f = tx.flags[i];
        if ((f & (FLAG_WRITTEN | FLAG_ALLOCATED)) == 0)
        {
            return readLong(i, at);
        }
        if ((f & FLAG_ALLOCATED) != 0)
        {
            return buffer.getLong(at);
        }
        final AtomicBuffer scratch = tx.scratch;
        scratch.putLong(0, readLong(i, at));
        tx.overlay(i, offset, Long.BYTES, scratch, 0);
        return scratch.getLong(0);
    }

    @Override
    void read(final int i, final int at, final int offset, final int length, final AtomicBuffer dst, final int dstOff)
    {
        final int header = tx.headers[i];
        for (int spins = 0; ; spins++)
        {
            final long v1 = buffer.getLongVolatile(header);
            if ((v1 & LOCK_BIT) != 0 || (v1 >>> TS_SHIFT) > snapshot)
            {
                busy(i, v1, spins);
                continue;
            }
            buffer.getBytes(at, dst, dstOff, length);
            VarHandle.loadLoadFence();
            if (buffer.getLongVolatile(header) == v1)
            {
                seen(i, v1);
                return;
            }
        }
    }

    private long readLong(final int i, final int at)
    {
        final int header = tx.headers[i];
        for (int spins = 0; ; spins++)
        {
            final long v1 = buffer.getLongVolatile(header);
            if ((v1 & LOCK_BIT) != 0 || (v1 >>> TS_SHIFT) > snapshot)
            {
                busy(i, v1, spins);
                continue;
            }
            final long value = buffer.getLong(at);
            VarHandle.loadLoadFence();
            if (buffer.getLongVolatile(header) == v1)
            {
                seen(i, v1);
                return value;
            }
        }
    }

    private void seen(final int i, final long version)
    {
        tx.watched(i, version >>> TS_SHIFT);
        final long before = tx.seen[i];
        if (before == Tx.NONE)
        {
            tx.seen[i] = version;
            tx.flags[i] |= READ;
        }
        else if (before != version)
        {
            tx.abort(AbortReason.CONFLICT, tx.handles[i], "an object read twice changed in between");
        }
    }

    /** The version word was locked or newer than the snapshot: wait, extend the snapshot, or abort. */
    private void busy(final int i, final long word, final int spins)
    {
        if ((word & LOCK_BIT) == 0)
        {
            extendSnapshot();
            return;
        }
        if (spins < SPINS_BEFORE_PROBE)
        {
            Thread.onSpinWait();
            return;
        }
        lockedBy(tx.handles[i], word);
    }

    private void extendSnapshot()
    {
        final long now = region.currentTimestamp();
        final int count = tx.count;
        for (int j = 0; j < count; j++)
        {
            if ((tx.flags[j] & READ) != 0 && buffer.getLongVolatile(tx.headers[j]) != tx.seen[j])
            {
                tx.abort(AbortReason.CONFLICT, tx.handles[j], "an object read earlier changed (snapshot " + snapshot
                    + " could not move to " + now + ")");
            }
        }
        snapshot = now;
    }

    /** Unless the commit directly follows the snapshot, every object read is still the version read. */
    @Override
    long prepare(final long commitTs)
    {
        if (commitTs != snapshot + 1)
        {
            final int count = tx.count;
            for (int i = 0; i < count; i++)
            {
                final int f = tx.flags[i];
                if ((f & (READ | LOCKED)) == READ && buffer.getLongVolatile(tx.headers[i]) != tx.seen[i])
                {
                    final long now = buffer.getLongVolatile(tx.headers[i]);
                    tx.abort((now & LOCK_BIT) != 0 ? AbortReason.LOCKED : AbortReason.CONFLICT, tx.handles[i],
                        "an object read changed before commit");
                }
            }
        }
        shm.commitHook(SharedMemory.HOOK_VALIDATED);
        return Long.MAX_VALUE;
    }
}
