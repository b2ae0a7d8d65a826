package io.shmtx.consistency;

import static io.shmtx.consistency.ConsistencyDescriptor.*;

import io.shmtx.pool.Handles;

import org.agrona.concurrent.AtomicBuffer;

/**
 * What RELEASE and CAUSAL share: writes buffered as redo records in the log (reads of an
 * object this transaction wrote see its writes), the write set locked at commit by a CAS of each
 * version word (no waiting, so no deadlock: a failed CAS aborts), and the publication of a
 * commit. The two differ in how they read and what they check before publishing
 * ({@link #prepare}).
 *
 * <p>Publication, from the commit record on: commit timestamp and state COMMITTING (release
 * store), history blocks made by CAUSAL linked, redo records applied, allocations published,
 * each lock released by storing the new version (release store), frees, state IDLE. A writer
 * holds every object it writes locked from before it takes its commit timestamp until its values
 * are in place, so a reader that accepts an unlocked version sees either the writer's complete
 * values or none. Why it is crash-atomic: see {@link TxLogs} (before COMMITTING the redo records
 * mean nothing and recovery releases the locks; from it on, recovery applies them again).
 */
abstract class OptimisticProtocol extends TxProtocol
{
    /** The snapshot timestamp: versions up to it are visible to this attempt. */
    long snapshot;

    OptimisticProtocol(final Tx tx, final boolean firstCommitterWins)
    {
        super(tx);
        this.firstCommitterWins = firstCommitterWins;
    }

    /** Reads {@code length} bytes of object {@code i} (not allocated by this transaction) as of this attempt. */
    abstract void read(int i, int at, int offset, int length, AtomicBuffer dst, int dstOff);

    /**
     * With the write set locked and the commit timestamp taken: checks what the model needs and
     * keeps what it must (RELEASE validates the reads, CAUSAL keeps history).
     *
     * @return the smallest pin history may be trimmed for ({@link Long#MAX_VALUE}: none).
     */
    abstract long prepare(long commitTs);

    /**
     * CAUSAL: first committer wins, a written object whose value is newer than the snapshot
     * aborts the commit (RELEASE checks the version read instead). A field, not a method: the
     * check runs once per written object on the commit path.
     */
    private final boolean firstCommitterWins;

    @Override
    long getLong(final int i, final int offset, final int at)
    {
        final int f = tx.flags[i];
        if ((f & FLAG_ALLOCATED) != 0)
        {
            return buffer.getLong(at);
        }
        final AtomicBuffer scratch = tx.scratch;
        read(i, at, offset, Long.BYTES, scratch, 0);
        if ((f & FLAG_WRITTEN) != 0)
        {
            tx.overlay(i, offset, Long.BYTES, scratch, 0);
        }
        return scratch.getLong(0);
    }

    @Override
    int getInt(final int i, final int offset, final int at)
    {
        final int f = tx.flags[i];
        if ((f & FLAG_ALLOCATED) != 0)
        {
            return buffer.getInt(at);
        }
        final AtomicBuffer scratch = tx.scratch;
        read(i, at, offset, Integer.BYTES, scratch, 0);
        if ((f & FLAG_WRITTEN) != 0)
        {
            tx.overlay(i, offset, Integer.BYTES, scratch, 0);
        }
        return scratch.getInt(0);
    }

    @Override
    void getBytes(final int i, final int offset, final int at, final int length, final AtomicBuffer dst, final int dstOff)
    {
        if ((tx.flags[i] & FLAG_ALLOCATED) != 0)
        {
            buffer.getBytes(at, dst, dstOff, length);
            return;
        }
        read(i, at, offset, length, dst, dstOff);
        if ((tx.flags[i] & FLAG_WRITTEN) != 0)
        {
            tx.overlay(i, offset, length, dst, dstOff);
        }
    }

    /** Buffered: the bytes go to a redo record. */
    @Override
    int writeTarget(final int i, final int offset, final int length, final int at)
    {
        return tx.record(i, offset, length);
    }

    /** The object joins the write set: locked and checked at commit like a written one. */
    @Override
    void forUpdate(final int i)
    {
        if ((tx.flags[i] & (FLAG_ALLOCATED | FLAG_WRITTEN)) == 0)
        {
            tx.entry(i, FLAG_WRITTEN);
        }
    }

    @Override
    void beforeFree(final int i)
    {
    }

    @Override
    void commit()
    {
        if (tx.written == 0)
        {
            tx.end(Tx.ENDED);
            tx.countCommit();
            return;
        }
        shm.commitHook(SharedMemory.HOOK_ACTIVE);
        lockWriteSet();
        final long commitTs = region.nextTimestamp();
        publish(commitTs, prepare(commitTs));
        tx.countCommit();
    }

    // ------------------------------------------------------------------ waiting for a locked object

    int checkedLocker(final long handle, final long word)
    {
        final int locker = locker(word) - 1;
        if (locker < 0 || locker >= logs.logCount())
        {
            throw new ConsistencyException(file, "object " + Handles.toString(handle) + " has version word 0x"
                + Long.toHexString(word) + " naming log " + locker + ", outside the " + logs.logCount() + " logs: corrupt");
        }
        return locker;
    }

    /** An object is locked by another transaction: recover its owner if dead, then abort this attempt. */
    void lockedBy(final long handle, final long word)
    {
        final int locker = checkedLocker(handle, word);
        final int slot = logs.slotOf(locker);
        if (slot != region.slot() && !region.isAlive(slot))
        {
            region.recoverDeadSlots();
            tx.abort(AbortReason.OWNER_DEAD, handle, "locked by log " + locker + " of dead slot " + slot);
        }
        tx.abort(AbortReason.LOCKED, handle, "locked by log " + locker + " (slot " + slot + ")");
    }

    // ------------------------------------------------------------------ commit

    private void lockWriteSet()
    {
        final int count = tx.count;
        for (int i = 0; i < count; i++)
        {
            final int f = tx.flags[i];
            if ((f & (FLAG_WRITTEN | FLAG_FREED)) != 0 && (f & FLAG_ALLOCATED) == 0)
            {
                lock(i);
            }
        }
    }

    private void lock(final int i)
    {
        final int header = tx.headers[i];
        final boolean blind = (tx.flags[i] & READ) == 0; // always under CAUSAL: its reads record no version
        final long expected = blind ? buffer.getLongVolatile(header) : tx.seen[i];
        if ((expected & LOCK_BIT) != 0)
        {
            lockedBy(tx.handles[i], expected);
        }
        if (firstCommitterWins && (expected >>> TS_SHIFT) > snapshot)
        {
            tx.abort(AbortReason.CONFLICT, tx.handles[i], "written by a transaction that committed after this one's snapshot");
        }
        if (!buffer.compareAndSetLong(header, expected, locked(expected, tx.logIndex)))
        {
            final long now = buffer.getLongVolatile(header);
            if ((now & LOCK_BIT) != 0)
            {
                lockedBy(tx.handles[i], now);
            }
            tx.abort(AbortReason.CONFLICT, tx.handles[i], "an object read or written changed before commit");
        }
        tx.seen[i] = expected;
        tx.flags[i] |= LOCKED;
        shm.commitHook(SharedMemory.HOOK_LOCKED_ONE);
        if (blind && !pool.isLive(tx.handles[i]))
        {
            // freed and handed out again since this transaction first touched it: not the object the caller meant
            final long handle = tx.handles[i];
            tx.rollBack();
            tx.end(Tx.ENDED);
            pool.payloadOffset(handle); // throws StaleHandleException naming it
        }
    }

    /**
     * From the commit record on: links the history made, applies the redo records, trims history
     * no pin at or above {@code minPin} needs, releases, frees.
     */
    private void publish(final long commitTs, final long minPin)
    {
        final CausalHistory history = logs.history;
        final int redoBase = tx.redoBase;
        final int redoUsed = tx.redoUsed;
        final int count = tx.count;
        final int[] flags = tx.flags;
        final int[] headers = tx.headers;
        final long[] handles = tx.handles;
        final long[] made = tx.made;
        buffer.putLong(log + LOG_COMMIT_TS_OFFSET, commitTs);
        buffer.putInt(log + LOG_REDO_BYTES_OFFSET, redoUsed);
        buffer.putLongRelease(log + LOG_STATE_OFFSET, (tx.sequence << 8) | STATE_COMMITTING);
        shm.commitHook(SharedMemory.HOOK_COMMITTING);
        for (int i = 0; i < count; i++)
        {
            if (made[i] != 0)
            {
                history.link(headers[i], made[i], region.slot());
            }
        }
        int position = 0;
        while (position < redoUsed)
        {
            final int r = redoBase + position;
            final int e = buffer.getInt(r + RECORD_ENTRY_OFFSET);
            final int length = buffer.getInt(r + RECORD_LENGTH_OFFSET);
            final int i = tx.objectOfEntry(e);
            buffer.putBytes(headers[i] + OBJECT_HEADER_SIZE + buffer.getInt(r + RECORD_OFFSET_OFFSET), buffer,
                r + RECORD_HEADER_SIZE, length);
            position += RECORD_HEADER_SIZE + TxLogs.align8(length);
            shm.commitHook(SharedMemory.HOOK_APPLIED_ONE);
        }
        shm.commitHook(SharedMemory.HOOK_APPLIED);
        final long word = committed(commitTs);
        for (int i = 0; i < count; i++)
        {
            final int f = flags[i];
            if ((f & FLAG_FREED) != 0)
            {
                continue;
            }
            if ((f & FLAG_ALLOCATED) != 0)
            {
                pool.publish(handles[i]);
                buffer.putLongRelease(headers[i], word);
                shm.commitHook(SharedMemory.HOOK_RELEASED_ONE);
            }
            else if ((f & LOCKED) != 0)
            {
                history.trim(headers[i], made[i] != 0 ? commitTs : tx.seen[i] >>> TS_SHIFT, minPin);
                buffer.putLongRelease(headers[i], word);
                shm.commitHook(SharedMemory.HOOK_RELEASED_ONE);
            }
        }
        shm.commitHook(SharedMemory.HOOK_RELEASED);
        for (int i = 0; i < count; i++)
        {
            if ((flags[i] & FLAG_FREED) != 0)
            {
                history.freeChain(headers[i]);
                pool.free(handles[i]); // still locked: a transaction that meets it aborts, and its retry finds the handle stale
            }
        }
        shm.commitHook(SharedMemory.HOOK_FREED);
        tx.clearLog();
        tx.end(Tx.ENDED);
    }
}
