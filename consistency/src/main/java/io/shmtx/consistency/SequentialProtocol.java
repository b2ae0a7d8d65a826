package io.shmtx.consistency;

import static io.shmtx.consistency.ConsistencyDescriptor.*;

import io.shmtx.deadlock.LockMode;
import io.shmtx.deadlock.TxAbortedException;
import io.shmtx.deadlock.Txn;

import java.lang.invoke.VarHandle;

import org.agrona.concurrent.AtomicBuffer;

/**
 * SEQUENTIAL: strict two-phase locking through the lock table, writes in place after an undo
 * record.
 *
 * <p>Each thread's {@code Tx} keeps a lock-table transaction ({@link Txn}), renewed (fresh age)
 * per transaction and restarted (same age) per retry. A read takes the object's shared lock, a
 * write its exclusive lock, then appends the bytes it replaces to the log as an undo record
 * (published by a release store of the used length, then a store-store fence) and writes in
 * place. Commit: the lock table's committing point ({@link Txn#prepareCommit()}: no wound lands
 * after it), commit timestamp and state COMMITTING (from here the writes are final), version
 * words stamped with the timestamp, allocations published, frees, log IDLE, and only then the
 * locks released. Any abort, including one the lock table decides inside a lock request or at
 * commit (a wound, WAIT_DIE, the wait bound), restores the undo records newest first and clears
 * the log through the lock table's abort hook, before the locks go.
 *
 * <p>Why it is strictly serializable: every object is read or written under a lock held to the
 * end, so transactions are ordered by their committing points, which fall inside their
 * real-time spans; nobody sees a value that is later undone (undo happens under the exclusive
 * lock). Why it is crash-atomic: a death before COMMITTING leaves undo records that recovery
 * applies under the locks the dead process still holds; after it, the writes are final and
 * recovery finishes the stamping (see {@link TxLogs}).
 */
final class SequentialProtocol extends TxProtocol
{
    /** This thread's lock-table transaction (kept across transactions: renewed, or restarted for a retry). */
    private Txn txn;
    private int[] undoPositions = new int[16];

    SequentialProtocol(final Tx tx)
    {
        super(tx);
    }

    @Override
    void begin(final boolean retry)
    {
        final Txn t = txn;
        if (t == null)
        {
            final Txn fresh = shm.lockManager().begin();
            fresh.onAbort(this::undoHook);
            txn = fresh;
        }
        else if (retry)
        {
            t.restart(); // a retry keeps its age: it cannot starve
        }
        else
        {
            t.renew();
        }
    }

    /** Closes the lock-table transaction of a Tx whose thread ended (its log was recovered first). */
    void closeLocks()
    {
        final Txn t = txn;
        txn = null;
        if (t != null)
        {
            t.close();
        }
    }

    @Override
    long getLong(final int i, final int offset, final int at)
    {
        lockShared(i);
        return buffer.getLong(at);
    }

    @Override
    int getInt(final int i, final int offset, final int at)
    {
        lockShared(i);
        return buffer.getInt(at);
    }

    @Override
    void getBytes(final int i, final int offset, final int at, final int length, final AtomicBuffer dst, final int dstOff)
    {
        lockShared(i);
        buffer.getBytes(at, dst, dstOff, length);
    }

    /**
     * Takes the exclusive lock of object {@code i}, lists it, and appends the bytes the write
     * replaces to the undo records (the first write to a range keeps its record: it holds the
     * oldest value), ordered before the write; the write goes in place.
     */
    @Override
    int writeTarget(final int i, final int offset, final int length, final int at)
    {
        lockExclusive(i);
        final int bytes = tx.record(i, offset, length);
        if (tx.recordReused)
        {
            return at;
        }
        buffer.putBytes(bytes, buffer, at, length);
        buffer.putIntRelease(log + LOG_REDO_BYTES_OFFSET, tx.redoUsed);
        VarHandle.storeStoreFence(); // the record is complete in the log before the write in place
        shm.commitHook(SharedMemory.HOOK_UNDO_RECORD);
        return at;
    }

    /** The exclusive lock at once: no shared lock to upgrade later, so two such transactions cannot deadlock on an upgrade. */
    @Override
    void forUpdate(final int i)
    {
        lockExclusive(i);
    }

    @Override
    void beforeFree(final int i)
    {
        lockExclusive(i);
    }

    private void lockShared(final int i)
    {
        if ((tx.flags[i] & (SHARED | EXCLUSIVE | FLAG_ALLOCATED)) == 0)
        {
            lockKey(i, LockMode.SHARED);
            tx.flags[i] |= SHARED;
            tx.watched(i, buffer.getLongVolatile(tx.headers[i]) >>> TS_SHIFT);
        }
    }

    private void lockExclusive(final int i)
    {
        if ((tx.flags[i] & (EXCLUSIVE | FLAG_ALLOCATED)) == 0)
        {
            lockKey(i, LockMode.EXCLUSIVE);
            tx.flags[i] |= EXCLUSIVE;
            tx.watched(i, buffer.getLongVolatile(tx.headers[i]) >>> TS_SHIFT);
        }
    }

    /** Takes the lock table's lock on object {@code i}, waiting as the deadlock policy allows. */
    private void lockKey(final int i, final LockMode mode)
    {
        final long handle = tx.handles[i];
        try
        {
            txn.lock(handle, mode);
        }
        catch (final TxAbortedException ex)
        {
            // the lock table aborted it; its abort hook undid the writes in place before the locks went
            tx.abort(AbortReason.valueOf(ex.reason().name()), handle, ex.getMessage());
        }
        if ((tx.flags[i] & (SHARED | EXCLUSIVE)) == 0 && !pool.isLive(handle))
        {
            // freed by a transaction that held the lock before us: not the object the caller meant
            tx.rollBack();
            tx.end(Tx.ENDED);
            pool.payloadOffset(handle); // throws StaleHandleException naming it
        }
    }

    /** The lock table's abort hook: undo the writes in place before the locks go. */
    private void undoHook()
    {
        if (tx.protocol == this && tx.isRunning())
        {
            undoInPlace();
        }
    }

    @Override
    void undoWrites()
    {
        undoInPlace();
    }

    @Override
    void releaseLocks()
    {
        txn.abort(); // its hook finds nothing left to undo
    }

    /**
     * Restores the bytes of every undo record, newest first, then clears the log, so that no
     * record is ever applied again once the locks are gone. Does nothing when the log holds no
     * transaction (already undone, or recovered).
     */
    private void undoInPlace()
    {
        if ((buffer.getLongVolatile(log + LOG_STATE_OFFSET) & 0xFF) != STATE_ACTIVE)
        {
            return;
        }
        final int redoBase = tx.redoBase;
        final int used = tx.redoUsed;
        int records = 0;
        int position = 0;
        int[] at = undoPositions;
        while (position < used)
        {
            if (records == at.length)
            {
                at = java.util.Arrays.copyOf(at, records * 2);
                undoPositions = at;
            }
            at[records++] = position;
            position += RECORD_HEADER_SIZE + TxLogs.align8(buffer.getInt(redoBase + position + RECORD_LENGTH_OFFSET));
        }
        for (int k = records - 1; k >= 0; k--)
        {
            final int r = redoBase + at[k];
            final int i = tx.objectOfEntry(buffer.getInt(r + RECORD_ENTRY_OFFSET));
            buffer.putBytes(tx.headers[i] + OBJECT_HEADER_SIZE + buffer.getInt(r + RECORD_OFFSET_OFFSET), buffer,
                r + RECORD_HEADER_SIZE, buffer.getInt(r + RECORD_LENGTH_OFFSET));
        }
        shm.commitHook(SharedMemory.HOOK_UNDONE);
        tx.clearLog();
        tx.redoUsed = 0;
        tx.lastRecord = -1;
    }

    /**
     * The lock table's committing point (no wound lands past it), then the commit record
     * (timestamp, state COMMITTING: the writes in place are final from here), version words
     * stamped, allocations published, frees done, the log cleared, and only then the locks
     * released.
     */
    @Override
    void commit()
    {
        final Txn t = txn;
        if (tx.written == 0)
        {
            try
            {
                t.commit();
            }
            catch (final TxAbortedException ex)
            {
                tx.abort(AbortReason.valueOf(ex.reason().name()), 0, ex.getMessage());
            }
            tx.end(Tx.ENDED);
            tx.countCommit();
            return;
        }
        shm.commitHook(SharedMemory.HOOK_ACTIVE);
        try
        {
            t.prepareCommit();
        }
        catch (final TxAbortedException ex)
        {
            tx.abort(AbortReason.valueOf(ex.reason().name()), 0, ex.getMessage());
        }
        final long commitTs = region.nextTimestamp();
        buffer.putLong(log + LOG_COMMIT_TS_OFFSET, commitTs);
        buffer.putLongRelease(log + LOG_STATE_OFFSET, (tx.sequence << 8) | STATE_COMMITTING);
        shm.commitHook(SharedMemory.HOOK_COMMITTING);
        final long word = committed(commitTs);
        final int count = tx.count;
        final int[] flags = tx.flags;
        final int[] headers = tx.headers;
        final long[] handles = tx.handles;
        for (int i = 0; i < count; i++)
        {
            final int f = flags[i];
            if ((f & FLAG_FREED) == 0 && (f & (FLAG_ALLOCATED | FLAG_WRITTEN)) != 0)
            {
                if ((f & FLAG_ALLOCATED) != 0)
                {
                    pool.publish(handles[i]);
                }
                else
                {
                    logs.history.freeChain(headers[i]); // left by a CAUSAL epoch: no snapshot can need it now
                }
                buffer.putLongRelease(headers[i], word);
                shm.commitHook(SharedMemory.HOOK_RELEASED_ONE);
            }
        }
        shm.commitHook(SharedMemory.HOOK_RELEASED);
        for (int i = 0; i < count; i++)
        {
            if ((flags[i] & FLAG_FREED) != 0)
            {
                logs.history.freeChain(headers[i]);
                pool.free(handles[i]); // under its exclusive lock: a transaction that gets it next finds the handle stale
            }
        }
        shm.commitHook(SharedMemory.HOOK_FREED);
        tx.clearLog();
        try
        {
            t.commit(); // past the committing point: releases the locks
        }
        finally
        {
            tx.end(Tx.ENDED);
            tx.countCommit();
        }
    }
}
