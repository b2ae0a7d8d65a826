package io.shmtx.consistency;

import static io.shmtx.consistency.ConsistencyDescriptor.*;

import io.shmtx.pool.Handles;
import io.shmtx.pool.TieredPool;
import io.shmtx.region.Region;

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
 * <h2>Models</h2>
 * Each model is a class of its own behind {@link ConsistencyModel}, with its protocol and its
 * correctness argument in its class comment: {@link SequentialProtocol} (strict two-phase
 * locking through the lock table, writes in place after an undo record), {@link ReleaseProtocol}
 * (TL2: version-validated reads, writes buffered and published at commit) and
 * {@link CausalProtocol} (snapshot reads, first committer wins), the last two sharing
 * {@link OptimisticProtocol}. A {@code Tx} keeps one of each and runs an attempt with the one of
 * its model. This class holds what they share: the table of the objects the transaction has
 * touched, its log in the region (object entries and records; why a crash leaves all or nothing
 * is in {@link TxLogs}), allocation and frees, aborts, rollback and {@code retry()}.
 */
public final class Tx implements AutoCloseable
{
    static final int ENDED = 0;
    private static final int RUNNING = 1;
    private static final int ABORTED = 2;

    /** {@link #seen}: no version recorded. */
    static final long NONE = -1;
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

    final SharedMemory shm;
    final TxLogs logs;
    final Region region;
    final TieredPool pool;
    final AtomicBuffer buffer;
    final Path file;
    private final Thread owner;
    final int logIndex;
    /** Region offset of this transaction's log. */
    final int log;
    /** Region offset of the log's records. */
    final int redoBase;
    final UnsafeBuffer scratch = new UnsafeBuffer(new byte[16]);
    private final UnsafeBuffer wrapper = new UnsafeBuffer(new byte[0]);

    private final ModelSwitch modelSwitch;
    private int status = ENDED;
    /** The model word this attempt runs under. */
    private long modelWord;
    /** One protocol per model, by ordinal. */
    private final TxProtocol[] protocols;
    /** The protocol of the model this attempt runs under. */
    TxProtocol protocol;
    private boolean readOnly;
    private boolean managed;
    /** Sequence of the log's transactions (in its state word). */
    long sequence;

    // the objects this transaction touched, by index (see object()): package-private for the protocols
    long[] handles = new long[INITIAL_OBJECTS];
    int[] headers = new int[INITIAL_OBJECTS];
    int[] sizes = new int[INITIAL_OBJECTS];
    /** RELEASE: the version word read ({@link #NONE}: not read); at commit, the one locked from. */
    long[] seen = new long[INITIAL_OBJECTS];
    /** CAUSAL: the history block this commit made for the object, 0 if none. */
    long[] made = new long[INITIAL_OBJECTS];
    /** The version timestamp of the value first read from the object, -1 if not read: what {@link #retry()} waits to see change. */
    private long[] watch = new long[INITIAL_OBJECTS];
    private long[] waitHeaders = new long[INITIAL_OBJECTS];
    private long[] waitHandles = new long[INITIAL_OBJECTS];
    private long[] waitTs = new long[INITIAL_OBJECTS];
    private int waitCount;
    private long waitDeadline;
    private boolean retryPending;
    /**
     * The commit timestamp {@link #awaitChange()} saw published on a watched object, 0 if none:
     * the clock has reached it, so the next RELEASE attempt may take it as its snapshot instead of
     * reading the clock (see {@link ReleaseProtocol#begin}).
     */
    long wokenAt;
    private org.agrona.concurrent.IdleStrategy idle;
    /** FLAG_* of the log entry and the protocols' {@link TxProtocol#READ} etc. */
    int[] flags = new int[INITIAL_OBJECTS];
    /** The object's entry in the log, -1 if not listed. */
    int[] entries = new int[INITIAL_OBJECTS];
    int count;
    /** Open addressing: handle hash to object index + 1. */
    private int[] table = new int[INITIAL_OBJECTS * 2];
    /** Entries listed in the log. */
    int written;
    /** Bytes of records in the log. */
    int redoUsed;
    int lastRecord = -1;
    /** Whether the last {@link #record} call found the same range as the record before it. */
    boolean recordReused;

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
        final TxProtocol[] p = new TxProtocol[ConsistencyModel.values().length];
        p[ConsistencyModel.SEQUENTIAL.ordinal()] = new SequentialProtocol(this);
        p[ConsistencyModel.RELEASE.ordinal()] = new ReleaseProtocol(this);
        p[ConsistencyModel.CAUSAL.ordinal()] = new CausalProtocol(this);
        this.protocols = p;
        this.protocol = p[ConsistencyModel.RELEASE.ordinal()];
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
        final TxProtocol p = protocols[ConsistencyDescriptor.model(word)];
        this.protocol = p;
        this.readOnly = readOnly;
        this.managed = managed;
        try
        {
            p.begin(retry);
        }
        catch (final RuntimeException | Error ex)
        {
            modelSwitch.leave(log);
            throw ex;
        }
        this.status = RUNNING;
    }

    /** Closes the lock-table transaction of a Tx whose thread ended (its log was recovered first). */
    void closeLocks()
    {
        ((SequentialProtocol)protocols[ConsistencyModel.SEQUENTIAL.ordinal()]).closeLocks();
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

    void countCommit()
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
        protocol.commit();
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
                final long ts = buffer.getLongVolatile((int)waitHeaders[k]) >>> TS_SHIFT;
                final boolean changed = ts != waitTs[k];
                if (changed || !pool.isLive(waitHandles[k]))
                {
                    if (changed && pool.isLive(waitHandles[k]))
                    {
                        // still the object read (a freed block's bytes may be anyone's): ts is a commit's
                        // timestamp, published by a release store after the commit took it from the clock
                        wokenAt = ts;
                    }
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
        protocol.forUpdate(i);
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
        return protocol.getLong(i, offset, at(i, offset, Long.BYTES));
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
        return protocol.getInt(i, offset, at(i, offset, Integer.BYTES));
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
        protocol.getBytes(i, offset, at, length, wrapper, dstOff);
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
        buffer.putLong((flags[i] & FLAG_ALLOCATED) != 0 ? at : protocol.writeTarget(i, offset, Long.BYTES, at), value);
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
        buffer.putInt((flags[i] & FLAG_ALLOCATED) != 0 ? at : protocol.writeTarget(i, offset, Integer.BYTES, at), value);
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
        buffer.putBytes((flags[i] & FLAG_ALLOCATED) != 0 ? at : protocol.writeTarget(i, offset, length, at), src, srcOff, length);
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
        if ((flags[i] & FLAG_ALLOCATED) == 0)
        {
            protocol.beforeFree(i); // SEQUENTIAL: its exclusive lock
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
    void entry(final int i, final int flag)
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
    int record(final int i, final int offset, final int length)
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

    // ------------------------------------------------------------------ shared by the protocols

    void watched(final int i, final long ts)
    {
        if (watch[i] < 0)
        {
            watch[i] = ts;
        }
    }

    /** Applies this transaction's records of object {@code i} over bytes read at {@code offset}. */
    void overlay(final int i, final int offset, final int length, final AtomicBuffer dst, final int dstOff)
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

    int objectOfEntry(final int e)
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

    // ------------------------------------------------------------------ abort

    void abort(final AbortReason reason, final long handle, final String detail)
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

    void rollBack()
    {
        protocol.undoWrites();
        for (int i = 0; i < count; i++)
        {
            final int f = flags[i];
            if ((f & FLAG_ALLOCATED) != 0)
            {
                pool.free(handles[i]);
            }
            else if ((f & TxProtocol.LOCKED) != 0)
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
        protocol.releaseLocks();
    }

    /**
     * The log holds no transaction: IDLE first (a death after it leaves stale counts in an IDLE
     * log, which nobody reads: the next transaction resets them before it turns ACTIVE), then the
     * counts zeroed.
     */
    void clearLog()
    {
        buffer.putLongRelease(log + LOG_STATE_OFFSET, (sequence << 8) | STATE_IDLE);
        shm.commitHook(SharedMemory.HOOK_CLEARING);
        buffer.putInt(log + LOG_OBJECT_COUNT_OFFSET, 0);
        buffer.putInt(log + LOG_REDO_BYTES_OFFSET, 0);
    }

    void end(final int how)
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
        protocol.ended();
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
