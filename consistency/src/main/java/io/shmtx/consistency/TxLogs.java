package io.shmtx.consistency;

import static io.shmtx.consistency.ConsistencyDescriptor.*;

import io.shmtx.pool.TieredPool;
import io.shmtx.region.Region;

import java.nio.file.Path;

import org.agrona.concurrent.AtomicBuffer;

/**
 * The transaction logs of the consistency section, as this process sees them: where each log
 * lies, and the recovery of one log, run for the logs of a dead process (by
 * {@link ConsistencyRecovery}), for a log whose thread died, and for this process's own logs at
 * detach.
 *
 * <p>Threadsafe as far as its callers guarantee one recoverer per log at a time: the region
 * recovers a dead slot in one process at a time, and this process's own logs are recovered only
 * by this process.
 *
 * <h2>Why recovery of a log is correct</h2>
 * A transaction's shared effects, in the order the committer makes them: (a) object table entries
 * and the state ACTIVE, before (b) any version lock or allocation they describe (a lock is taken
 * by a CAS, which orders the earlier plain stores before it; an allocated block is owned by the
 * process and unpublished until (e)); (c) the redo records, commit timestamp and then the state
 * COMMITTING with a release store; (d) per object still locked, the redo records applied in
 * place; (e) allocated blocks published, then each locked object's version word stored unlocked
 * with the commit timestamp (release), freed objects handed back to the pool still locked;
 * (f) the state IDLE. Nobody but the transaction writes an object while it holds the object's
 * lock, and it unlocks an object only after applying every record of it.
 * <ul>
 *   <li>IDLE: nothing is held (an IDLE log never has a lock or an unpublished allocation out,
 *       since (f) comes after every release). Nothing to do.</li>
 *   <li>ACTIVE: nothing was applied (applying starts after COMMITTING), so the objects hold their
 *       old values. Every object the log lists that is still locked by this log gets its old word
 *       back (the locked word keeps the old timestamp: clear the lock bits); every block it
 *       allocated that is still live and owned by the dead slot is freed. Objects not locked by
 *       this log were never locked, or already given back. The result: none of its writes visible.</li>
 *   <li>COMMITTING: the redo records are complete. An object still locked by this log may have
 *       had some of its records applied, never another transaction's (it held the lock): apply
 *       them all again (the same bytes: idempotent), then store the committed word (or free it).
 *       An object no longer locked by this log was finished by the dead process before it died,
 *       and may since belong to another transaction: leave it alone. Allocated blocks are
 *       published (idempotent) before their version is released. The result: all of its writes
 *       visible.</li>
 * </ul>
 * A CAUSAL log recovers as RELEASE, and first: ACTIVE frees the history blocks it made (never
 * linked: linking follows COMMITTING); COMMITTING links each one not linked yet (publishing it
 * first) before any record is applied, so a snapshot that needs the old value finds it.
 * A SEQUENTIAL log (its model is read from the log's announcement, not the model in force):
 * its objects are held under the lock table's exclusive locks, which recovery step 2 releases
 * only after this step, and it listed each object after locking it and before writing it, so
 * nobody else wrote them since.
 * <ul>
 *   <li>ACTIVE: the undo records (complete ones: their length is published before each write in
 *       place) are restored newest first, giving every object its value before the transaction;
 *       allocations are freed.</li>
 *   <li>COMMITTING: the writes in place are the committed values; version words are stamped,
 *       allocations published, frees done (a handle no longer live was freed already).</li>
 * </ul>
 * Every log's snapshot pin and announcement are cleared, so a dead process holds no history and
 * no model switch.
 * Every step checks before it acts and leaves the log as it found it until the state turns
 * IDLE at the end, so a recoverer that dies half-way is followed by one that does the rest.
 * A handle the pool no longer knows (freed and reused since) is skipped: its block has nothing
 * of this transaction in it any more. Every value read from the log (counts, handles, record
 * bounds, the object's own header) is checked before use; a log that cannot be true is reported
 * as {@link ConsistencyException} naming the log and the field, and left as found.
 */
final class TxLogs
{
    private final Path file;
    private final AtomicBuffer buffer;
    private final TieredPool pool;
    private final int base;
    final int processSlots;
    final int logsPerSlot;
    final int logSize;
    final int maxObjects;
    final int redoCapacity;
    final int redoOffset;
    /** Payload size of each pool tier, to check an object header against its block. */
    private final int[] tierPayload;

    TxLogs(final Region region, final TieredPool pool, final int base, final int[] tierPayload)
    {
        this.file = region.file();
        this.buffer = region.buffer();
        this.pool = pool;
        this.base = base;
        this.processSlots = buffer.getInt(base + PROCESS_SLOTS_OFFSET);
        this.logsPerSlot = buffer.getInt(base + LOGS_PER_SLOT_OFFSET);
        this.logSize = buffer.getInt(base + LOG_SIZE_OFFSET);
        this.maxObjects = buffer.getInt(base + MAX_OBJECTS_OFFSET);
        this.redoCapacity = buffer.getInt(base + REDO_CAPACITY_OFFSET);
        this.redoOffset = ConsistencyDescriptor.redoOffset(maxObjects);
        this.tierPayload = tierPayload;
        this.history = new CausalHistory(region, pool, this);
    }

    /** The history chains and pins (CAUSAL). */
    final CausalHistory history;

    int logOffset(final int logIndex)
    {
        return ConsistencyDescriptor.logOffset(base, logIndex, logSize);
    }

    int slotOf(final int logIndex)
    {
        return logIndex / logsPerSlot;
    }

    int logCount()
    {
        return processSlots * logsPerSlot;
    }

    int base()
    {
        return base;
    }

    /**
     * The checked object header of a live handle: the offset of its version word, or -1 when the
     * handle is no longer live.
     */
    int objectHeader(final long handle)
    {
        final int header = liveOffset(handle);
        if (header >= 0)
        {
            checkObject(handle, header);
        }
        return header;
    }

    /** The payload offset of a live block, or -1 when the handle is no longer live. */
    int liveOffset(final long handle)
    {
        if (!pool.isLive(handle))
        {
            return -1;
        }
        try
        {
            return pool.payloadOffset(handle);
        }
        catch (final io.shmtx.pool.HandleException ex)
        {
            return -1; // freed in between
        }
    }

    /** Whether a live block is a transactional object: its tier fits an object header, and the header has the tag. */
    boolean isObject(final long handle, final int header)
    {
        return tierPayload[io.shmtx.pool.Handles.tier(handle)] >= OBJECT_HEADER_SIZE
            && buffer.getInt(header + OBJECT_TAG_OFFSET) == OBJECT_TAG;
    }

    /**
     * Checks the header of a live object: its tag and its size against its block.
     *
     * @return the payload size.
     */
    int checkObject(final long handle, final int header)
    {
        final int tag = buffer.getInt(header + OBJECT_TAG_OFFSET);
        if (tag != OBJECT_TAG)
        {
            throw new ConsistencyException(file, "handle " + io.shmtx.pool.Handles.toString(handle)
                + " is not a transactional object (tag 0x" + Integer.toHexString(tag)
                + "): allocate objects with SharedMemory.allocate or Tx.allocate");
        }
        final int size = buffer.getInt(header + OBJECT_SIZE_OFFSET);
        final int capacity = tierPayload[io.shmtx.pool.Handles.tier(handle)] - OBJECT_HEADER_SIZE;
        if (size < 0 || size > capacity)
        {
            throw new ConsistencyException(file, "object " + io.shmtx.pool.Handles.toString(handle) + " has size " + size
                + " in its header, outside 0.." + capacity + " for its block: corrupt");
        }
        return size;
    }

    /**
     * Finishes or undoes the transaction in one log (see the class comment).
     *
     * @param logIndex  the log.
     * @param ownerSlot the slot the log belongs to (its unpublished allocations are owned by it).
     * @return what was done, or {@code null} when the log was idle.
     */
    String recover(final int logIndex, final int ownerSlot)
    {
        final int log = logOffset(logIndex);
        buffer.putLongRelease(log + LOG_SNAPSHOT_OFFSET, 0); // a dead reader's pin keeps no history
        final long stateWord = buffer.getLongVolatile(log + LOG_STATE_OFFSET);
        final int state = (int)(stateWord & 0xFF);
        if (state == STATE_IDLE)
        {
            buffer.putLongRelease(log + LOG_MODEL_OFFSET, 0); // a transaction that wrote nothing: withdraw its announcement
            return null;
        }
        if (state != STATE_ACTIVE && state != STATE_COMMITTING)
        {
            throw corrupt(logIndex, "state", stateWord);
        }
        final int count = buffer.getInt(log + LOG_OBJECT_COUNT_OFFSET);
        if (count < 0 || count > maxObjects)
        {
            throw corrupt(logIndex, "objectCount", count);
        }
        final long commitTs = buffer.getLong(log + LOG_COMMIT_TS_OFFSET);
        if (state == STATE_COMMITTING && (commitTs <= 0 || commitTs >= 1L << (64 - TS_SHIFT)))
        {
            throw corrupt(logIndex, "commitTs", commitTs);
        }
        final long[] handles = new long[count];
        final int[] flags = new int[count];
        final int[] headers = new int[count];
        final int[] sizes = new int[count];
        final boolean[] mine = new boolean[count];
        final long[] made = new long[count];
        for (int e = 0; e < count; e++)
        {
            final int entry = log + LOG_OBJECTS_OFFSET + e * LOG_ENTRY_SIZE;
            handles[e] = buffer.getLong(entry + ENTRY_HANDLE_OFFSET);
            flags[e] = buffer.getInt(entry + ENTRY_FLAGS_OFFSET);
            made[e] = buffer.getLong(entry + ENTRY_HISTORY_OFFSET);
            if ((flags[e] & ~(FLAG_WRITTEN | FLAG_ALLOCATED | FLAG_FREED)) != 0 || flags[e] == 0)
            {
                throw corrupt(logIndex, "entry[" + e + "].flags", flags[e]);
            }
            headers[e] = objectHeader(handles[e]);
            if (headers[e] >= 0)
            {
                sizes[e] = checkObject(handles[e], headers[e]);
                final long word = buffer.getLongVolatile(headers[e] + OBJECT_VERSION_OFFSET);
                mine[e] = isLocked(word) && locker(word) == logIndex + 1;
            }
        }
        final long modelWord = buffer.getLongVolatile(log + LOG_MODEL_OFFSET);
        if (!validModelWord(modelWord) || isSwitching(modelWord))
        {
            throw corrupt(logIndex, "model", "0x" + Long.toHexString(modelWord));
        }
        final String done;
        if (model(modelWord) == ConsistencyModel.SEQUENTIAL.ordinal())
        {
            done = state == STATE_ACTIVE
                ? undo(logIndex, log, handles, headers, sizes) + ", " + rollBack(handles, flags, headers, mine, ownerSlot)
                : finishSequential(commitTs, handles, flags, headers, ownerSlot);
        }
        else
        {
            done = state == STATE_ACTIVE
                ? rollBack(handles, flags, headers, mine, ownerSlot) + dropHistory(made, ownerSlot)
                : linkHistory(headers, mine, made, ownerSlot) + rollForward(logIndex, log, commitTs, handles, flags, headers, sizes,
                    mine, ownerSlot);
        }
        // IDLE before the counts are zeroed: a recoverer dying in between leaves an IDLE log (never read)
        // rather than an ACTIVE or COMMITTING one whose counts no longer match its records
        buffer.putLongRelease(log + LOG_STATE_OFFSET, (stateWord & ~0xFFL) | STATE_IDLE);
        buffer.putInt(log + LOG_OBJECT_COUNT_OFFSET, 0);
        buffer.putInt(log + LOG_REDO_BYTES_OFFSET, 0);
        buffer.putLongRelease(log + LOG_MODEL_OFFSET, 0);
        return "log " + logIndex + ": " + done;
    }

    private String rollBack(final long[] handles, final int[] flags, final int[] headers, final boolean[] mine, final int ownerSlot)
    {
        int unlocked = 0;
        int freed = 0;
        for (int e = 0; e < handles.length; e++)
        {
            if (headers[e] < 0 || !mine[e])
            {
                continue;
            }
            if ((flags[e] & FLAG_ALLOCATED) != 0)
            {
                if (pool.ownerSlot(handles[e]) == ownerSlot)
                {
                    pool.free(handles[e]);
                    freed++;
                }
            }
            else
            {
                final int at = headers[e] + OBJECT_VERSION_OFFSET;
                final long word = buffer.getLongVolatile(at);
                if (buffer.compareAndSetLong(at, word, word & ~LOCK_MASK))
                {
                    unlocked++;
                }
            }
        }
        return "rolled back (" + unlocked + " version locks released with the old value, " + freed + " allocations freed)";
    }

    private String rollForward(final int logIndex, final int log, final long commitTs, final long[] handles, final int[] flags,
        final int[] headers, final int[] sizes, final boolean[] mine, final int ownerSlot)
    {
        int applied = 0;
        for (final int record : records(logIndex, log, handles.length))
        {
            final int e = buffer.getInt(record + RECORD_ENTRY_OFFSET);
            if (headers[e] >= 0 && mine[e])
            {
                apply(logIndex, record, headers[e], sizes[e]);
                applied++;
            }
        }
        int released = 0;
        int freed = 0;
        for (int e = 0; e < handles.length; e++)
        {
            if (headers[e] < 0)
            {
                continue;
            }
            if ((flags[e] & (FLAG_ALLOCATED | FLAG_FREED)) == FLAG_ALLOCATED && pool.ownerSlot(handles[e]) == ownerSlot)
            {
                pool.publish(handles[e]);
            }
            if (!mine[e])
            {
                continue;
            }
            if ((flags[e] & FLAG_FREED) != 0)
            {
                history.freeChain(headers[e]);
                pool.free(handles[e]);
                freed++;
            }
            else
            {
                buffer.putLongRelease(headers[e] + OBJECT_VERSION_OFFSET, committed(commitTs));
                released++;
            }
        }
        return "rolled forward at ts " + commitTs + " (" + applied + " redo records applied, " + released
            + " objects released with the new value, " + freed + " freed)";
    }

    /** CAUSAL, ACTIVE: the history blocks the commit made are not linked: free those still unpublished. */
    private String dropHistory(final long[] made, final int ownerSlot)
    {
        int freed = 0;
        for (final long block : made)
        {
            if (block != 0 && pool.isLive(block) && pool.ownerSlot(block) == ownerSlot)
            {
                pool.free(block);
                freed++;
            }
        }
        return freed == 0 ? "" : ", " + freed + " unlinked versions freed";
    }

    /** CAUSAL, COMMITTING: the history blocks the commit made are linked (published first) before any write in place. */
    private String linkHistory(final int[] headers, final boolean[] mine, final long[] made, final int ownerSlot)
    {
        int linked = 0;
        for (int e = 0; e < made.length; e++)
        {
            if (made[e] != 0 && headers[e] >= 0 && mine[e] && pool.isLive(made[e]))
            {
                history.link(headers[e], made[e], ownerSlot);
                linked++;
            }
        }
        return linked == 0 ? "" : linked + " versions linked, ";
    }

    /**
     * The region offsets of the records of a log, in the order written, each checked: a whole
     * header and its bytes inside the used area, an entry index below {@code entries}.
     */
    private int[] records(final int logIndex, final int log, final int entries)
    {
        final int redoBytes = buffer.getInt(log + LOG_REDO_BYTES_OFFSET);
        if (redoBytes < 0 || redoBytes > redoCapacity)
        {
            throw corrupt(logIndex, "redoBytes", redoBytes);
        }
        final int redo = log + redoOffset;
        int[] found = new int[8];
        int n = 0;
        int position = 0;
        while (position < redoBytes)
        {
            if (redoBytes - position < RECORD_HEADER_SIZE)
            {
                throw corrupt(logIndex, "record@" + position, redoBytes);
            }
            final int record = redo + position;
            final int e = buffer.getInt(record + RECORD_ENTRY_OFFSET);
            final int length = buffer.getInt(record + RECORD_LENGTH_OFFSET);
            if (e < 0 || e >= entries || length < 0 || length > redoBytes - position - RECORD_HEADER_SIZE)
            {
                throw corrupt(logIndex, "record@" + position, e + "/" + buffer.getInt(record + RECORD_OFFSET_OFFSET) + "/" + length);
            }
            if (n == found.length)
            {
                found = java.util.Arrays.copyOf(found, n * 2);
            }
            found[n++] = record;
            position += RECORD_HEADER_SIZE + align8(length);
        }
        return java.util.Arrays.copyOf(found, n);
    }

    /** Copies a record's bytes into its object's payload, after checking they fit the object. */
    private void apply(final int logIndex, final int record, final int header, final int size)
    {
        final int offset = buffer.getInt(record + RECORD_OFFSET_OFFSET);
        final int length = buffer.getInt(record + RECORD_LENGTH_OFFSET);
        if (offset < 0 || offset > size - length)
        {
            throw corrupt(logIndex, "record@" + (record - logOffset(logIndex)) + ".offset", offset + "+" + length + " in " + size);
        }
        buffer.putBytes(header + OBJECT_HEADER_SIZE + offset, buffer, record + RECORD_HEADER_SIZE, length);
    }

    /**
     * SEQUENTIAL, ACTIVE: restores the before-images, newest first. The dead transaction still
     * holds the exclusive lock of every object it listed as written (it locked before listing, and
     * the lock table's recovery runs after this step), so nobody else wrote them since.
     */
    private String undo(final int logIndex, final int log, final long[] handles, final int[] headers, final int[] sizes)
    {
        final int[] records = records(logIndex, log, handles.length);
        int restored = 0;
        for (int k = records.length - 1; k >= 0; k--)
        {
            final int e = buffer.getInt(records[k] + RECORD_ENTRY_OFFSET);
            if (headers[e] >= 0)
            {
                apply(logIndex, records[k], headers[e], sizes[e]);
                restored++;
            }
        }
        return "undone (" + restored + " before-images restored)";
    }

    /**
     * SEQUENTIAL, COMMITTING: the writes in place are final; stamps the written objects' version
     * words, publishes the allocations, does the frees (each idempotent: a handle no longer live
     * was freed already).
     */
    private String finishSequential(final long commitTs, final long[] handles, final int[] flags, final int[] headers,
        final int ownerSlot)
    {
        int freed = 0;
        for (int e = 0; e < handles.length; e++)
        {
            if (headers[e] < 0)
            {
                continue;
            }
            if ((flags[e] & FLAG_FREED) != 0)
            {
                history.freeChain(headers[e]);
                pool.free(handles[e]);
                freed++;
                continue;
            }
            if ((flags[e] & FLAG_ALLOCATED) != 0)
            {
                if (pool.ownerSlot(handles[e]) == ownerSlot)
                {
                    pool.publish(handles[e]);
                }
            }
            else
            {
                history.freeChain(headers[e]); // left by a CAUSAL epoch, as the live commit does: no snapshot can need it now
            }
            buffer.putLongRelease(headers[e] + OBJECT_VERSION_OFFSET, committed(commitTs));
        }
        return "finished at ts " + commitTs + " (writes in place kept, " + freed + " freed)";
    }

    static int align8(final int length)
    {
        return (length + 7) & ~7;
    }

    private ConsistencyException corrupt(final int logIndex, final String field, final long value)
    {
        return corrupt(logIndex, field, String.valueOf(value));
    }

    private ConsistencyException corrupt(final int logIndex, final String field, final String value)
    {
        return new ConsistencyException(file, "transaction log " + logIndex + " (slot " + slotOf(logIndex) + ") field "
            + field + "=" + value + " cannot be true: log left as found");
    }
}
