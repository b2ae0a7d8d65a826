package io.shmtx.consistency;

import static io.shmtx.consistency.ConsistencyDescriptor.*;

import io.shmtx.deadlock.LockMode;
import io.shmtx.deadlock.TxAbortedException;
import io.shmtx.deadlock.Txn;
import io.shmtx.pool.Handles;
import io.shmtx.pool.TieredPool;
import io.shmtx.region.Region;

import java.lang.invoke.VarHandle;
import java.nio.file.Path;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A transaction over shared objects, under the model in force when it began (each attempt of
 * {@code transact} takes the model anew; an attempt never changes model, see {@link ModelSwitch}).
 * Get one from {@link SharedMemory#transact}, {@link SharedMemory#readOnly} or {@link SharedMemory#begin()}.
 *
 * <p>Not threadsafe: a {@code Tx} belongs to the thread that began it; a call from another
 * thread, or after the transaction ended, throws {@link IllegalStateException}. Each thread
 * reuses one {@code Tx} object (and its buffers) for all its transactions, so keep no reference
 * to it past the end of a transaction. Nested transactions on one thread are refused:
 * {@code transact}, {@code readOnly} and {@code begin} while this thread's transaction runs throw
 * {@link IllegalStateException} (use the {@code Tx} at hand).
 *
 * <p>Offsets are bytes into the object's payload (its size is what it was allocated with);
 * an access outside it throws {@link IndexOutOfBoundsException} naming the object. Multi-byte
 * values are in the platform's byte order.
 *
 * <h2>Protocol (RELEASE, after TL2)</h2>
 * Every object carries a version word: the commit timestamp of its value, a lock bit and the
 * locking log (see {@link ConsistencyDescriptor}). A transaction takes a snapshot timestamp from
 * the region clock at begin.
 * <ul>
 *   <li>Read: version, payload, load-load fence, version again. The value is accepted when both
 *       versions are equal, unlocked and not newer than the snapshot. A newer version first tries
 *       to move the snapshot forward (take the clock again, check that everything read so far is
 *       unchanged); otherwise the transaction aborts. A locked version is waited for a few
 *       spins, then its owner's liveness is asked: dead → recovery runs and the attempt is retried,
 *       alive → the attempt aborts (LOCKED).</li>
 *   <li>Write: buffered as a redo record in this thread's log (in the region, but meaningless
 *       until the log says COMMITTING); reads of an object this transaction wrote see its writes.
 *       Objects allocated in the transaction are private to it: written in place.</li>
 *   <li>Commit: lock each written object by a CAS of its version word from the version this
 *       transaction read (a blind write: from the current one); no waiting, so no deadlock: a
 *       failed CAS aborts. Take a commit timestamp from the region clock; unless it directly
 *       follows the snapshot, check every object read is unchanged. Then commit timestamp and
 *       state COMMITTING (release store), apply the redo records, publish allocations, release
 *       each lock by storing the new version (release store), free what was freed, state IDLE.</li>
 * </ul>
 * Why it is serializable: a committed writer held every object it wrote locked from before it
 * took its timestamp until its values were in place, so a reader that accepts a version not
 * newer than its snapshot sees either a writer's complete values or none, and a snapshot-time
 * view of every object it reads (TL2's argument; the snapshot extension re-establishes it at the
 * new time). A writing transaction is ordered at its commit timestamp: its reads were still
 * current then (checked while its writes were locked). Why it is crash-atomic: see
 * {@link TxLogs}. A read-only transaction stores only its announcement (one word of its log).
 *
 * <h2>Protocol (SEQUENTIAL: strict two-phase locking)</h2>
 * Each thread's {@code Tx} keeps a lock-table transaction ({@link io.shmtx.deadlock.Txn}), renewed
 * (fresh age) per transaction and restarted (same age) per retry. A read takes the object's
 * shared lock, a write its exclusive lock, then appends the bytes it replaces to the log as an
 * undo record (published by a release store of the used length, then a store-store fence) and
 * writes in place. Commit: the lock table's committing point ({@link io.shmtx.deadlock.Txn#prepareCommit()}:
 * no wound lands after it), commit timestamp and state COMMITTING (from here the writes are
 * final), version words stamped with the timestamp, allocations published, frees, log IDLE, and
 * only then the locks released. Any abort, including one the lock table decides inside a lock
 * request or at commit (a wound, WAIT_DIE, the wait bound), restores the undo records newest
 * first and clears the log through the lock table's abort hook, before the locks go. Why it is
 * strictly serializable: every object is read or written under a lock held to the end, so
 * transactions are ordered by their committing points, which fall inside their real-time spans;
 * nobody sees a value that is later undone (undo happens under the exclusive lock).
 *
 * <h2>Protocol (CAUSAL: snapshot reads, see {@link CausalHistory})</h2>
 * Begin pins a snapshot in the log. Reads return the newest value not newer than the snapshot,
 * in place or from the history chain; a read-only transaction never aborts. Writes are buffered
 * as under RELEASE; commit locks the write set (a value newer than the snapshot aborts: the
 * first committer wins), takes the commit timestamp after the locks, keeps in history each
 * replaced value a pin still needs, then proceeds as RELEASE. Every transaction's view is one
 * snapshot of the committed state, closed under the commits before it (each commit is wholly
 * before or after the snapshot): causal consistency with atomic visibility.
 */
public final class Tx implements AutoCloseable
{
    private static final int ENDED = 0;
    private static final int RUNNING = 1;
    private static final int ABORTED = 2;

    /** Private flags, beside the shared FLAG_WRITTEN / FLAG_ALLOCATED / FLAG_FREED. */
    private static final int READ = 16;
    private static final int LOCKED = 32;
    /** SEQUENTIAL: the lock table's shared lock on the object is held. */
    private static final int SHARED = 64;
    /** SEQUENTIAL: the lock table's exclusive lock on the object is held. */
    private static final int EXCLUSIVE = 128;
    private static final int SEQUENTIAL = ConsistencyModel.SEQUENTIAL.ordinal();
    private static final int CAUSAL = ConsistencyModel.CAUSAL.ordinal();
    private static final long NONE = -1;
    private static final int SPINS_BEFORE_PROBE = 256;
    private static final int INITIAL_OBJECTS = 16;

    /** Thrown inside a transact body to unwind an aborted attempt; never escapes transact. */
    static final class AbortSignal extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        AbortSignal()
        {
            super("transaction attempt aborted (internal signal: let it propagate out of the transaction body)", null, false, false);
        }
    }

    static final AbortSignal SIGNAL = new AbortSignal();

    private final SharedMemory shm;
    private final TxLogs logs;
    private final Region region;
    private final TieredPool pool;
    private final AtomicBuffer buffer;
    private final Path file;
    private final Thread owner;
    private final int logIndex;
    private final int log;
    private final int redoBase;
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[16]);
    private final UnsafeBuffer wrapper = new UnsafeBuffer(new byte[0]);

    private final ModelSwitch modelSwitch;
    private int status = ENDED;
    /** The model word this attempt runs under. */
    private long modelWord;
    /** The model ordinal this attempt runs under. */
    private int model;
    /** SEQUENTIAL: this thread's lock-table transaction (kept across transactions: renewed, or restarted for a retry). */
    private Txn txn;
    private final CausalHistory history;
    /** CAUSAL commit: the other logs' pins. */
    private final long[] pins;
    private boolean readOnly;
    private boolean managed;
    private long snapshot;
    private long sequence;

    private long[] handles = new long[INITIAL_OBJECTS];
    private int[] headers = new int[INITIAL_OBJECTS];
    private int[] sizes = new int[INITIAL_OBJECTS];
    private long[] seen = new long[INITIAL_OBJECTS];
    /** CAUSAL: the history block this commit made for the object, 0 if none. */
    private long[] made = new long[INITIAL_OBJECTS];
    /** The version timestamp of the value first read from the object, -1 if not read: what {@link #retry()} waits to see change. */
    private long[] watch = new long[INITIAL_OBJECTS];
    private long[] waitHeaders = new long[INITIAL_OBJECTS];
    private long[] waitHandles = new long[INITIAL_OBJECTS];
    private long[] waitTs = new long[INITIAL_OBJECTS];
    private int waitCount;
    private long waitDeadline;
    private boolean retryPending;
    private org.agrona.concurrent.IdleStrategy idle;
    private int[] flags = new int[INITIAL_OBJECTS];
    private int[] entries = new int[INITIAL_OBJECTS];
    private int count;
    /** Open addressing: handle hash to object index + 1. */
    private int[] table = new int[INITIAL_OBJECTS * 2];
    private int written;
    private int redoUsed;
    private int lastRecord = -1;
    private int[] undoPositions = new int[INITIAL_OBJECTS];
    /** Whether the last {@link #record} call found the same range as the record before it. */
    private boolean recordReused;

    private AbortReason abortReason;
    private long abortHandle;
    private String abortDetail;
    private long commits;
    private long aborts;

    Tx(final SharedMemory shm, final TxLogs logs, final int logIndex, final Thread owner)
    {
        this.shm = shm;
        this.logs = logs;
        this.region = shm.region();
        this.pool = shm.pool();
        this.buffer = region.buffer();
        this.file = region.file();
        this.owner = owner;
        this.logIndex = logIndex;
        this.log = logs.logOffset(logIndex);
        this.redoBase = log + logs.redoOffset;
        this.modelSwitch = shm.modelSwitch();
        this.history = logs.history;
        this.pins = new long[logs.logCount()];
    }

    // ------------------------------------------------------------------ life cycle (package)

    /**
     * Begins an attempt.
     *
     * @param retry whether it retries the attempt before (under SEQUENTIAL it keeps its age).
     */
    void start(final boolean readOnly, final boolean managed, final boolean retry)
    {
        final long word = modelSwitch.enter(log);
        this.modelWord = word;
        this.model = ConsistencyDescriptor.model(word);
        this.readOnly = readOnly;
        this.managed = managed;
        if (model == SEQUENTIAL)
        {
            try
            {
                beginLocks(retry);
            }
            catch (final RuntimeException | Error ex)
            {
                modelSwitch.leave(log);
                throw ex;
            }
        }
        else if (model == CAUSAL)
        {
            this.snapshot = history.pin(log);
        }
        else
        {
            this.snapshot = region.currentTimestamp();
        }
        this.status = RUNNING;
    }

    private void beginLocks(final boolean retry)
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

    boolean isRunning()
    {
        return status == RUNNING;
    }

    boolean wasAborted()
    {
        return status == ABORTED;
    }

    Thread owner()
    {
        return owner;
    }

    int logIndex()
    {
        return logIndex;
    }

    AbortReason abortReason()
    {
        return abortReason;
    }

    String abortDescription()
    {
        return (abortDetail != null ? abortDetail : "") + (abortHandle != 0 ? " (object " + Handles.toString(abortHandle) + ")" : "");
    }

    long modelWord()
    {
        return modelWord;
    }

    long commits()
    {
        return commits;
    }

    private void countCommit()
    {
        commits++;
        count(COUNTER_COMMITS);
    }

    /** Adds one to a counter of this log (only this thread writes it; readers sum them, see {@link SharedMemory#stats()}). */
    void count(final int counter)
    {
        final int at = log + LOG_COUNTERS_OFFSET + counter * Long.BYTES;
        buffer.putLongRelease(at, buffer.getLong(at) + 1);
    }

    long aborts()
    {
        return aborts;
    }

    /** Commit for {@code transact}: an abort throws {@link #SIGNAL} after rolling back. */
    void commitManaged()
    {
        if (model == SEQUENTIAL)
        {
            commitSequential();
            return;
        }
        if (written == 0)
        {
            end(ENDED);
            countCommit();
            return;
        }
        shm.commitHook(SharedMemory.HOOK_ACTIVE);
        if (model == CAUSAL)
        {
            lockWriteSet();
            final long commitTs = region.nextTimestamp();
            shm.commitHook(SharedMemory.HOOK_VALIDATED);
            publish(commitTs, keepHistory(commitTs));
        }
        else
        {
            lockWriteSet();
            final long commitTs = region.nextTimestamp();
            if (commitTs != snapshot + 1)
            {
                validateReads();
            }
            shm.commitHook(SharedMemory.HOOK_VALIDATED);
            publish(commitTs, Long.MAX_VALUE);
        }
        countCommit();
    }

    /** Rolls back whatever is held and ends the transaction; does nothing when not running. */
    void rollBackIfRunning()
    {
        if (status == RUNNING)
        {
            rollBack();
            end(ENDED);
        }
    }

    // ------------------------------------------------------------------ manual API

    /**
     * Commits a transaction begun with {@link SharedMemory#begin()}: its writes become visible at
     * once, with release semantics. A transaction run by {@code transact} is committed by it:
     * calling this there throws {@link IllegalStateException}.
     *
     * @throws TransactionAbortedException when a conflict was found; nothing is visible and the
     *                                     transaction has ended.
     * @throws IllegalStateException       when the transaction has ended, belongs to another
     *                                     thread or is run by {@code transact}.
     */
    public void commit()
    {
        checkRunning();
        if (managed)
        {
            throw new IllegalStateException("region " + file + ": a transaction run by transact/readOnly commits when its body returns");
        }
        try
        {
            commitManaged();
        }
        catch (final AbortSignal signal)
        {
            throw aborted();
        }
    }

    /**
     * Rolls back a transaction begun with {@link SharedMemory#begin()}: nothing it wrote becomes
     * visible, objects it allocated are freed. Does nothing when it has already ended.
     *
     * @throws IllegalStateException when called from another thread, or inside {@code transact}
     *                               (throw from the body instead).
     */
    public void abort()
    {
        checkThread();
        if (managed && status == RUNNING)
        {
            throw new IllegalStateException("region " + file + ": to abort a transaction run by transact, throw from its body");
        }
        rollBackIfRunning();
    }

    /**
     * Ends a manual transaction: aborts it unless it was committed.
     */
    @Override
    public void close()
    {
        if (Thread.currentThread() == owner && !managed)
        {
            rollBackIfRunning();
        }
    }

    /**
     * The model this transaction runs under (fixed for the whole attempt, even while a switch
     * to another model waits for it).
     *
     * @return the model.
     */
    public ConsistencyModel model()
    {
        checkRunning();
        return ConsistencyModel.values()[ConsistencyDescriptor.model(modelWord)];
    }

    /**
     * The model epoch this transaction runs in.
     *
     * @return the epoch.
     */
    public long epoch()
    {
        checkRunning();
        return ConsistencyDescriptor.epoch(modelWord);
    }

    /**
     * Gives up this attempt and waits until a committed transaction changes one of the objects
     * it has read, then {@code transact} runs the body again (the STM {@code retry}, across
     * processes): how a consumer waits for a producer through shared objects. Waits with the
     * configuration's {@link SharedMemoryConfig#idleStrategy()}, with no deadline. Nothing this
     * attempt wrote becomes visible. Writes made without a transaction (e.g.
     * {@link SharedMemory#putLong}) do not wake it: they change no version.
     *
     * @throws IllegalStateException when the transaction was begun by {@link SharedMemory#begin()}
     *                               (call it in a {@code transact} or {@code readOnly} body), or read nothing.
     */
    public void retry()
    {
        retry(null);
    }

    /**
     * As {@link #retry()}, waiting at most {@code timeout}.
     *
     * @param timeout the longest wait, or {@code null} for none.
     * @throws RetryTimeoutException when nothing read changed in {@code timeout} (thrown by
     *                               {@code transact}, the transaction rolled back).
     */
    public void retry(final java.time.Duration timeout)
    {
        checkRunning();
        if (!managed)
        {
            throw new IllegalStateException("region " + file + ": retry() waits and runs the body again: call it in a"
                + " transact or readOnly body, not in a transaction from begin()");
        }
        int n = 0;
        for (int i = 0; i < count; i++)
        {
            if (watch[i] >= 0)
            {
                if (n == waitHandles.length)
                {
                    waitHandles = java.util.Arrays.copyOf(waitHandles, n * 2);
                    waitHeaders = java.util.Arrays.copyOf(waitHeaders, n * 2);
                    waitTs = java.util.Arrays.copyOf(waitTs, n * 2);
                }
                waitHandles[n] = handles[i];
                waitHeaders[n] = headers[i];
                waitTs[n] = watch[i];
                n++;
            }
        }
        rollBack();
        end(ABORTED);
        if (n == 0)
        {
            throw new IllegalStateException("region " + file + ": retry() in a transaction that read no shared object"
                + " would wait for ever");
        }
        waitCount = n;
        waitDeadline = timeout == null ? 0 : System.nanoTime() + Math.max(1, timeout.toNanos());
        retryPending = true;
        throw SIGNAL;
    }

    boolean retryPending()
    {
        return retryPending;
    }

    /** After {@link #retry()}: waits until an object read has a new committed version (or is freed), or the deadline. */
    void awaitChange()
    {
        retryPending = false;
        count(COUNTER_RETRY_WAITS);
        if (idle == null)
        {
            idle = shm.config().idleStrategy().get();
        }
        idle.reset();
        while (true)
        {
            for (int k = 0; k < waitCount; k++)
            {
                if ((buffer.getLongVolatile((int)waitHeaders[k]) >>> TS_SHIFT) != waitTs[k] || !pool.isLive(waitHandles[k]))
                {
                    return;
                }
            }
            if (waitDeadline != 0 && System.nanoTime() - waitDeadline > 0)
            {
                throw new RetryTimeoutException(file, "retry() waited its whole timeout: none of the " + waitCount
                    + " objects read (first " + Handles.toString(waitHandles[0]) + ") was changed by a committed transaction");
            }
            idle.idle();
        }
    }

    /**
     * Reads a long of an object this transaction means to write: under SEQUENTIAL it takes the
     * exclusive lock at once (no shared lock to upgrade later, so two such transactions cannot
     * deadlock on an upgrade); under RELEASE and CAUSAL the object joins the write set (locked
     * and checked at commit like a written one).
     *
     * @param handle object.
     * @param offset byte offset in the payload.
     * @return the value as of this transaction.
     */
    public long getForUpdate(final long handle, final int offset)
    {
        final int i = writable(handle);
        at(i, offset, Long.BYTES);
        if (model == SEQUENTIAL)
        {
            lockExclusive(i);
        }
        else if ((flags[i] & (FLAG_ALLOCATED | FLAG_WRITTEN)) == 0)
        {
            entry(i, FLAG_WRITTEN);
        }
        return getLong(handle, offset);
    }

    // ------------------------------------------------------------------ reads

    /**
     * Reads a long.
     *
     * @param handle object.
     * @param offset byte offset in the payload.
     * @return the value as of this transaction.
     */
    public long getLong(final long handle, final int offset)
    {
        final int i = object(handle);
        final int at = at(i, offset, Long.BYTES);
        if (model == SEQUENTIAL)
        {
            lockShared(i);
            return buffer.getLong(at);
        }
        final int f = flags[i];
        if (model == CAUSAL && (f & FLAG_ALLOCATED) == 0)
        {
            readAtSnapshot(i, offset, Long.BYTES, scratch, 0);
            if ((f & FLAG_WRITTEN) != 0)
            {
                overlay(i, offset, Long.BYTES, scratch, 0);
            }
            return scratch.getLong(0);
        }
        if ((f & (FLAG_WRITTEN | FLAG_ALLOCATED)) == 0)
        {
            return readLong(i, at);
        }
        if ((f & FLAG_ALLOCATED) != 0)
        {
            return buffer.getLong(at);
        }
        scratch.putLong(0, readLong(i, at));
        overlay(i, offset, Long.BYTES, scratch, 0);
        return scratch.getLong(0);
    }

    /**
     * Reads an int.
     *
     * @param handle object.
     * @param offset byte offset in the payload.
     * @return the value as of this transaction.
     */
    public int getInt(final long handle, final int offset)
    {
        final int i = object(handle);
        final int at = at(i, offset, Integer.BYTES);
        if (model == SEQUENTIAL)
        {
            lockShared(i);
            return buffer.getInt(at);
        }
        final int f = flags[i];
        if ((f & FLAG_ALLOCATED) != 0)
        {
            return buffer.getInt(at);
        }
        read(i, at, offset, Integer.BYTES, scratch, 0);
        if ((f & FLAG_WRITTEN) != 0)
        {
            overlay(i, offset, Integer.BYTES, scratch, 0);
        }
        return scratch.getInt(0);
    }

    /**
     * Copies bytes out of an object.
     *
     * @param handle object.
     * @param offset byte offset in the payload.
     * @param dst    destination.
     * @param dstOff offset in the destination.
     * @param length bytes.
     */
    public void getBytes(final long handle, final int offset, final byte[] dst, final int dstOff, final int length)
    {
        final int i = object(handle);
        final int at = at(i, offset, length);
        if (dstOff < 0 || length > dst.length - dstOff)
        {
            throw new IndexOutOfBoundsException("dstOff=" + dstOff + " length=" + length + " outside a " + dst.length + "-byte array");
        }
        wrapper.wrap(dst);
        if (model == SEQUENTIAL)
        {
            lockShared(i);
        }
        if (model == SEQUENTIAL || (flags[i] & FLAG_ALLOCATED) != 0)
        {
            buffer.getBytes(at, wrapper, dstOff, length);
            return;
        }
        read(i, at, offset, length, wrapper, dstOff);
        if ((flags[i] & FLAG_WRITTEN) != 0)
        {
            overlay(i, offset, length, wrapper, dstOff);
        }
    }

    /**
     * The payload size of an object (what it was allocated with).
     *
     * @param handle object.
     * @return bytes.
     */
    public int size(final long handle)
    {
        return sizes[object(handle)];
    }

    // ------------------------------------------------------------------ writes

    /**
     * Writes a long; visible to others when the transaction commits.
     *
     * @param handle object.
     * @param offset byte offset in the payload.
     * @param value  value.
     */
    public void putLong(final long handle, final int offset, final long value)
    {
        final int i = writable(handle);
        final int at = at(i, offset, Long.BYTES);
        if ((flags[i] & FLAG_ALLOCATED) != 0 || (model == SEQUENTIAL && undo(i, offset, Long.BYTES, at)))
        {
            buffer.putLong(at, value);
            return;
        }
        buffer.putLong(record(i, offset, Long.BYTES), value);
    }

    /**
     * Writes an int; visible to others when the transaction commits.
     *
     * @param handle object.
     * @param offset byte offset in the payload.
     * @param value  value.
     */
    public void putInt(final long handle, final int offset, final int value)
    {
        final int i = writable(handle);
        final int at = at(i, offset, Integer.BYTES);
        if ((flags[i] & FLAG_ALLOCATED) != 0 || (model == SEQUENTIAL && undo(i, offset, Integer.BYTES, at)))
        {
            buffer.putInt(at, value);
            return;
        }
        buffer.putInt(record(i, offset, Integer.BYTES), value);
    }

    /**
     * Copies bytes into an object; visible to others when the transaction commits.
     *
     * @param handle object.
     * @param offset byte offset in the payload.
     * @param src    source.
     * @param srcOff offset in the source.
     * @param length bytes.
     */
    public void putBytes(final long handle, final int offset, final byte[] src, final int srcOff, final int length)
    {
        final int i = writable(handle);
        final int at = at(i, offset, length);
        if (srcOff < 0 || length > src.length - srcOff)
        {
            throw new IndexOutOfBoundsException("srcOff=" + srcOff + " length=" + length + " outside a " + src.length + "-byte array");
        }
        if ((flags[i] & FLAG_ALLOCATED) != 0 || (model == SEQUENTIAL && undo(i, offset, length, at)))
        {
            buffer.putBytes(at, src, srcOff, length);
            return;
        }
        buffer.putBytes(record(i, offset, length), src, srcOff, length);
    }

    /**
     * Allocates a zero-filled object of {@code size} payload bytes. It is private to this
     * transaction until commit (publish its handle by writing it into another object or a root);
     * freed if the transaction aborts. It lives until a transaction frees it (it holds no
     * reference count).
     *
     * @param size payload bytes, at least 0.
     * @return the handle.
     * @throws io.shmtx.pool.PoolExhaustedException when no block fits.
     */
    public long allocate(final int size)
    {
        checkWritable();
        final long handle = shm.allocateObject(size, locked(0, logIndex));
        final int i;
        try
        {
            i = add(handle, pool.payloadOffset(handle), size);
            flags[i] = FLAG_ALLOCATED;
            entry(i, FLAG_ALLOCATED);
        }
        catch (final RuntimeException ex)
        {
            pool.free(handle);
            throw ex;
        }
        return handle;
    }

    /**
     * Frees an object when the transaction commits (nothing happens if it aborts). Reads and
     * writes of it later in this transaction are refused. A reference-counted object (from
     * {@link SharedMemory#allocate}) is refused: release it instead.
     *
     * @param handle object.
     * @throws ConsistencyException when the object is reference-counted.
     */
    public void free(final long handle)
    {
        final int i = writable(handle);
        if (model == SEQUENTIAL && (flags[i] & FLAG_ALLOCATED) == 0)
        {
            lockExclusive(i);
        }
        if ((flags[i] & FLAG_ALLOCATED) == 0 && shm.refCounts().count(handle) > 0)
        {
            throw new ConsistencyException(file, "object " + Handles.toString(handle)
                + " is reference-counted (count " + shm.refCounts().count(handle) + "): release it instead of freeing it");
        }
        entry(i, FLAG_FREED);
    }

    // ------------------------------------------------------------------ object table

    private int object(final long handle)
    {
        checkRunning();
        final int[] t = table;
        final int mask = t.length - 1;
        int slot = hash(handle) & mask;
        int index;
        while ((index = t[slot]) != 0)
        {
            if (handles[index - 1] == handle)
            {
                if ((flags[index - 1] & FLAG_FREED) != 0)
                {
                    throw new IllegalStateException("region " + file + ": object " + Handles.toString(handle)
                        + " was freed earlier in this transaction");
                }
                return index - 1;
            }
            slot = (slot + 1) & mask;
        }
        return track(handle);
    }

    private int track(final long handle)
    {
        final int header = pool.payloadOffset(handle); // InvalidHandleException, StaleHandleException
        return add(handle, header, logs.checkObject(handle, header));
    }

    private int add(final long handle, final int header, final int size)
    {
        if (count == handles.length)
        {
            grow();
        }
        final int i = count++;
        handles[i] = handle;
        headers[i] = header;
        sizes[i] = size;
        seen[i] = NONE;
        made[i] = 0;
        watch[i] = -1;
        flags[i] = 0;
        entries[i] = -1;
        insert(handle, i);
        return i;
    }

    private void insert(final long handle, final int i)
    {
        final int mask = table.length - 1;
        int slot = hash(handle) & mask;
        while (table[slot] != 0)
        {
            slot = (slot + 1) & mask;
        }
        table[slot] = i + 1;
    }

    private static int hash(final long handle)
    {
        return (int)((handle * 0x9E3779B97F4A7C15L) >>> 40);
    }

    private void grow()
    {
        final int n = handles.length * 2;
        handles = java.util.Arrays.copyOf(handles, n);
        headers = java.util.Arrays.copyOf(headers, n);
        sizes = java.util.Arrays.copyOf(sizes, n);
        seen = java.util.Arrays.copyOf(seen, n);
        made = java.util.Arrays.copyOf(made, n);
        watch = java.util.Arrays.copyOf(watch, n);
        flags = java.util.Arrays.copyOf(flags, n);
        entries = java.util.Arrays.copyOf(entries, n);
        table = new int[n * 2];
        for (int i = 0; i < count; i++)
        {
            insert(handles[i], i);
        }
    }

    private int at(final int i, final int offset, final int length)
    {
        final int size = sizes[i];
        if (offset < 0 || length < 0 || offset > size - length)
        {
            throw new IndexOutOfBoundsException("region " + file + ": offset=" + offset + " length=" + length
                + " is outside the " + size + "-byte object " + Handles.toString(handles[i]));
        }
        return headers[i] + OBJECT_HEADER_SIZE + offset;
    }

    private int writable(final long handle)
    {
        checkWritable();
        return object(handle);
    }

    /** Lists object {@code i} in the shared log with {@code flag}: what recovery will look at. */
    private void entry(final int i, final int flag)
    {
        int e = entries[i];
        if (e < 0)
        {
            if (written == logs.maxObjects)
            {
                throw tooLarge("it writes, allocates or frees more than " + logs.maxObjects + " objects");
            }
            e = written++;
            entries[i] = e;
            final int at = log + LOG_OBJECTS_OFFSET + e * LOG_ENTRY_SIZE;
            buffer.putLong(at + ENTRY_HANDLE_OFFSET, handles[i]);
            buffer.putInt(at + ENTRY_FLAGS_OFFSET, flag);
            buffer.putLong(at + ENTRY_HISTORY_OFFSET, 0);
            buffer.putInt(log + LOG_OBJECT_COUNT_OFFSET, written);
            if (e == 0)
            {
                // no record yet (a log left IDLE by a death may hold a stale count), then ACTIVE, before any
                // version lock, lock-table write or allocation this log will hold (the CAS that takes a lock orders it)
                buffer.putInt(log + LOG_REDO_BYTES_OFFSET, 0);
                buffer.putLongRelease(log + LOG_STATE_OFFSET, (++sequence << 8) | STATE_ACTIVE);
            }
        }
        else
        {
            final int at = log + LOG_OBJECTS_OFFSET + e * LOG_ENTRY_SIZE + ENTRY_FLAGS_OFFSET;
            buffer.putInt(at, buffer.getInt(at) | flag);
        }
        flags[i] |= flag;
    }

    /**
     * Appends (or reuses: {@link #recordReused}) a record of object {@code i}'s range, listing the
     * object as written; returns the region offset of the record's bytes. RELEASE: redo (the new
     * bytes go there); SEQUENTIAL: undo (a reused record keeps the older before-image).
     */
    private int record(final int i, final int offset, final int length)
    {
        if ((flags[i] & FLAG_WRITTEN) == 0)
        {
            entry(i, FLAG_WRITTEN);
        }
        final int e = entries[i];
        final int last = lastRecord;
        if (last >= 0 && buffer.getInt(last + RECORD_ENTRY_OFFSET) == e && buffer.getInt(last + RECORD_OFFSET_OFFSET) == offset
            && buffer.getInt(last + RECORD_LENGTH_OFFSET) == length)
        {
            recordReused = true;
            return last + RECORD_HEADER_SIZE;
        }
        recordReused = false;
        final int need = RECORD_HEADER_SIZE + TxLogs.align8(length);
        if (need > logs.redoCapacity - redoUsed)
        {
            throw tooLarge("its writes need more than the " + logs.redoCapacity + "-byte record capacity (" + redoUsed
                + " used, " + need + " more asked)");
        }
        final int r = redoBase + redoUsed;
        buffer.putInt(r + RECORD_ENTRY_OFFSET, e);
        buffer.putInt(r + RECORD_OFFSET_OFFSET, offset);
        buffer.putInt(r + RECORD_LENGTH_OFFSET, length);
        redoUsed += need;
        lastRecord = r;
        return r + RECORD_HEADER_SIZE;
    }

    private TransactionTooLargeException tooLarge(final String what)
    {
        rollBack();
        end(ENDED);
        return new TransactionTooLargeException(file, "transaction log " + logIndex + " is full: " + what
            + "; the transaction was aborted (create the region with a larger SharedMemoryConfig.maxObjectsPerTransaction/redoCapacity)");
    }

    // ------------------------------------------------------------------ validated reads

    private long readLong(final int i, final int at)
    {
        final int header = headers[i];
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

    private void readInto(final int i, final int at, final int length, final AtomicBuffer dst, final int dstOff)
    {
        final int header = headers[i];
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

    private void read(final int i, final int at, final int offset, final int length, final AtomicBuffer dst, final int dstOff)
    {
        if (model == CAUSAL)
        {
            readAtSnapshot(i, offset, length, dst, dstOff);
        }
        else
        {
            readInto(i, at, length, dst, dstOff);
        }
    }

    /**
     * CAUSAL: the bytes of object {@code i} as of the snapshot (see {@link CausalHistory}): in
     * place, or from the history chain; waits only while a commit of the object is in progress
     * (or recovers its dead committer).
     */
    private void readAtSnapshot(final int i, final int offset, final int length, final AtomicBuffer dst, final int dstOff)
    {
        final int header = headers[i];
        final int at = header + OBJECT_HEADER_SIZE + offset;
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
                        watched(i, valueTs);
                        return;
                    }
                    continue;
                }
                readHistory(i, offset, length, dst, dstOff, v1);
                return;
            }
            // a commit in progress: wait for its end (or recover its dead committer), then read again. If its
            // timestamp is newer than the snapshot, the value the snapshot needs is in the chain by then.
            awaitCommit(checkedLocker(handles[i], v1), spins);
        }
    }

    private void readHistory(final int i, final int offset, final int length, final AtomicBuffer dst, final int dstOff,
        final long word)
    {
        watched(i, snapshot); // older than the value in place: a retry() does not wait
        if (history.readAt(headers[i], handles[i], snapshot, offset, length, dst, dstOff) != 0)
        {
            throw new ConsistencyException(file, "object " + Handles.toString(handles[i]) + " has no value at or before"
                + " snapshot " + snapshot + " (its value is from " + (word >>> TS_SHIFT) + " and no older one is kept):"
                + " its handle was not reached through this transaction's snapshot");
        }
    }

    private int checkedLocker(final long handle, final long word)
    {
        final int locker = locker(word) - 1;
        if (locker < 0 || locker >= logs.logCount())
        {
            throw new ConsistencyException(file, "object " + Handles.toString(handle) + " has version word 0x"
                + Long.toHexString(word) + " naming log " + locker + ", outside the " + logs.logCount() + " logs: corrupt");
        }
        return locker;
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

    private void watched(final int i, final long ts)
    {
        if (watch[i] < 0)
        {
            watch[i] = ts;
        }
    }

    private void seen(final int i, final long version)
    {
        watched(i, version >>> TS_SHIFT);
        final long before = seen[i];
        if (before == NONE)
        {
            seen[i] = version;
            flags[i] |= READ;
        }
        else if (before != version)
        {
            abort(AbortReason.CONFLICT, handles[i], "an object read twice changed in between");
        }
    }

    /** The version word was locked or newer than the snapshot: wait, extend the snapshot, or abort. */
    private void busy(final int i, final long word, final int spins)
    {
        if ((word & LOCK_BIT) == 0)
        {
            extendSnapshot(i);
            return;
        }
        if (spins < SPINS_BEFORE_PROBE)
        {
            Thread.onSpinWait();
            return;
        }
        lockedBy(handles[i], word);
    }

    /** An object is locked by another transaction: recover its owner if dead, then abort this attempt. */
    private void lockedBy(final long handle, final long word)
    {
        final int locker = checkedLocker(handle, word);
        final int slot = logs.slotOf(locker);
        if (slot != region.slot() && !region.isAlive(slot))
        {
            region.recoverDeadSlots();
            abort(AbortReason.OWNER_DEAD, handle, "locked by log " + locker + " of dead slot " + slot);
        }
        abort(AbortReason.LOCKED, handle, "locked by log " + locker + " (slot " + slot + ")");
    }

    private void extendSnapshot(final int i)
    {
        final long now = region.currentTimestamp();
        for (int j = 0; j < count; j++)
        {
            if ((flags[j] & READ) != 0 && buffer.getLongVolatile(headers[j]) != seen[j])
            {
                abort(AbortReason.CONFLICT, handles[j], "an object read earlier changed (snapshot " + snapshot + " could not move to " + now + ")");
            }
        }
        snapshot = now;
    }

    /** Applies this transaction's records of object {@code i} over bytes read at {@code offset}. */
    private void overlay(final int i, final int offset, final int length, final AtomicBuffer dst, final int dstOff)
    {
        final int e = entries[i];
        int position = 0;
        while (position < redoUsed)
        {
            final int r = redoBase + position;
            final int rLength = buffer.getInt(r + RECORD_LENGTH_OFFSET);
            if (buffer.getInt(r + RECORD_ENTRY_OFFSET) == e)
            {
                final int rOffset = buffer.getInt(r + RECORD_OFFSET_OFFSET);
                final int from = Math.max(offset, rOffset);
                final int to = Math.min(offset + length, rOffset + rLength);
                if (from < to)
                {
                    buffer.getBytes(r + RECORD_HEADER_SIZE + (from - rOffset), dst, dstOff + (from - offset), to - from);
                }
            }
            position += RECORD_HEADER_SIZE + TxLogs.align8(rLength);
        }
    }

    // ------------------------------------------------------------------ commit

    private void lockWriteSet()
    {
        for (int i = 0; i < count; i++)
        {
            final int f = flags[i];
            if ((f & (FLAG_WRITTEN | FLAG_FREED)) != 0 && (f & FLAG_ALLOCATED) == 0)
            {
                lock(i);
            }
        }
    }

    private void lock(final int i)
    {
        final int header = headers[i];
        final boolean blind = (flags[i] & READ) == 0; // always under CAUSAL: its reads record no version
        long expected = blind ? buffer.getLongVolatile(header) : seen[i];
        if ((expected & LOCK_BIT) != 0)
        {
            lockedBy(handles[i], expected);
        }
        if (model == CAUSAL && (expected >>> TS_SHIFT) > snapshot)
        {
            abort(AbortReason.CONFLICT, handles[i], "written by a transaction that committed after this one's snapshot");
        }
        if (!buffer.compareAndSetLong(header, expected, locked(expected, logIndex)))
        {
            final long now = buffer.getLongVolatile(header);
            if ((now & LOCK_BIT) != 0)
            {
                lockedBy(handles[i], now);
            }
            abort(AbortReason.CONFLICT, handles[i], "an object read or written changed before commit");
        }
        seen[i] = expected;
        flags[i] |= LOCKED;
        shm.commitHook(SharedMemory.HOOK_LOCKED_ONE);
        if (blind && !pool.isLive(handles[i]))
        {
            // freed and handed out again since this transaction first touched it: not the object the caller meant
            final long handle = handles[i];
            rollBack();
            end(ENDED);
            pool.payloadOffset(handle); // throws StaleHandleException naming it
        }
    }

    private void validateReads()
    {
        for (int i = 0; i < count; i++)
        {
            final int f = flags[i];
            if ((f & (READ | LOCKED)) == READ && buffer.getLongVolatile(headers[i]) != seen[i])
            {
                final long now = buffer.getLongVolatile(headers[i]);
                abort((now & LOCK_BIT) != 0 ? AbortReason.LOCKED : AbortReason.CONFLICT, handles[i],
                    "an object read changed before commit");
            }
        }
    }

    /**
     * From the commit record on (RELEASE, CAUSAL): links the history made, applies the redo
     * records, trims history no pin at or above {@code minPin} needs, releases, frees.
     */
    private void publish(final long commitTs, final long minPin)
    {
        buffer.putLong(log + LOG_COMMIT_TS_OFFSET, commitTs);
        buffer.putInt(log + LOG_REDO_BYTES_OFFSET, redoUsed);
        buffer.putLongRelease(log + LOG_STATE_OFFSET, (sequence << 8) | STATE_COMMITTING);
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
            final int i = objectOfEntry(e);
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
                history.trim(headers[i], made[i] != 0 ? commitTs : seen[i] >>> TS_SHIFT, minPin);
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
        clearLog();
        end(ENDED);
    }

    /**
     * CAUSAL, write set locked: copies each value a pin still needs into a new history block
     * (recorded in the log entry, linked after the commit record).
     *
     * @return the smallest pin of the other logs, for trimming.
     */
    private long keepHistory(final long commitTs)
    {
        final int n = history.collectPins(logIndex, pins);
        for (int i = 0; i < count; i++)
        {
            final int f = flags[i];
            if ((f & (LOCKED | FLAG_WRITTEN | FLAG_FREED)) == (LOCKED | FLAG_WRITTEN)
                && CausalHistory.needed(pins, n, seen[i] >>> TS_SHIFT, commitTs))
            {
                final long block;
                try
                {
                    block = history.copy(headers[i], sizes[i], seen[i] >>> TS_SHIFT);
                }
                catch (final io.shmtx.pool.PoolExhaustedException ex)
                {
                    // old snapshots hold the pool's memory: wait for them (retry with back-off) rather than lose a value they need
                    abort(AbortReason.HISTORY_FULL, handles[i], "no pool block for the version a snapshot still needs: " + ex.getMessage());
                    return 0;
                }
                made[i] = block;
                buffer.putLong(log + LOG_OBJECTS_OFFSET + entries[i] * LOG_ENTRY_SIZE + ENTRY_HISTORY_OFFSET, block);
            }
        }
        return CausalHistory.minPin(pins, n);
    }

    private int objectOfEntry(final int e)
    {
        if (entries.length > e && e < count && entries[e] == e)
        {
            return e; // the common case: objects were written in the order they were first touched
        }
        for (int i = 0; i < count; i++)
        {
            if (entries[i] == e)
            {
                return i;
            }
        }
        throw new IllegalStateException("log " + logIndex + ": redo record for entry " + e + " without an object");
    }

    // ------------------------------------------------------------------ SEQUENTIAL

    private void lockShared(final int i)
    {
        if ((flags[i] & (SHARED | EXCLUSIVE | FLAG_ALLOCATED)) == 0)
        {
            lockKey(i, LockMode.SHARED);
            flags[i] |= SHARED;
            watched(i, buffer.getLongVolatile(headers[i]) >>> TS_SHIFT);
        }
    }

    private void lockExclusive(final int i)
    {
        if ((flags[i] & (EXCLUSIVE | FLAG_ALLOCATED)) == 0)
        {
            lockKey(i, LockMode.EXCLUSIVE);
            flags[i] |= EXCLUSIVE;
            watched(i, buffer.getLongVolatile(headers[i]) >>> TS_SHIFT);
        }
    }

    /** Takes the lock table's lock on object {@code i}, waiting as the deadlock policy allows. */
    private void lockKey(final int i, final LockMode mode)
    {
        final long handle = handles[i];
        try
        {
            txn.lock(handle, mode);
        }
        catch (final TxAbortedException ex)
        {
            // the lock table aborted it; its abort hook undid the writes in place before the locks went
            abort(AbortReason.valueOf(ex.reason().name()), handle, ex.getMessage());
        }
        if ((flags[i] & (SHARED | EXCLUSIVE)) == 0 && !pool.isLive(handle))
        {
            // freed by a transaction that held the lock before us: not the object the caller meant
            rollBack();
            end(ENDED);
            pool.payloadOffset(handle); // throws StaleHandleException naming it
        }
    }

    /**
     * Before a write in place of {@code length} bytes at {@code offset} of object {@code i}: takes
     * its exclusive lock, lists it, and appends the bytes it replaces to the undo records (the
     * first write to a range keeps its record: it holds the oldest value), ordered before the write.
     *
     * @return {@code true}: the caller writes in place.
     */
    private boolean undo(final int i, final int offset, final int length, final int at)
    {
        lockExclusive(i);
        final int bytes = record(i, offset, length);
        if (recordReused)
        {
            return true;
        }
        buffer.putBytes(bytes, buffer, at, length);
        buffer.putIntRelease(log + LOG_REDO_BYTES_OFFSET, redoUsed);
        VarHandle.storeStoreFence(); // the record is complete in the log before the write in place
        shm.commitHook(SharedMemory.HOOK_UNDO_RECORD);
        return true;
    }

    /** The lock table's abort hook: undo the writes in place before the locks go. */
    private void undoHook()
    {
        if (model == SEQUENTIAL && status == RUNNING)
        {
            undoInPlace();
        }
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
        int records = 0;
        int position = 0;
        int[] at = undoPositions;
        while (position < redoUsed)
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
            final int i = objectOfEntry(buffer.getInt(r + RECORD_ENTRY_OFFSET));
            buffer.putBytes(headers[i] + OBJECT_HEADER_SIZE + buffer.getInt(r + RECORD_OFFSET_OFFSET), buffer,
                r + RECORD_HEADER_SIZE, buffer.getInt(r + RECORD_LENGTH_OFFSET));
        }
        shm.commitHook(SharedMemory.HOOK_UNDONE);
        clearLog();
        redoUsed = 0;
        lastRecord = -1;
    }

    /**
     * SEQUENTIAL commit: the lock table's committing point (no wound lands past it), then the
     * commit record (timestamp, state COMMITTING: the writes in place are final from here),
     * version words stamped, allocations published, frees done, the log cleared, and only then
     * the locks released.
     */
    private void commitSequential()
    {
        final Txn t = txn;
        if (written == 0)
        {
            try
            {
                t.commit();
            }
            catch (final TxAbortedException ex)
            {
                abort(AbortReason.valueOf(ex.reason().name()), 0, ex.getMessage());
            }
            end(ENDED);
            countCommit();
            return;
        }
        shm.commitHook(SharedMemory.HOOK_ACTIVE);
        try
        {
            t.prepareCommit();
        }
        catch (final TxAbortedException ex)
        {
            abort(AbortReason.valueOf(ex.reason().name()), 0, ex.getMessage());
        }
        final long commitTs = region.nextTimestamp();
        buffer.putLong(log + LOG_COMMIT_TS_OFFSET, commitTs);
        buffer.putLongRelease(log + LOG_STATE_OFFSET, (sequence << 8) | STATE_COMMITTING);
        shm.commitHook(SharedMemory.HOOK_COMMITTING);
        final long word = committed(commitTs);
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
                    history.freeChain(headers[i]); // left by a CAUSAL epoch: no snapshot can need it now
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
                history.freeChain(headers[i]);
                pool.free(handles[i]); // under its exclusive lock: a transaction that gets it next finds the handle stale
            }
        }
        shm.commitHook(SharedMemory.HOOK_FREED);
        clearLog();
        try
        {
            t.commit(); // past the committing point: releases the locks
        }
        finally
        {
            end(ENDED);
            countCommit();
        }
    }

    // ------------------------------------------------------------------ abort

    private void abort(final AbortReason reason, final long handle, final String detail)
    {
        abortReason = reason;
        abortHandle = handle;
        abortDetail = detail;
        aborts++;
        count(COUNTER_ABORTS + reason.ordinal());
        rollBack();
        end(ABORTED);
        throw managed ? SIGNAL : aborted();
    }

    private TransactionAbortedException aborted()
    {
        return new TransactionAbortedException(file, abortReason, "transaction aborted (" + abortReason + "): " + abortDescription());
    }

    private void rollBack()
    {
        if (model == SEQUENTIAL)
        {
            undoInPlace();
        }
        for (int i = 0; i < count; i++)
        {
            final int f = flags[i];
            if ((f & FLAG_ALLOCATED) != 0)
            {
                pool.free(handles[i]);
            }
            else if ((f & LOCKED) != 0)
            {
                buffer.putLongRelease(headers[i], seen[i]);
            }
            if (made[i] != 0)
            {
                pool.free(made[i]); // unlinked: a rollback comes before the commit record
                made[i] = 0;
            }
        }
        if (written > 0)
        {
            clearLog();
        }
        if (model == SEQUENTIAL)
        {
            txn.abort(); // its hook finds nothing left to undo
        }
    }

    /**
     * The log holds no transaction: IDLE first (a death after it leaves stale counts in an IDLE
     * log, which nobody reads: the next transaction resets them before it turns ACTIVE), then the
     * counts zeroed.
     */
    private void clearLog()
    {
        buffer.putLongRelease(log + LOG_STATE_OFFSET, (sequence << 8) | STATE_IDLE);
        shm.commitHook(SharedMemory.HOOK_CLEARING);
        buffer.putInt(log + LOG_OBJECT_COUNT_OFFSET, 0);
        buffer.putInt(log + LOG_REDO_BYTES_OFFSET, 0);
    }

    private void end(final int how)
    {
        final int[] t = table;
        if (count * 4 < t.length)
        {
            final int mask = t.length - 1;
            for (int i = 0; i < count; i++)
            {
                int slot = hash(handles[i]) & mask;
                while (t[slot] != 0)
                {
                    t[slot] = 0;
                    slot = (slot + 1) & mask;
                }
            }
        }
        else
        {
            java.util.Arrays.fill(t, 0);
        }
        count = 0;
        written = 0;
        redoUsed = 0;
        lastRecord = -1;
        status = how;
        if (model == CAUSAL)
        {
            history.unpin(log);
        }
        modelSwitch.leave(log);
    }

    // ------------------------------------------------------------------ checks

    private void checkThread()
    {
        if (Thread.currentThread() != owner)
        {
            throw new IllegalStateException("region " + file + ": a transaction belongs to the thread that began it ("
                + owner.getName() + "), not " + Thread.currentThread().getName());
        }
    }

    private void checkRunning()
    {
        if (status != RUNNING || Thread.currentThread() != owner)
        {
            checkThread();
            if (status == ABORTED && managed)
            {
                throw SIGNAL; // the body caught the abort and went on: unwind again
            }
            throw new IllegalStateException("region " + file + ": the transaction has ended (committed or aborted)");
        }
    }

    private void checkWritable()
    {
        checkRunning();
        if (readOnly)
        {
            throw new IllegalStateException("region " + file + ": a read-only transaction cannot write, allocate or free");
        }
    }
}
