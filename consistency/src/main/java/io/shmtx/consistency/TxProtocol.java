package io.shmtx.consistency;

import io.shmtx.pool.TieredPool;
import io.shmtx.region.Region;

import java.nio.file.Path;

import org.agrona.concurrent.AtomicBuffer;

/**
 * What one consistency model does inside a transaction: one subclass per model
 * ({@link SequentialProtocol}, {@link ReleaseProtocol}, {@link CausalProtocol}), each with its
 * correctness argument in its class comment. A {@link Tx} keeps one instance of each, bound to
 * it, and uses the one of the model its attempt runs under (the model never changes during an
 * attempt, see {@link ModelSwitch}). The object table, the log and the parts every model shares
 * (allocation, frees, aborts, {@code retry()}) stay in {@code Tx}.
 *
 * <p>Called only by the thread that owns the {@code Tx}, while its transaction runs (or, for
 * {@link SequentialProtocol#closeLocks()}, once that thread has ended).
 */
abstract class TxProtocol
{
    /** Private flags of an object of the transaction, beside the shared FLAG_WRITTEN / FLAG_ALLOCATED / FLAG_FREED. */
    static final int READ = 16;
    /** RELEASE, CAUSAL: the object's version word is locked by this transaction's commit. */
    static final int LOCKED = 32;
    /** SEQUENTIAL: the lock table's shared lock on the object is held. */
    static final int SHARED = 64;
    /** SEQUENTIAL: the lock table's exclusive lock on the object is held. */
    static final int EXCLUSIVE = 128;
    /** Spins on a locked version word before a waiter asks whether its owner lives. */
    static final int SPINS_BEFORE_PROBE = 256;

    final Tx tx;
    final SharedMemory shm;
    final TxLogs logs;
    final Region region;
    final TieredPool pool;
    final AtomicBuffer buffer;
    final Path file;
    final int log;

    TxProtocol(final Tx tx)
    {
        this.tx = tx;
        this.shm = tx.shm;
        this.logs = tx.logs;
        this.region = tx.region;
        this.pool = tx.pool;
        this.buffer = tx.buffer;
        this.file = tx.file;
        this.log = tx.log;
    }

    /** Begins an attempt (after its model was announced); {@code retry}: it retries the attempt before. */
    abstract void begin(boolean retry);

    /** A long at {@code offset} (region offset {@code at}) of object {@code i}, as of this transaction. */
    abstract long getLong(int i, int offset, int at);

    /** An int at {@code offset} (region offset {@code at}) of object {@code i}, as of this transaction. */
    abstract int getInt(int i, int offset, int at);

    /** {@code length} bytes at {@code offset} (region offset {@code at}) of object {@code i} into {@code dst}. */
    abstract void getBytes(int i, int offset, int at, int length, AtomicBuffer dst, int dstOff);

    /**
     * Before a write of {@code length} bytes at {@code offset} (region offset {@code at}) of
     * object {@code i}, which this transaction did not allocate: returns the region offset the
     * bytes go to (the object itself, or a redo record).
     */
    abstract int writeTarget(int i, int offset, int length, int at);

    /** {@code getForUpdate}: object {@code i} joins the write set now. */
    abstract void forUpdate(int i);

    /** Before object {@code i}, which this transaction did not allocate, is listed as freed. */
    abstract void beforeFree(int i);

    /** Commits (for {@code transact}): an abort throws {@link Tx#SIGNAL} after rolling back. */
    abstract void commit();

    /** First part of a rollback: before the common part frees allocations and releases version locks. */
    void undoWrites()
    {
    }

    /** Last part of a rollback, after the log was cleared. */
    void releaseLocks()
    {
    }

    /** The attempt has ended (committed, aborted or rolled back), before its announcement is withdrawn. */
    void ended()
    {
    }
}
