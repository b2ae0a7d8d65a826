package io.shmtx.consistency;

import static io.shmtx.consistency.ConsistencyDescriptor.*;

import io.shmtx.pool.Handles;
import io.shmtx.pool.PoolExhaustedException;

import java.lang.invoke.VarHandle;

import org.agrona.concurrent.AtomicBuffer;

/**
 * CAUSAL: snapshot reads (see {@link CausalHistory}), writes buffered and published as under
 * RELEASE (see {@link OptimisticProtocol}).
 *
 * <p>Begin pins a snapshot in the log. A read returns the newest value not newer than the
 * snapshot, in place or from the object's history chain; it waits only while a commit of that
 * object is in progress (or recovers its dead committer), then reads again: if that commit is
 * newer than the snapshot, it has by then kept the value the snapshot needs in the chain (it saw
 * the pin, see below). A read-only transaction never aborts. Commit locks the write set (a
 * value newer than the snapshot aborts: the first committer wins), takes the commit timestamp
 * after the locks, keeps in a history block each replaced value a pin still needs (linked after
 * the commit record), then publishes.
 *
 * <p>Why every read sees the snapshot S: a commit with timestamp C &gt; S replaces a value only
 * while it holds the object's lock, and it reads every pin after taking C. The pin and the clock
 * form a store-load handshake ({@link CausalHistory#pin}, the jcstress test
 * {@code Tx_03_SnapshotPinHandshake}): either the committer sees the pin S and keeps the value
 * S needs in the chain before it applies anything, or the reader's clock read came after C was
 * taken and S would be at least C. A reader that meets the object unlocked with a value not
 * newer than S reads it in place (version word before and after); newer, it reads the chain;
 * locked, it waits for the commit to end and looks again. Every transaction's view is thus one
 * snapshot of the committed state, closed under the commits before it (each commit is wholly
 * before or after the snapshot): causal consistency with atomic visibility.
 */
final class CausalProtocol extends OptimisticProtocol
{
    private final CausalHistory history;
    /** At commit: the other logs' pins. */
    private final long[] pins;

    CausalProtocol(final Tx tx)
    {
        super(tx, true); // first committer wins
        this.history = logs.history;
        this.pins = new long[logs.logCount()];
    }

    @Override
    void begin(final boolean retry)
    {
        snapshot = history.pin(log);
    }

    @Override
    void ended()
    {
        history.unpin(log);
    }

    /**
     * The bytes of object {@code i} as of the snapshot: in place, or from the history chain;
     * waits only while a commit of the object is in progress (or recovers its dead committer).
     */
    @Override
    void read(final int i, final int at, final int offset, final int length, final AtomicBuffer dst, final int dstOff)
    {
        final int header = tx.headers[i];
        for (int spins = 0; ; spins++)
        {
            final long v1 = buffer.getLongVolatile(header);
            final long valueTs = v1 >>> TS_SHIFT;
            if ((v1 & LOCK_BIT) == 0)
            {
                if (valueTs <= snapshot)
                {
                    buffer.getBytes(at, dst, dstOff, length);
                    VarHandle.loadLoadFence();
                    if (buffer.getLongVolatile(header) == v1)
                    {
                        tx.watched(i, valueTs);
                        return;
                    }
                    continue;
                }
                readHistory(i, offset, length, dst, dstOff, v1);
                return;
            }
            // a commit in progress: wait for its end (or recover its dead committer), then read again. If its
            // timestamp is newer than the snapshot, the value the snapshot needs is in the chain by then.
            awaitCommit(checkedLocker(tx.handles[i], v1), spins);
        }
    }

    private void readHistory(final int i, final int offset, final int length, final AtomicBuffer dst, final int dstOff,
        final long word)
    {
        tx.watched(i, snapshot); // older than the value in place: a retry() does not wait
        if (history.readAt(tx.headers[i], tx.handles[i], snapshot, offset, length, dst, dstOff) != 0)
        {
            throw new ConsistencyException(file, "object " + Handles.toString(tx.handles[i]) + " has no value at or before"
                + " snapshot " + snapshot + " (its value is from " + (word >>> TS_SHIFT) + " and no older one is kept):"
                + " its handle was not reached through this transaction's snapshot");
        }
    }

    /** A commit of log {@code locker} is in progress: spin, then back off, recovering its process if it died. */
    private void awaitCommit(final int locker, final int spins)
    {
        if (spins < SPINS_BEFORE_PROBE)
        {
            Thread.onSpinWait();
            return;
        }
        final int slot = logs.slotOf(locker);
        if ((spins & 63) == 0 && slot != region.slot() && !region.isAlive(slot))
        {
            region.recoverDeadSlots();
            return;
        }
        java.util.concurrent.locks.LockSupport.parkNanos(1_000);
    }

    /**
     * Write set locked: copies each value a pin still needs into a new history block (recorded
     * in the log entry, linked after the commit record).
     *
     * @return the smallest pin of the other logs, for trimming.
     */
    @Override
    long prepare(final long commitTs)
    {
        shm.commitHook(SharedMemory.HOOK_VALIDATED);
        final int n = history.collectPins(tx.logIndex, pins);
        final int count = tx.count;
        for (int i = 0; i < count; i++)
        {
            final int f = tx.flags[i];
            if ((f & (LOCKED | FLAG_WRITTEN | FLAG_FREED)) == (LOCKED | FLAG_WRITTEN)
                && CausalHistory.needed(pins, n, tx.seen[i] >>> TS_SHIFT, commitTs))
            {
                final long block;
                try
                {
                    block = history.copy(tx.headers[i], tx.sizes[i], tx.seen[i] >>> TS_SHIFT);
                }
                catch (final PoolExhaustedException ex)
                {
                    // old snapshots hold the pool's memory: wait for them (retry with back-off) rather than lose a value they need
                    tx.abort(AbortReason.HISTORY_FULL, tx.handles[i], "no pool block for the version a snapshot still needs: "
                        + ex.getMessage());
                    return 0;
                }
                tx.made[i] = block;
                buffer.putLong(log + LOG_OBJECTS_OFFSET + tx.entries[i] * LOG_ENTRY_SIZE + ENTRY_HISTORY_OFFSET, block);
            }
        }
        return CausalHistory.minPin(pins, n);
    }
}
