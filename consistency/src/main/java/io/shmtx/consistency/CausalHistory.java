package io.shmtx.consistency;

import static io.shmtx.consistency.ConsistencyDescriptor.*;

import io.shmtx.pool.Handles;
import io.shmtx.pool.TieredPool;
import io.shmtx.region.Region;

import java.lang.invoke.VarHandle;
import java.nio.file.Path;

import org.agrona.concurrent.AtomicBuffer;

/**
 * Snapshot pins and the version history of objects, for CAUSAL: which older values are kept,
 * where readers find them, and when they are freed.
 *
 * <p>Threadsafe: pins are per log (written by the log's thread); a chain is changed only by the
 * holder of its object's version lock (a committer, or the recoverer of a dead committer).
 *
 * <h2>Layout</h2>
 * The newest committed value of an object lives in place (its version word holds its commit
 * timestamp); the object header's history handle starts a chain of history blocks, newest
 * first, each holding an older value and the timestamp it was committed at. A chain block is
 * <i>superseded</i> at the timestamp of the next newer value (the one in place for the first).
 *
 * <h2>Pins</h2>
 * A CAUSAL transaction publishes its snapshot in its log before it reads: it reads the clock P,
 * stores P in its pin (volatile: a full fence), reads the clock again, and starts over with the
 * new value until both reads agree; the snapshot is that value. A committer takes its commit
 * timestamp C from the clock before it scans the pins. If the scan missed a pin, the scan came
 * before the pin's store, so C was taken before the reader's second clock read: the reader's
 * snapshot is at least C and it needs none of the values C replaces. So a committer that finds no
 * pin p of another log with {@code V <= p < C}, for the timestamp V of the value it replaces,
 * may overwrite that value without keeping it; otherwise it copies the value into a new history
 * block first. Equally, a block superseded at X is needed by no snapshot once every pin seen is
 * at least X (any pin missed is at least the scanner's C &gt; X): then it is freed.
 *
 * <h2>Commit (write set locked, then its commit timestamp C taken)</h2>
 * Make the history block (owned by this process, unpublished: a crash leaves it to the pool's
 * recovery), record it in the log entry; state COMMITTING (commit point); publish the block and
 * store it as the object's history handle (release), a store-store fence, then apply the redo
 * records in place; trim; release the version word with C. Recovery of a COMMITTING log links a
 * recorded block that is not linked yet (publishing it first), then rolls forward as RELEASE does.
 *
 * <h2>Reads at snapshot S</h2>
 * Version word unlocked and not newer than S: the value in place (validated seqlock-style).
 * Newer: the first chain block whose timestamp is not newer than S. Locked: a commit of the
 * object is in progress; the reader waits until the version word is released (recovering a dead
 * committer), then reads again: a commit at C &le; S has put the value S needs in place; one at
 * C &gt; S has kept the value it replaced in the chain (it saw the reader's pin, by the argument
 * above), so the chain has it. A reader never reads in place while a commit holds the object.
 * The blocks a reader walks are newer than or the one it needs; their superseding timestamps are
 * above its pin, so nobody frees them while it reads.
 *
 * <h2>Trimming</h2>
 * Under the object's lock: walk the chain; at the first block superseded at or before the
 * smallest pin, that block and every older one go: freed oldest first, then the link to them
 * cut. A crash in between leaves a chain whose tail names a freed handle (generation changed):
 * walkers treat a handle that is not live as the end, and the next trim cuts there, so nothing
 * is lost or freed twice.
 */
final class CausalHistory
{
    private final AtomicBuffer buffer;
    private final Path file;
    private final TieredPool pool;
    private final Region region;
    private final TxLogs logs;
    private final int versionsAlive;

    CausalHistory(final Region region, final TieredPool pool, final TxLogs logs)
    {
        this.region = region;
        this.buffer = region.buffer();
        this.file = region.file();
        this.pool = pool;
        this.logs = logs;
        this.versionsAlive = logs.base() + VERSIONS_ALIVE_OFFSET;
    }

    // ------------------------------------------------------------------ pins

    /** Publishes a snapshot pin in log {@code log} (region offset) and returns the snapshot. */
    long pin(final int log)
    {
        long s = region.currentTimestamp();
        while (true)
        {
            buffer.putLongVolatile(log + LOG_SNAPSHOT_OFFSET, s);
            final long again = region.currentTimestamp();
            if (again == s)
            {
                return s;
            }
            s = again;
        }
    }

    void unpin(final int log)
    {
        buffer.putLongRelease(log + LOG_SNAPSHOT_OFFSET, 0);
    }

    /**
     * Collects the pins of every log but {@code ownLog} (index) into {@code pins} (at least
     * {@link TxLogs#logCount()} long).
     *
     * @return how many.
     */
    int collectPins(final int ownLog, final long[] pins)
    {
        final int n = logs.logCount();
        int found = 0;
        for (int k = 0; k < n; k++)
        {
            if (k != ownLog)
            {
                final long p = buffer.getLongVolatile(logs.logOffset(k) + LOG_SNAPSHOT_OFFSET);
                if (p != 0)
                {
                    pins[found++] = p;
                }
            }
        }
        return found;
    }

    static long minPin(final long[] pins, final int n)
    {
        long min = Long.MAX_VALUE;
        for (int k = 0; k < n; k++)
        {
            min = Math.min(min, pins[k]);
        }
        return min;
    }

    /** Whether a pin needs the value committed at {@code valueTs} that a commit at {@code commitTs} replaces. */
    static boolean needed(final long[] pins, final int n, final long valueTs, final long commitTs)
    {
        for (int k = 0; k < n; k++)
        {
            if (pins[k] >= valueTs && pins[k] < commitTs)
            {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ chains

    /** A new, unpublished history block holding the object's value in place, committed at {@code valueTs}. */
    long copy(final int header, final int size, final long valueTs)
    {
        final long block = pool.allocate(size + OBJECT_HEADER_SIZE);
        final int at = pool.payloadOffset(block);
        buffer.putBytes(at + OBJECT_HEADER_SIZE, buffer, header + OBJECT_HEADER_SIZE, size);
        buffer.putLong(at + HISTORY_TS_OFFSET, valueTs);
        buffer.putLong(at + HISTORY_NEXT_OFFSET, buffer.getLongVolatile(header + OBJECT_HISTORY_OFFSET));
        buffer.putInt(at + HISTORY_SIZE_OFFSET, size);
        buffer.putInt(at + HISTORY_TAG_OFFSET, HISTORY_TAG);
        return block;
    }

    /** Publishes {@code block} and makes it the object's newest history; idempotent. Before any write in place. */
    void link(final int header, final long block, final int ownerSlot)
    {
        if (buffer.getLongVolatile(header + OBJECT_HISTORY_OFFSET) == block)
        {
            return;
        }
        if (pool.ownerSlot(block) == ownerSlot)
        {
            pool.publish(block);
        }
        buffer.putLongRelease(header + OBJECT_HISTORY_OFFSET, block);
        buffer.getAndAddLong(versionsAlive, 1);
        VarHandle.storeStoreFence(); // the link before any write in place
    }

    /**
     * Frees the blocks of the object's chain that no pin needs: from the first one superseded at
     * or before {@code minPin} ({@code newestTs}: the timestamp that supersedes the first block).
     *
     * @return blocks freed.
     */
    int trim(final int header, final long newestTs, final long minPin)
    {
        long superseding = newestTs;
        int link = header + OBJECT_HISTORY_OFFSET;
        long h = buffer.getLongVolatile(link);
        while (h != 0)
        {
            final int at = block(h);
            if (at < 0)
            {
                buffer.putLongRelease(link, 0); // the tail of a trim cut short by a crash: freed already
                return 0;
            }
            if (superseding <= minPin)
            {
                final int freed = freeFrom(h, superseding, -1);
                buffer.putLongRelease(link, 0);
                return freed;
            }
            superseding = olderTs(h, at, superseding);
            link = at + HISTORY_NEXT_OFFSET;
            h = buffer.getLongVolatile(link);
        }
        return 0;
    }

    /** Frees an object's whole chain (the object is being freed, or no pin can exist). */
    int freeChain(final int header)
    {
        return freeChain(header, -1);
    }

    /**
     * Frees the chain of an object whose reference count reached zero, just before the object
     * itself is freed: in the name of {@code deadSlot} when a recovery dropped the last reference
     * (the recovering process may not be attached), else through this process's cache. A block
     * that is not a transactional object (a module below used the reference counts directly) is
     * left alone. Idempotent: a recoverer that runs it again after a death frees what is left.
     */
    void freeChainOfReleased(final long handle, final int deadSlot)
    {
        final int header = logs.liveOffset(handle);
        if (header >= 0 && logs.isObject(handle, header))
        {
            freeChain(header, deadSlot);
        }
    }

    private int freeChain(final int header, final int deadSlot)
    {
        final long h = buffer.getLongVolatile(header + OBJECT_HISTORY_OFFSET);
        if (h == 0)
        {
            return 0;
        }
        final int freed = freeFrom(h, Long.MAX_VALUE, deadSlot);
        buffer.putLongRelease(header + OBJECT_HISTORY_OFFSET, 0);
        return freed;
    }

    /**
     * Frees the chain from {@code first} on (its blocks older than {@code newer}), oldest first
     * (so a crash leaves a walkable prefix). The whole chain is checked before anything is freed.
     */
    private int freeFrom(final long first, final long newer, final int deadSlot)
    {
        int n = 0;
        long[] chain = new long[4];
        long bound = newer;
        for (long h = first; h != 0; )
        {
            final int at = block(h);
            if (at < 0)
            {
                break;
            }
            bound = olderTs(h, at, bound);
            if (n == chain.length)
            {
                chain = java.util.Arrays.copyOf(chain, n * 2);
            }
            chain[n++] = h;
            h = buffer.getLongVolatile(at + HISTORY_NEXT_OFFSET);
        }
        for (int k = n - 1; k >= 0; k--)
        {
            buffer.getAndAddLong(versionsAlive, -1);
            if (deadSlot < 0)
            {
                pool.free(chain[k]);
            }
            else
            {
                pool.freeInRecovery(chain[k], deadSlot);
            }
        }
        return n;
    }

    /**
     * Copies the value of the chain's newest block not newer than {@code snapshot}; {@code -1}
     * when the chain (as far as it is live) has none, else 0.
     */
    int readAt(final int header, final long handle, final long snapshot, final int offset, final int length,
        final AtomicBuffer dst, final int dstOff)
    {
        long h = buffer.getLongVolatile(header + OBJECT_HISTORY_OFFSET);
        long newer = Long.MAX_VALUE;
        while (h != 0)
        {
            final int at = block(h);
            if (at < 0)
            {
                return -1;
            }
            newer = olderTs(h, at, newer);
            if (newer <= snapshot)
            {
                final int size = buffer.getInt(at + HISTORY_SIZE_OFFSET);
                if (offset > size - length)
                {
                    throw new ConsistencyException(file, "history block " + Handles.toString(h) + " of object "
                        + Handles.toString(handle) + " holds " + size + " bytes, too few for offset " + offset + "+" + length
                        + ": corrupt");
                }
                buffer.getBytes(at + OBJECT_HEADER_SIZE + offset, dst, dstOff, length);
                return 0;
            }
            h = buffer.getLongVolatile(at + HISTORY_NEXT_OFFSET);
        }
        return -1;
    }

    /**
     * The timestamp of history block {@code h} (payload at {@code at}), checked to be older than
     * {@code newer}, the block or value before it: a chain runs newest first, so timestamps fall
     * strictly along it. A block that breaks this is corrupt, and a cycle always does, so every walk
     * of a chain ends even on a damaged region.
     */
    private long olderTs(final long h, final int at, final long newer)
    {
        final long ts = buffer.getLong(at + HISTORY_TS_OFFSET);
        if (ts < 0 || ts >= newer)
        {
            throw new ConsistencyException(file, "history chain: block " + Handles.toString(h) + " has timestamp " + ts
                + ", not older than the " + newer + " before it (chains run newest first): corrupt, perhaps a cycle");
        }
        return ts;
    }

    /** The payload offset of a live history block, or -1 when the handle is no longer live; a block that is not history is corrupt. */
    private int block(final long h)
    {
        final int at = logs.liveOffset(h);
        if (at < 0)
        {
            return -1;
        }
        final int tag = buffer.getInt(at + HISTORY_TAG_OFFSET);
        if (tag != HISTORY_TAG)
        {
            throw new ConsistencyException(file, "history chain names block " + Handles.toString(h) + " with tag 0x"
                + Integer.toHexString(tag) + ", not a history block: corrupt");
        }
        return at;
    }

    /** History blocks linked and not freed (approximate after crashes: a death between a free and its count). */
    long versionsAlive()
    {
        return buffer.getLongVolatile(versionsAlive);
    }
}
