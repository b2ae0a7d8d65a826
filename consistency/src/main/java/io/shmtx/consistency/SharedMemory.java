package io.shmtx.consistency;

import static io.shmtx.consistency.ConsistencyDescriptor.*;

import io.shmtx.deadlock.LockManager;
import io.shmtx.deadlock.LockManagerConfig;
import io.shmtx.pool.PoolConfig;
import io.shmtx.pool.TieredPool;
import io.shmtx.refcount.RefCounts;
import io.shmtx.region.Region;
import io.shmtx.region.RegionConfig;
import io.shmtx.region.Section;
import io.shmtx.region.SectionSettings;
import io.shmtx.region.SectionSpec;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.AtomicBuffer;

/**
 * Transactional shared memory between processes: one region file with a pool, reference
 * counts, a lock table and transaction logs, opened, recovered and attached in one call.
 *
 * <pre>{@code
 * try (SharedMemory shm = SharedMemory.open(Path.of("/dev/shm/bank"), SharedMemoryConfig.defaults()))
 * {
 *     long account = shm.allocate(16);                      // reference-counted, held by this process
 *     shm.transact(tx -> tx.putLong(account, 0, tx.getLong(account, 0) + 10));
 *     long balance = shm.readOnly(tx -> tx.getLong(account, 0));
 *     long doubled = shm.transactAndGet(tx -> tx.getLong(account, 0) * 2);
 * }
 * }</pre>
 *
 * <p>Transactions run under the region's {@link ConsistencyModel} (SEQUENTIAL, RELEASE or CAUSAL;
 * see {@link Tx} for each protocol), which {@link #switchModel} changes for every process at
 * run time ({@link ModelSwitch}). A thread runs one transaction at a time.
 *
 * <p>This class is threadsafe: any thread may run transactions; each thread has its own
 * {@link Tx} and transaction log (up to {@link SharedMemoryConfig#logsPerProcess()} threads at
 * once; the log of a thread that has ended is reused).
 *
 * <p>Opening order, and why: the region is opened (or created with every section), then the
 * modules are opened (each registers its recovery step), then this module's step (order 1:
 * finish or undo a dead process's transaction before its locks (2), references (3) and blocks
 * (4) are recovered, since finishing a transaction may publish blocks the pool would otherwise
 * take back), and only then the process attaches, which recovers every dead process it finds.
 * {@link #close()} detaches (which rolls back a transaction this process left half-way and gives
 * back its references and blocks) and unmaps.
 *
 * <p>Objects. {@link #allocate(int)} makes a reference-counted object held by this process (it
 * is freed when the last holder releases it or dies); {@link Tx#allocate(int)} makes one that
 * lives until a transaction frees it. Both carry a {@value ConsistencyDescriptor#OBJECT_HEADER_SIZE}-byte
 * header in their pool block (see {@link ConsistencyDescriptor}).
 */
public final class SharedMemory implements AutoCloseable
{
    /** The consistency module's logger: model switches, and switches of dead switchers given up (INFO). */
    static final System.Logger LOG = System.getLogger(SharedMemory.class.getPackageName());
    /** Commit step: the log is ACTIVE with its object table, nothing locked yet. */
    static final int HOOK_ACTIVE = 1;
    /** Commit step: one more object of the write set locked. */
    static final int HOOK_LOCKED_ONE = 2;
    /** Commit step: write set locked and reads validated, state still ACTIVE. */
    static final int HOOK_VALIDATED = 3;
    /** Commit step: state COMMITTING written, nothing applied. */
    static final int HOOK_COMMITTING = 4;
    /** Commit step: one more redo record applied in place. */
    static final int HOOK_APPLIED_ONE = 5;
    /** Commit step: every redo record applied, every object still locked. */
    static final int HOOK_APPLIED = 6;
    /** Commit step: one more object published with its new version (unlocked). */
    static final int HOOK_RELEASED_ONE = 7;
    /** Commit step: every object released, frees not done. */
    static final int HOOK_RELEASED = 8;
    /** Commit step: frees done, log not yet IDLE. */
    static final int HOOK_FREED = 9;
    /** SEQUENTIAL: one more undo record in the log, its write in place not yet made. */
    static final int HOOK_UNDO_RECORD = 10;
    /** SEQUENTIAL abort: every before-image restored, log not yet cleared, locks still held. */
    static final int HOOK_UNDONE = 11;
    /** The log being cleared: state IDLE written, counts not yet zeroed. */
    static final int HOOK_CLEARING = 12;

    /** Crash injection for tests: called at each numbered step of a commit. */
    interface CommitHook
    {
        void at(int step);
    }

    private final Region region;
    private final TieredPool pool;
    private final RefCounts refs;
    private final LockManager locks;
    private final TxLogs logs;
    private final SharedMemoryConfig config;
    private final AtomicBuffer buffer;
    private final Path file;
    private final int[] tierPayload;
    private final int slot;
    private final Tx[] leased;
    private final ThreadLocal<Tx> txs = new ThreadLocal<>();
    private final ModelSwitch modelSwitch;
    volatile CommitHook hook;

    private SharedMemory(final Region region, final TieredPool pool, final RefCounts refs, final LockManager locks,
        final TxLogs logs, final SharedMemoryConfig config, final int[] tierPayload, final ConsistencyRecovery recovery)
    {
        this.region = region;
        this.pool = pool;
        this.refs = refs;
        this.locks = locks;
        this.logs = logs;
        this.config = config;
        this.buffer = region.buffer();
        this.file = region.file();
        this.tierPayload = tierPayload;
        this.modelSwitch = new ModelSwitch(this, region, logs, config.switchTimeout().toNanos());
        recovery.modelSwitch(modelSwitch); // before attach(): the recovery it runs also gives up a dead process's switch
        this.slot = region.attach();
        this.leased = new Tx[logs.logsPerSlot];
    }

    // ------------------------------------------------------------------ opening

    /**
     * The consistency section for a configuration (for callers that build a region by hand).
     *
     * @param config the configuration.
     * @return the section spec.
     */
    public static SectionSpec section(final SharedMemoryConfig config)
    {
        final int slots = config.processSlots();
        final int logsPerSlot = config.logsPerProcess();
        final int maxObjects = config.maxObjectsPerTransaction();
        final int redo = config.redoCapacity();
        final int logSize = logSize(maxObjects, redo);
        final long epoch = 1;
        final int model = config.model().ordinal();
        final SectionSettings settings = settings(logsPerSlot, maxObjects, redo, config.model().name(), slots);
        return new SectionSpec(SectionSpec.LEDGERS, sectionLength(slots, logsPerSlot, logSize), true, (b, section) ->
        {
            final int base = (int)section.offset();
            b.putInt(base + VERSION_OFFSET, VERSION);
            b.putInt(base + PROCESS_SLOTS_OFFSET, slots);
            b.putInt(base + LOGS_PER_SLOT_OFFSET, logsPerSlot);
            b.putInt(base + LOG_SIZE_OFFSET, logSize);
            b.putInt(base + MAX_OBJECTS_OFFSET, maxObjects);
            b.putInt(base + REDO_CAPACITY_OFFSET, redo);
            b.putLong(base + MODEL_WORD_OFFSET, modelWord(model, epoch));
            b.putLongRelease(base + MAGIC_OFFSET, MAGIC);
        }, settings);
    }

    /**
     * The settings of the consistency section: the logs are fixed when the region is created; the
     * model only starts a new region (any process switches it with {@link #switchModel}), so an
     * existing region's is adopted. See {@link SharedMemoryConfig}.
     */
    private static SectionSettings settings(final int logsPerSlot, final int maxObjects, final int redo, final String model,
        final int slots)
    {
        return SectionSettings.builder(SharedMemory::readSettings)
            .fixed("SharedMemoryConfig.logsPerProcess", logsPerSlot)
            .fixed("SharedMemoryConfig.maxObjectsPerTransaction", maxObjects)
            .fixed("SharedMemoryConfig.redoCapacity", redo + " bytes")
            .adoptable("SharedMemoryConfig.model", model)
            .processSlots("SharedMemory.section processSlots", slots)
            .build();
    }

    /** The settings saved in a consistency section, or null when it is not one. */
    private static Map<String, String> readSettings(final AtomicBuffer section)
    {
        if (section.getLongVolatile(MAGIC_OFFSET) != MAGIC || section.getInt(VERSION_OFFSET) != VERSION)
        {
            return null;
        }
        final long word = section.getLongVolatile(MODEL_WORD_OFFSET);
        final int model = isSwitching(word) ? previousModel(word) : ConsistencyDescriptor.model(word);
        final ConsistencyModel[] models = ConsistencyModel.values();
        return settings(section.getInt(LOGS_PER_SLOT_OFFSET), section.getInt(MAX_OBJECTS_OFFSET),
            section.getInt(REDO_CAPACITY_OFFSET), model < models.length ? models[model].name() : "corrupt (" + model + ")",
            section.getInt(PROCESS_SLOTS_OFFSET)).requested();
    }

    /**
     * Opens the region at {@code file}, creating it with every section {@code config} describes
     * if there is none (race-safe: one process creates, the others open), opens the modules,
     * registers recovery and attaches this process.
     *
     * @param file   region file, e.g. under {@code /dev/shm}.
     * @param config the configuration; an existing region must have been made with the same
     *               settings, except the model and lock policy, which it adopts (see {@link SharedMemoryConfig}).
     * @return the attached shared memory; close it when done.
     * @throws io.shmtx.region.ConfigMismatchException when the existing region was made with other settings (each
     *                                                 named, with the region's value and the configuration's).
     * @throws io.shmtx.region.RegionException          when the file is not a region, or this JVM lacks the
     *                                                 option Agrona needs ({@link io.shmtx.region.MissingJvmOptionException}).
     */
    public static SharedMemory open(final Path file, final SharedMemoryConfig config)
    {
        if (file == null || config == null)
        {
            throw new IllegalArgumentException("file=" + file + " config=" + config + ": both are required");
        }
        final int slots = config.processSlots();
        final RegionConfig regionConfig = RegionConfig.builder()
            .processSlots(slots)
            .size(config.regionSize())
            .section(TieredPool.section(config.pool(), slots))
            .section(RefCounts.section(config.pool(), config.refCounts(), slots))
            .section(LockManager.section(LockManagerConfig.builder().policy(config.lockPolicy())
                .transactionsPerProcess(lockCells(config)).build(), slots))
            .section(section(config))
            .build();
        final Region region = Region.openOrCreate(file, regionConfig); // names every setting that differs from the region's
        try
        {
            final TieredPool pool = TieredPool.open(region);
            final RefCounts refs = RefCounts.open(region, pool);
            final LockManager locks = LockManager.open(region);
            final int base = checkSection(region);
            final int[] tierPayload = tierPayload(config.pool());
            final TxLogs logs = new TxLogs(region, pool, base, tierPayload);
            refs.onZeroWithSlot((handle, deadSlot) -> logs.history.freeChainOfReleased(handle, deadSlot)); // an object released to zero takes its CAUSAL history with it
            final ConsistencyRecovery recovery = new ConsistencyRecovery(logs);
            region.registerRecoveryStep(recovery);
            final SharedMemory shm = new SharedMemory(region, pool, refs, locks, logs, config, tierPayload, recovery);
            region.registerDetachHook(shm::recoverOwnLogs);
            region.addMaintenanceTask(shm::reapEndedThreads);
            return shm;
        }
        catch (final RuntimeException | Error ex)
        {
            try
            {
                region.close();
            }
            catch (final RuntimeException suppressed)
            {
                ex.addSuppressed(suppressed);
            }
            throw ex;
        }
    }

    /** Lock-table cells per process: one per log (each thread's SEQUENTIAL transactions), at least 16 where they fit. */
    private static int lockCells(final SharedMemoryConfig config)
    {
        final int fit = io.shmtx.deadlock.LockTableDescriptor.MAX_CELLS / config.processSlots();
        return Math.max(config.logsPerProcess(), Math.min(16, fit));
    }

    /**
     * Checks the consistency section's format (its settings were compared with the configuration's
     * as the region was opened); returns its offset.
     */
    private static int checkSection(final Region region)
    {
        final Section section = region.section(SectionSpec.LEDGERS);
        final int base = (int)section.offset();
        ConsistencyDescriptor.check(region.file(), region.buffer(), base, section.length(), region.processSlots());
        return base;
    }

    private static int[] tierPayload(final PoolConfig pool)
    {
        final int[] sizes = new int[pool.tiers().size()];
        for (int t = 0; t < sizes.length; t++)
        {
            sizes[t] = pool.tiers().get(t).blockSize();
        }
        return sizes;
    }

    // ------------------------------------------------------------------ objects

    /**
     * Allocates a zero-filled, reference-counted object: count 1, held by this process (released
     * by {@link #release}, or when this process closes or dies).
     *
     * @param size payload bytes, at least 0.
     * @return the handle.
     * @throws io.shmtx.pool.PoolExhaustedException when no block fits.
     */
    public long allocate(final int size)
    {
        final long handle = allocateObject(size, committed(region.nextTimestamp()));
        try
        {
            refs.share(handle);
        }
        catch (final RuntimeException ex)
        {
            pool.free(handle);
            throw ex;
        }
        return handle;
    }

    /** A pool block with a fresh object header (version {@code versionWord}) and a zeroed payload, owned by this process. */
    long allocateObject(final int size, final long versionWord)
    {
        if (size < 0 || size > Integer.MAX_VALUE - OBJECT_HEADER_SIZE)
        {
            throw new IllegalArgumentException("region " + file + ": size=" + size + " must be at least 0");
        }
        final long handle = pool.allocate(size + OBJECT_HEADER_SIZE);
        final int header = pool.payloadOffset(handle);
        buffer.setMemory(header + OBJECT_HEADER_SIZE, size, (byte)0);
        buffer.putLong(header + OBJECT_HISTORY_OFFSET, 0);
        buffer.putInt(header + OBJECT_SIZE_OFFSET, size);
        buffer.putInt(header + OBJECT_TAG_OFFSET, OBJECT_TAG);
        buffer.putLongRelease(header + OBJECT_VERSION_OFFSET, versionWord);
        return handle;
    }

    /**
     * Adds a reference held by this process to a reference-counted object.
     *
     * @param handle the object.
     */
    public void retain(final long handle)
    {
        refs.retain(handle);
    }

    /**
     * Drops a reference held by this process; the last one frees the object. Do not release an
     * object that transactions may still use: a transaction that meets a freed object gets
     * {@link io.shmtx.pool.StaleHandleException}.
     *
     * @param handle the object.
     * @return whether the object was freed.
     */
    public boolean release(final long handle)
    {
        return refs.release(handle);
    }

    /**
     * Binds a named root to a handle, visible to every process ({@link Region#bindRoot}).
     *
     * @param name   root name.
     * @param handle handle.
     */
    public void bindRoot(final String name, final long handle)
    {
        region.bindRoot(name, handle);
    }

    /**
     * The handle bound to a root ({@link Region#root}).
     *
     * @param name root name.
     * @return the handle.
     */
    public long root(final String name)
    {
        return region.root(name);
    }

    /**
     * The handle bound to a root, or 0 ({@link Region#findRoot}).
     *
     * @param name root name.
     * @return the handle or 0.
     */
    public long findRoot(final String name)
    {
        return region.findRoot(name);
    }

    /**
     * Unbinds a root ({@link Region#unbindRoot}).
     *
     * @param name root name.
     * @return the handle it was bound to.
     */
    public long unbindRoot(final String name)
    {
        return region.unbindRoot(name);
    }

    // ------------------------------------------------------------------ transactions

    /**
     * Runs {@code body} in a transaction, retrying it after each abort (bounded by the retry
     * policy), and commits it. An exception thrown by the body aborts the transaction (nothing
     * it wrote is visible, its allocations are freed) and is rethrown unchanged.
     *
     * @param body the transaction body.
     * @throws RetryLimitExceededException when every attempt aborted.
     * @throws IllegalStateException       when this thread is already in a transaction.
     */
    public void transact(final TxRunnable body)
    {
        run(body, null, false);
    }

    /**
     * Runs {@code body} in a transaction, as {@link #transact(TxRunnable)}, and returns its result.
     * (Not an overload of {@code transact}: Java cannot tell a one-parameter lambda such as
     * {@code tx -> tx.getLong(h, 0)} meant for one from one meant for the other.)
     *
     * @param body the transaction body.
     * @param <T>  result type.
     * @return what the committed attempt returned.
     */
    public <T> T transactAndGet(final TxFunction<T> body)
    {
        return run(null, body, false);
    }

    /**
     * Runs {@code body} in a read-only transaction (writes, allocations and frees are refused):
     * it sees one consistent snapshot and writes nothing to shared memory. A body with nothing to
     * return returns {@code null}.
     *
     * @param body the transaction body.
     * @param <T>  result type.
     * @return what the body returned.
     */
    public <T> T readOnly(final TxFunction<T> body)
    {
        return run(null, body, true);
    }

    /**
     * Begins a transaction that the caller commits or aborts; no automatic retry. Use with
     * try-with-resources: {@code close()} aborts it unless it was committed. A transaction left
     * open by a thread that ends is aborted by this process's region thread within a heartbeat
     * (until then a model switch waits for it, and under SEQUENTIAL its locks are held).
     *
     * @return this thread's transaction, running.
     * @throws IllegalStateException when this thread is already in a transaction.
     */
    public Tx begin()
    {
        final Tx tx = tx();
        tx.start(false, false, false);
        return tx;
    }

    private <T> T run(final TxRunnable runnable, final TxFunction<T> function, final boolean readOnly)
    {
        final Tx tx = tx();
        final int maxAttempts = config.maxAttempts();
        for (int attempt = 1; ; attempt++)
        {
            tx.start(readOnly, true, attempt > 1);
            try
            {
                T result = null;
                if (runnable != null)
                {
                    runnable.run(tx);
                }
                else
                {
                    result = function.apply(tx);
                }
                if (!tx.wasAborted())
                {
                    tx.commitManaged();
                    return result;
                }
            }
            catch (final Tx.AbortSignal signal)
            {
                // rolled back already: retry below
            }
            catch (final RuntimeException | Error ex)
            {
                tx.rollBackIfRunning();
                throw ex;
            }
            if (tx.retryPending())
            {
                tx.awaitChange(); // Tx.retry(): a wait for a change, not a failed attempt
                attempt--;
                continue;
            }
            if (attempt >= maxAttempts)
            {
                throw new RetryLimitExceededException(file, tx.abortReason(), attempt, tx.abortDescription());
            }
            tx.count(COUNTER_RETRIES);
            backOff(attempt);
        }
    }

    private void backOff(final int attempt)
    {
        if (attempt <= 3)
        {
            Thread.onSpinWait();
            return;
        }
        final long min = Math.max(1, config.minBackoffNanos());
        final long bound = Math.min(config.maxBackoffNanos(), min << Math.min(30, attempt - 4));
        LockSupport.parkNanos(1 + ThreadLocalRandom.current().nextLong(Math.max(1, bound)));
    }

    /** This thread's transaction object, not running. */
    private Tx tx()
    {
        Tx tx = txs.get();
        if (tx == null)
        {
            tx = lease();
            txs.set(tx);
        }
        else if (tx.isRunning())
        {
            throw new IllegalStateException("region " + file + ": this thread is already in a transaction; nested transactions"
                + " are not supported (use the Tx at hand)");
        }
        return tx;
    }

    private Tx lease()
    {
        checkOpen();
        synchronized (leased)
        {
            for (int k = 0; k < leased.length; k++)
            {
                final Tx holder = leased[k];
                if (holder == null || !holder.owner().isAlive())
                {
                    final int logIndex = slot * logs.logsPerSlot + k;
                    if (holder != null)
                    {
                        reap(k, holder);
                    }
                    final Tx tx = new Tx(this, logs, logIndex, Thread.currentThread());
                    leased[k] = tx;
                    return tx;
                }
            }
        }
        throw new ConsistencyException(file, "all " + leased.length + " transaction logs of slot " + slot
            + " are used by live threads (SharedMemoryConfig.logsPerProcess)");
    }

    /**
     * Maintenance task (each heartbeat of the region thread): gives back the log of every thread
     * that has ended. A thread that ended inside a manual transaction ({@code begin()} never
     * closed) left it announced (a model switch would wait for it), perhaps pinned (CAUSAL: history
     * kept for it) and holding lock-table locks (SEQUENTIAL): its log is undone and its locks
     * released, as for a dead process. Its thread has ended, so nothing else touches its
     * {@code Tx} (the end of a thread happens before {@code isAlive()} reads false).
     */
    void reapEndedThreads()
    {
        synchronized (leased)
        {
            for (int k = 0; k < leased.length; k++)
            {
                final Tx holder = leased[k];
                if (holder != null && !holder.owner().isAlive())
                {
                    reap(k, holder);
                    leased[k] = null;
                }
            }
        }
    }

    /** Under the lease lock: undoes the log of a {@code Tx} whose thread has ended, then releases its lock-table locks. */
    private void reap(final int k, final Tx holder)
    {
        final String done = logs.recover(slot * logs.logsPerSlot + k, slot); // a transaction left running: undone or finished
        holder.closeLocks(); // then its lock-table locks go (its log is undone already)
        if (done != null || holder.isRunning())
        {
            LOG.log(System.Logger.Level.INFO, () -> "region " + file + ": thread " + holder.owner().getName()
                + " ended inside a transaction: " + (done != null ? done : "it had written nothing") + "; its log was given back");
        }
    }

    /** Detach hook: a transaction this process left half-way is finished or undone before its slot goes. */
    private void recoverOwnLogs()
    {
        synchronized (leased)
        {
            for (int k = 0; k < leased.length; k++)
            {
                logs.recover(slot * logs.logsPerSlot + k, slot);
            }
        }
    }

    void commitHook(final int step)
    {
        final CommitHook h = hook;
        if (h != null)
        {
            h.at(step);
        }
    }

    // ------------------------------------------------------------------ state

    /**
     * The model transactions run under now (while a switch drains, the model still in force).
     *
     * @return the model.
     * @throws ConsistencyException when the model word reads corrupt.
     */
    public ConsistencyModel model()
    {
        checkOpen();
        return ConsistencyModel.values()[ConsistencyDescriptor.model(modelSwitch.inForce())];
    }

    /**
     * The model epoch: 1 for a new region; a completed switch publishes the next epoch, a switch
     * that timed out the one after (with the old model), so epochs only grow.
     *
     * @return the epoch.
     */
    public long epoch()
    {
        checkOpen();
        return ConsistencyDescriptor.epoch(modelSwitch.inForce());
    }

    /**
     * Switches every attached process to {@code model}: transactions that began under the old
     * model finish under it, new ones wait until they have, then run under {@code model}; no
     * transaction runs under two models. Waits at most {@link SharedMemoryConfig#switchTimeout()};
     * past it the old model stays in force. A switch to the model in force starts a new epoch all
     * the same (it waits for the running transactions). Listeners of this process are told before
     * this returns; other processes' listeners when they notice.
     *
     * @param model the new model.
     * @throws ModelSwitchTimeoutException when a transaction of the old model (or another switch)
     *                                     outlasted the timeout; the old model stays in force.
     * @throws IllegalStateException       when the calling thread is in a transaction (it would wait for itself).
     * @throws IllegalArgumentException    when {@code model} is null.
     */
    public void switchModel(final ConsistencyModel model)
    {
        if (model == null)
        {
            throw new IllegalArgumentException("model=null");
        }
        checkOpen();
        final Tx tx = txs.get();
        if (tx != null && tx.isRunning())
        {
            throw new IllegalStateException("region " + file + ": switchModel inside a transaction of the same thread would wait"
                + " for itself; switch outside it");
        }
        modelSwitch.switchTo(model);
    }

    /**
     * Adds a listener told of each new epoch this process notices: at once for a switch it makes,
     * otherwise when one of its threads next begins a transaction (on that thread, before its
     * transaction begins: the listener may run transactions). An exception it throws passes to
     * that caller; the epoch counts as told.
     *
     * @param listener the listener.
     */
    public void addSwitchListener(final ModelSwitchListener listener)
    {
        if (listener == null)
        {
            throw new IllegalArgumentException("listener=null");
        }
        modelSwitch.addListener(listener);
    }

    /**
     * Removes a listener added by {@link #addSwitchListener}.
     *
     * @param listener the listener.
     */
    public void removeSwitchListener(final ModelSwitchListener listener)
    {
        modelSwitch.removeListener(listener);
    }

    long versionsAlive()
    {
        return logs.history.versionsAlive();
    }

    /**
     * Transaction statistics of the region: model, epoch, switches, and the counters of every
     * transaction log summed (every process, since the region was made).
     *
     * @return a snapshot.
     */
    public TxStats stats()
    {
        checkOpen();
        final long[] sums = new long[COUNTERS];
        for (int k = 0; k < logs.logCount(); k++)
        {
            final int counters = logs.logOffset(k) + LOG_COUNTERS_OFFSET;
            for (int c = 0; c < COUNTERS; c++)
            {
                sums[c] += buffer.getLongVolatile(counters + c * Long.BYTES);
            }
        }
        final java.util.Map<AbortReason, Long> aborts = new java.util.EnumMap<>(AbortReason.class);
        for (final AbortReason reason : AbortReason.values())
        {
            aborts.put(reason, sums[COUNTER_ABORTS + reason.ordinal()]);
        }
        final long word = modelSwitch.inForce();
        final int base = logs.base();
        return new TxStats(ConsistencyModel.values()[ConsistencyDescriptor.model(word)], ConsistencyDescriptor.epoch(word),
            buffer.getLongVolatile(base + SWITCHES_OFFSET), buffer.getLongVolatile(base + SWITCH_FAILURES_OFFSET),
            sums[COUNTER_COMMITS], aborts, sums[COUNTER_RETRIES], sums[COUNTER_RETRY_WAITS], logs.history.versionsAlive());
    }

    // ------------------------------------------------------------------ single words, no transaction

    /**
     * Reads an 8-byte word of an object outside any transaction, with the ordering the model in
     * force names: volatile under SEQUENTIAL, acquire under RELEASE and CAUSAL. It takes no part
     * in transactions: it may see a transaction's writes while they are applied.
     *
     * @param handle the object.
     * @param offset byte offset in the payload, a multiple of 8.
     * @return the value.
     * @throws IndexOutOfBoundsException when the word is not inside the object, or not aligned.
     */
    public long getLong(final long handle, final int offset)
    {
        final int at = word(handle, offset);
        return sequentialNow() ? buffer.getLongVolatile(at) : buffer.getLongAcquire(at);
    }

    /**
     * Writes an 8-byte word of an object outside any transaction (volatile under SEQUENTIAL,
     * release under RELEASE and CAUSAL). It changes no version: transactions do not see it as
     * a conflict and {@link Tx#retry()} does not wake for it. Use it on words transactions only read.
     *
     * @param handle the object.
     * @param offset byte offset in the payload, a multiple of 8.
     * @param value  the value.
     */
    public void putLong(final long handle, final int offset, final long value)
    {
        final int at = word(handle, offset);
        if (sequentialNow())
        {
            buffer.putLongVolatile(at, value);
        }
        else
        {
            buffer.putLongRelease(at, value);
        }
    }

    /**
     * Atomically sets an 8-byte word of an object to {@code value} if it holds {@code expected}
     * (volatile under every model), outside any transaction (see {@link #putLong}).
     *
     * @param handle   the object.
     * @param offset   byte offset in the payload, a multiple of 8.
     * @param expected the value expected.
     * @param value    the new value.
     * @return whether it was set.
     */
    public boolean compareAndSet(final long handle, final int offset, final long expected, final long value)
    {
        return buffer.compareAndSetLong(word(handle, offset), expected, value);
    }

    /**
     * Atomically adds to an 8-byte word of an object (volatile under every model), outside any
     * transaction (see {@link #putLong}).
     *
     * @param handle the object.
     * @param offset byte offset in the payload, a multiple of 8.
     * @param delta  the amount.
     * @return the value before.
     */
    public long getAndAdd(final long handle, final int offset, final long delta)
    {
        return buffer.getAndAddLong(word(handle, offset), delta);
    }

    private boolean sequentialNow()
    {
        return ConsistencyDescriptor.model(modelSwitch.inForce()) == ConsistencyModel.SEQUENTIAL.ordinal();
    }

    /** The region offset of an aligned 8-byte word inside a live transactional object. */
    private int word(final long handle, final int offset)
    {
        checkOpen();
        final int header = pool.payloadOffset(handle);
        final int size = logs.checkObject(handle, header);
        if (offset < 0 || offset > size - Long.BYTES || (offset & 7) != 0)
        {
            throw new IndexOutOfBoundsException("region " + file + ": offset=" + offset + " is not an aligned 8-byte word of"
                + " the " + size + "-byte object " + io.shmtx.pool.Handles.toString(handle));
        }
        return header + OBJECT_HEADER_SIZE + offset;
    }

    ModelSwitch modelSwitch()
    {
        return modelSwitch;
    }

    /**
     * The configuration this object was opened with.
     *
     * @return the configuration.
     */
    public SharedMemoryConfig config()
    {
        return config;
    }

    /**
     * The region (for diagnostics and the lower modules' own API).
     *
     * @return the region.
     */
    public Region region()
    {
        return region;
    }

    /**
     * The pool.
     *
     * @return the pool.
     */
    public TieredPool pool()
    {
        return pool;
    }

    /**
     * The reference counts.
     *
     * @return the reference counts.
     */
    public RefCounts refCounts()
    {
        return refs;
    }

    /**
     * The lock table.
     *
     * @return the lock manager.
     */
    public LockManager lockManager()
    {
        return locks;
    }

    /**
     * Commits made by the transactions of the calling thread (diagnostics).
     *
     * @return the count.
     */
    public long threadCommits()
    {
        final Tx tx = txs.get();
        return tx == null ? 0 : tx.commits();
    }

    /**
     * Aborted attempts of the calling thread's transactions (diagnostics).
     *
     * @return the count.
     */
    public long threadAborts()
    {
        final Tx tx = txs.get();
        return tx == null ? 0 : tx.aborts();
    }

    /**
     * The version word of an object (diagnostics and tests): commit timestamp, lock bit and
     * locking log, as {@link ConsistencyDescriptor} lays them out.
     *
     * @param handle the object.
     * @return the word.
     * @throws io.shmtx.pool.HandleException when the handle is not live.
     * @throws ConsistencyException when the block is not a transactional object.
     */
    public long versionWord(final long handle)
    {
        checkOpen();
        final int header = pool.payloadOffset(handle);
        logs.checkObject(handle, header);
        return buffer.getLongVolatile(header + OBJECT_VERSION_OFFSET);
    }

    private void checkOpen()
    {
        if (region.isClosed())
        {
            throw new IllegalStateException("region " + file + " is closed: its shared memory can no longer be used");
        }
    }

    /**
     * Detaches (a transaction this process left half-way is finished or undone, its references
     * released, its unpublished blocks returned) and gives the mapping up. Call it once every
     * transaction of this process has ended. Idempotent.
     */
    @Override
    public void close()
    {
        region.close();
    }

    @Override
    public String toString()
    {
        return "SharedMemory{" + file + ", slot " + slot + "}";
    }
}
