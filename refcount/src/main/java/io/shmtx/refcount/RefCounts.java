package io.shmtx.refcount;

import static io.shmtx.refcount.RefCountDescriptor.*;

import io.shmtx.pool.Handles;
import io.shmtx.pool.InvalidHandleException;
import io.shmtx.pool.PoolConfig;
import io.shmtx.pool.StaleHandleException;
import io.shmtx.pool.TierConfig;
import io.shmtx.pool.TieredPool;
import io.shmtx.region.ProcessTableDescriptor;
import io.shmtx.region.Region;
import io.shmtx.region.RegionDescriptor;
import io.shmtx.region.Section;
import io.shmtx.region.SectionSettings;
import io.shmtx.region.SectionSpec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;

import org.agrona.concurrent.AtomicBuffer;

/**
 * Persistent, crash-resistant reference counts on pool blocks, shared by every thread of every
 * attached process: a block is freed exactly once, when the last holder lets go, even when a
 * holder is killed without letting go.
 *
 * <p>This class is threadsafe. One instance per process and region attachment. Once the region is
 * closed (or abandoned), every method that reads it throws {@link IllegalStateException} naming
 * the file.
 *
 * <pre>{@code
 * long handle = refs.allocate(64);   // count 1, held by this process
 * refs.retain(handle);               // count 2 (another process may retain it too)
 * refs.release(handle);              // count 1
 * refs.release(handle);              // count 0: the block goes back to the pool
 * }</pre>
 *
 * <h2>Protocol</h2>
 * Each block has a count word beside it (in this module's section): the count, the generation
 * of the block it counts (so a stale handle is refused), a lock field naming the slot in the
 * middle of an update, and a STORED bit (see {@link RefCountDescriptor}). Each process has a ledger
 * in the region: how many references it holds to each handle. Each thread has an intent cell. A
 * retain or release by slot {@code s}:
 * <ol>
 *   <li>intent := (handle, NOT_LOCKED): "s may lock this word";</li>
 *   <li>CAS the word from unlocked to locked-by-s (waiters that see a dead owner run recovery);</li>
 *   <li>in one entry of the process's ledger monitor, with one ledger probe: validate (generation,
 *       count, s's holding; on refusal restore the word and stop), intent := (handle, held-before),
 *       s's ledger holding before the update, then ledger := held-before +/- 1 (or PENDING when a
 *       grace period defers the free);</li>
 *   <li>on zero without grace: cleanup callbacks, free the block;</li>
 *   <li>word := (generation, count +/- 1, locked-by-s, STORED);</li>
 *   <li>intent := (handle, NOT_LOCKED);</li>
 *   <li>word := (generation, count +/- 1, unlocked), release store;</li>
 *   <li>intent := none.</li>
 * </ol>
 * The intent names the handle from before the lock to after the unlock, so a dead slot's locked
 * words are always found through its cells (or its journal, for a recoverer). A held-before exists
 * only from step 3 to step 6, while its thread holds the word with the old count in it: as a thread
 * resets its held-before before it unlocks, another thread of the same process that locks the word
 * next can never find a stale held-before beside its own lock, so at most one cell of a slot has a
 * held-before for a handle, the holder's.
 * <p>The word is the block's, not the handle's: a handle of another generation of the same block
 * (a stale one, refused only once its word is locked and validated, or the new generation a share
 * brings) locks the same word. So "does a cell of slot s name the holder of this word" is asked by
 * block (tier and index, {@link #sameBlock}), never by whole handle: the own-slot probe below
 * (which, comparing handles, took a thread holding the word with a stale handle for nobody and
 * failed a live operation), and recovery, which treats the holders' handles (those with a
 * held-before) before any other handle of its cells (see {@link RefCountRecovery}).
 * <p>Why no count word stays locked in the name of a slot that is freed or taken over: every lock
 * in slot s's name is either (i) taken by a thread of s's attachment, without STORED until step 5,
 * its cell naming a handle of the block from before the lock to after the unlock, or (ii) taken by
 * a recoverer of s, always with STORED, its journal naming the word from before the lock to after
 * the unlock. Only the holder of s's lock byte acts in s's name: the attachment while it lives,
 * then one recovery claim at a time (a claim needs the byte, and a slot is never recovered by the
 * process attached to it). Each recovery of s first replays the journal a dead recoverer left
 * (putting back, with its lock, a word it found locked by s's dead attachment: that word's cell
 * still names it), then treats every handle named by s's cells and ledger, clearing both only at
 * the end; the slot is freed or taken over only after every step completed. A word locked by s,
 * seen by s's next attachment with none of its threads holding it, is thus corrupt or left by an
 * attachment that gave the slot back mid-update (or ran an update inside a zero callback of another
 * on the same thread, whose cell the inner update reuses).
 *
 * <p>Recovery of a dead {@code s}, for each handle in its intents and ledger: if the word is locked
 * by {@code s} without STORED and an intent with held-before exists (from step 3 to step 5), the
 * count still holds s's old contribution: subtract held-before; in every other case (not locked by
 * s, locked before step 3, or STORED: from step 5 to step 7) the count holds exactly the ledger's
 * holding: subtract that.
 * Free the block if that brings the count to zero (or s's entry was PENDING, or s died sharing it)
 * unless the block is already free.
 *
 * <p>One recoverer works at a time (a lock word in the section holding the recovery's claim,
 * {@link Region#recoveryToken}, so two recoveries exclude each other in one process as in two;
 * taken over from a dead recoverer), and it keeps a journal of the one word it holds, naming
 * itself as writer: a recoverer locks words and writes the journal in the name of the dead slot it
 * recovers (nobody else acts in that slot's name while it is claimed, and the recoverer need not
 * be attached), so a lock by the dead slot stays distinguishable by STORED and by the journal: the handle and phase LOCKING before it locks the word (STORED, in its own name) with the
 * word as it found it before each CAS, the word it will store and phase APPLY before it changes
 * anything, phase DONE once the word is stored, the block freed and the dead slot's entries
 * cleared, and an empty journal once the word is unlocked. The next recoverer first replays a
 * journal left by a dead one, only while the word is still locked, with STORED, by the journal's
 * writer, gone: LOCKING puts back the word as found (so a lock of the dead slot keeps its meaning),
 * APPLY applies again (idempotent) in the writer's name if the generation is the journal's, DONE
 * unlocks the word stored. Otherwise (the block was freed and reused, the word is held by a live
 * slot) the replay changes nothing, and a journal with a value out of range is ignored as corrupt
 * (both reported in the recovery's summary). So each ledger entry is subtracted exactly once and no
 * word stays locked by a dead recoverer.
 *
 * <p>A count word no writer leaves (its lock field names a slot outside the process table, or it
 * has STORED without a lock: see {@link #wordProblem}) is corrupt: an operation on it, and
 * {@link #count}, throw {@link RefCountException} at once and change nothing (nobody will ever
 * unlock it, so nobody waits for it or runs recovery for it), and recovery leaves it as found,
 * names it in its summary and recovers the rest of the dead slot.
 * <p>A word locked by a process's own slot is its own business: each thread names the handle in
 * its cell from before it locks the word until after it unlocks it, so the process can tell when
 * none of its threads holds such a lock (corrupt, or left by an earlier attachment of the slot
 * that gave the slot back mid-update). Before this object's first update no thread of it holds
 * any word, so every lock of its slot is such a leftover and is dropped, keeping the count
 * ({@link #dropOwnLeftover}); after that, an operation that meets one fails within milliseconds
 * ({@link LeftoverProbe}) instead of waiting 10 s, and a recovery run by this process leaves it
 * as found and names it, recovering the rest of the dead slot: nobody would unlock it while this
 * process stays attached (its detach frees the slot, and then the next operation drops it).
 */
public final class RefCounts implements AutoCloseable
{
    /**
     * The refcount module's logger: count words of gone holders unlocked (INFO), references dropped
     * at close (WARNING).
     */
    static final System.Logger LOG = System.getLogger(RefCounts.class.getPackageName());
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Region region;
    private final TieredPool pool;
    private final Path file;
    private final AtomicBuffer buffer;
    private final int processSlots;
    private final int base;
    private final int tierCount;
    private final int[] countsBase;
    private final int[] blockCount;
    private final int ledgerCapacity;
    private final int cellsPerSlot;
    private final int slotAreaBase;
    private final int slotAreaSize;
    private final long graceMillis;
    private final ThreadLocal<int[]> cells = new ThreadLocal<>();
    private final BitSet leased = new BitSet();
    private final Thread[] cellOwners;
    private final ReentrantLock sharedCellLock = new ReentrantLock();
    /** Guards this process's ledger (package-private for tests). */
    final Object ledgerLock = new Object();
    private final List<ZeroListener> zeroListeners = new CopyOnWriteArrayList<>();
    private volatile List<DroppedReference> droppedAtClose = List.of();
    private volatile ScheduledExecutorService graceTimer;
    private volatile boolean closed;
    /** Whether a thread of this object has taken a cell (guarded by this object's monitor). */
    private boolean cellsTaken;
    /** Set by close(): a count reaching zero frees at once (the grace timer is gone). */
    private volatile boolean closing;
    /** Crash injection for tests: called at each numbered step of an update and of a recovery. */
    volatile StepHook stepHook;

    /** Step of an update: intent (handle, NOT_LOCKED) written, word not locked yet. */
    static final int STEP_INTENT = 1;
    /** Step of an update: word locked, nothing else changed. */
    static final int STEP_LOCKED = 2;
    /** Step of an update: the intent holds the slot's holding before the update. */
    static final int STEP_HELD_BEFORE = 3;
    /** Step of an update: ledger updated. */
    static final int STEP_LEDGER = 4;
    /** Step of an update: block published (share) or freed (zero). */
    static final int STEP_APPLIED = 5;
    /** Step of an update: new count stored, word still locked (STORED). */
    static final int STEP_COUNT_STORED = 6;
    /** Step of an update: the intent's held-before reset. */
    static final int STEP_HELD_RESET = 7;
    /** Step of an update: word unlocked, intent not cleared yet. */
    static final int STEP_UNLOCKED = 8;
    /** A ledger probe ({@link #findEntry}). */
    static final int STEP_LEDGER_PROBE = 20;
    /** Step of a recovery: journal LOCKING written and the word locked by the recoverer. */
    static final int STEP_RECOVERY_LOCKED = 31;
    /** Step of a recovery: journal APPLY written, nothing applied. */
    static final int STEP_RECOVERY_JOURNALED = 32;
    /** Step of a recovery: applied and journal DONE, word still locked by the recoverer. */
    static final int STEP_RECOVERY_DONE = 33;

    /** Test hook. */
    interface StepHook
    {
        void at(int step);
    }

    /**
     * Takes the values {@link #open} checked; never reads the header again. The count words'
     * offsets are derived from the block counts (the tier table's copy of them is checked by open).
     */
    private RefCounts(final Region region, final TieredPool pool, final int base, final int[] counts, final int capacity,
        final int cells, final long graceMillis)
    {
        this.region = region;
        this.pool = pool;
        this.file = region.file();
        this.buffer = region.buffer();
        this.processSlots = region.processSlots();
        this.base = base;
        this.tierCount = counts.length;
        this.countsBase = new int[tierCount];
        this.blockCount = counts.clone();
        long offset = COUNTS_OFFSET;
        for (int t = 0; t < tierCount; t++)
        {
            countsBase[t] = (int)(base + offset);
            offset = RegionDescriptor.align(offset + (long)counts[t] * Long.BYTES, 64);
        }
        this.ledgerCapacity = capacity;
        this.cellsPerSlot = cells;
        this.slotAreaSize = cellsPerSlot * CELL_SIZE + ledgerCapacity * ENTRY_SIZE;
        this.slotAreaBase = (int)(base + offset);
        this.graceMillis = graceMillis;
        this.cellOwners = new Thread[cellsPerSlot];
    }

    private static long layoutEnd(final int[] counts)
    {
        long offset = COUNTS_OFFSET;
        for (final int count : counts)
        {
            offset = RegionDescriptor.align(offset + (long)count * Long.BYTES, 64);
        }
        return offset;
    }

    /**
     * The region section for the reference counts of a pool with {@code poolConfig}.
     *
     * @param poolConfig   the pool's configuration (one count word per block).
     * @param config       reference-count configuration.
     * @param processSlots the region's process slot count (one ledger per slot).
     * @return the section to add to the region's configuration.
     */
    public static SectionSpec section(final PoolConfig poolConfig, final RefCountConfig config, final int processSlots)
    {
        final List<TierConfig> tiers = poolConfig.tiers();
        final int[] counts = new int[tiers.size()];
        for (int t = 0; t < counts.length; t++)
        {
            counts[t] = tiers.get(t).blockCount();
        }
        final int cellsPerSlot = config.threadsPerProcess() + 1;
        final long slotArea = (long)cellsPerSlot * CELL_SIZE + (long)config.ledgerCapacity() * ENTRY_SIZE;
        final long length = layoutEnd(counts) + slotArea * processSlots;
        final SectionSettings settings = settings(counts, config.ledgerCapacity(), cellsPerSlot, config.gracePeriod().toMillis(),
            processSlots);
        return new SectionSpec(SectionSpec.REFCOUNT, length, true, (buffer, section) ->
        {
            final int b = (int)section.offset();
            buffer.putInt(b + VERSION_OFFSET, VERSION);
            buffer.putInt(b + TIER_COUNT_OFFSET, counts.length);
            buffer.putInt(b + LEDGER_CAPACITY_OFFSET, config.ledgerCapacity());
            buffer.putInt(b + CELLS_PER_SLOT_OFFSET, cellsPerSlot);
            buffer.putInt(b + PROCESS_SLOTS_OFFSET, processSlots);
            buffer.putLong(b + GRACE_MILLIS_OFFSET, config.gracePeriod().toMillis());
            long offset = COUNTS_OFFSET;
            for (int t = 0; t < counts.length; t++)
            {
                buffer.putInt(b + TIER_TABLE_OFFSET + t * TIER_ENTRY_SIZE, counts[t]);
                buffer.putLong(b + TIER_TABLE_OFFSET + t * TIER_ENTRY_SIZE + 8, offset); // for tools; open derives it
                offset = RegionDescriptor.align(offset + (long)counts[t] * Long.BYTES, 64);
            }
            buffer.putLongRelease(b + MAGIC_OFFSET, MAGIC);
        }, settings);
    }

    /**
     * The settings of a reference-count section, all fixed when the region is created (they shape
     * the section, or, the grace period, how every process frees): see {@link RefCountConfig}.
     */
    private static SectionSettings settings(final int[] counts, final int capacity, final int cellsPerSlot, final long graceMillis,
        final int processSlots)
    {
        return SectionSettings.builder(RefCounts::readSettings)
            .fixed("RefCountConfig.ledgerCapacity", capacity)
            .fixed("RefCountConfig.threadsPerProcess", cellsPerSlot - 1)
            .fixed("RefCountConfig.gracePeriod", graceMillis + " ms")
            .fixed("RefCounts.section pool block counts", java.util.Arrays.toString(counts))
            .processSlots("RefCounts.section processSlots", processSlots)
            .build();
    }

    /** The settings saved in a reference-count section, or null when it is not one. */
    private static Map<String, String> readSettings(final AtomicBuffer section)
    {
        final int tiers = section.getInt(TIER_COUNT_OFFSET);
        if (section.getLongVolatile(MAGIC_OFFSET) != MAGIC || section.getInt(VERSION_OFFSET) != VERSION
            || tiers < 1 || tiers > PoolConfig.MAX_TIERS)
        {
            return null;
        }
        final int[] counts = new int[tiers];
        for (int t = 0; t < tiers; t++)
        {
            counts[t] = section.getInt(TIER_TABLE_OFFSET + t * TIER_ENTRY_SIZE);
        }
        return settings(counts, section.getInt(LEDGER_CAPACITY_OFFSET), section.getInt(CELLS_PER_SLOT_OFFSET),
            section.getLong(GRACE_MILLIS_OFFSET), section.getInt(PROCESS_SLOTS_OFFSET)).requested();
    }

    /**
     * Opens the reference counts of a region and registers their recovery step (run before the
     * pool's). Open before {@link Region#attach()}. Their settings are the region's, as saved.
     *
     * @param region the region, created with {@link #section} and the pool's section.
     * @param pool   the region's pool.
     * @return the reference counts.
     * @throws IllegalStateException when the region is attached already.
     */
    public static RefCounts open(final Region region, final TieredPool pool)
    {
        final Section section = region.section(SectionSpec.REFCOUNT);
        final int b = (int)section.offset();
        final AtomicBuffer buffer = region.buffer();
        check(region, "refcount.magic", buffer.getLongVolatile(b + MAGIC_OFFSET), MAGIC);
        check(region, "refcount.version", buffer.getInt(b + VERSION_OFFSET), VERSION);
        check(region, "refcount.tierCount", buffer.getInt(b + TIER_COUNT_OFFSET), pool.tierCount());
        check(region, "refcount.processSlots", buffer.getInt(b + PROCESS_SLOTS_OFFSET), region.processSlots());
        final int capacity = buffer.getInt(b + LEDGER_CAPACITY_OFFSET);
        final int cells = buffer.getInt(b + CELLS_PER_SLOT_OFFSET);
        if (capacity < 1 || capacity > (1 << 20) || cells < 2 || cells > 257)
        {
            throw new io.shmtx.region.RegionFormatException(region.file(), "refcount.ledger", capacity + "/" + cells,
                "capacity 1..1048576, cells 2..257");
        }
        final int[] counts = new int[pool.tierCount()];
        long offset = COUNTS_OFFSET;
        for (int t = 0; t < counts.length; t++)
        {
            counts[t] = pool.blockCount(t);
            check(region, "refcount.tier[" + t + "].blockCount", buffer.getInt(b + TIER_TABLE_OFFSET + t * TIER_ENTRY_SIZE), counts[t]);
            check(region, "refcount.tier[" + t + "].countsOffset", buffer.getLong(b + TIER_TABLE_OFFSET + t * TIER_ENTRY_SIZE + 8), offset);
            offset = RegionDescriptor.align(offset + (long)counts[t] * Long.BYTES, 64);
        }
        final long grace = buffer.getLong(b + GRACE_MILLIS_OFFSET);
        if (grace < 0 || grace > 3_600_000)
        {
            throw new io.shmtx.region.RegionFormatException(region.file(), "refcount.graceMillis", String.valueOf(grace), "0..3600000");
        }
        final long needed = layoutEnd(counts) + ((long)cells * CELL_SIZE + (long)capacity * ENTRY_SIZE) * region.processSlots();
        if (needed > section.length())
        {
            throw new io.shmtx.region.RegionFormatException(region.file(), "refcount.length", String.valueOf(section.length()),
                "at least " + needed);
        }
        final RefCounts refs = new RefCounts(region, pool, b, counts, capacity, cells, grace);
        region.registerRecoveryStep(new RefCountRecovery(refs));
        region.registerDetachHook(refs::close);
        return refs;
    }

    private static void check(final Region region, final String field, final long found, final long required)
    {
        if (found != required)
        {
            throw new io.shmtx.region.RegionFormatException(region.file(), field, String.valueOf(found), String.valueOf(required));
        }
    }

    // ------------------------------------------------------------------ operations

    /**
     * Allocates a block from the pool and shares it: count 1, held by this process.
     *
     * @param size bytes.
     * @return the handle.
     */
    public long allocate(final int size)
    {
        checkOpen();
        final long handle = pool.allocate(size);
        try
        {
            share(handle);
        }
        catch (final RuntimeException ex)
        {
            pool.free(handle);
            throw ex;
        }
        return handle;
    }

    /**
     * Turns a block this process allocated (and owns) into a reference-counted one: count 1,
     * held by this process; it is published, so the pool no longer frees it with its allocator.
     *
     * @param handle a block allocated by this process.
     * @throws RefCountException when it is not owned by this process or already shared, or the
     *                           count word is corrupt.
     */
    public void share(final long handle)
    {
        update(handle, Op.SHARE);
    }

    /**
     * Adds a reference held by this process.
     *
     * @param handle a shared block with a count above zero.
     * @throws StaleHandleException when the block was freed (count zero) or reused.
     * @throws RefCountException when this process's ledger is full, or the count word is corrupt.
     */
    public void retain(final long handle)
    {
        update(handle, Op.RETAIN);
    }

    /**
     * Drops a reference held by this process; the last one frees the block (after the grace
     * period, if any).
     *
     * @param handle a shared block.
     * @return whether this call brought the count to zero.
     * @throws RefCountException when this process holds no reference to it (below zero), or the
     *                           count word is corrupt.
     * @throws StaleHandleException when the block was freed or reused.
     */
    public boolean release(final long handle)
    {
        return update(handle, Op.RELEASE);
    }

    /**
     * Current count of a handle: 0 when the block was freed or is not shared.
     *
     * @param handle a handle.
     * @return the count.
     * @throws RefCountException when the count word is corrupt.
     */
    public int count(final long handle)
    {
        checkOpen();
        final long w = buffer.getLongVolatile(wordOffset(handle));
        checkWord(handle, w);
        // a block freed through the pool directly (behind the counts' back) has no references either
        return generation(w) == Handles.generation(handle) && pool.isLive(handle) ? RefCountDescriptor.count(w) : 0;
    }

    /**
     * References this process holds to a handle.
     *
     * @param handle a handle.
     * @return the holding, 0 if none.
     * @throws InvalidHandleException when the handle names no block of the pool (as {@link #count}).
     */
    public long held(final long handle)
    {
        checkOpen();
        wordOffset(handle);
        final int mine = mySlot();
        synchronized (ledgerLock)
        {
            final int entry = findEntry(mine, handle, false);
            return entry < 0 ? 0 : Math.max(0, buffer.getLong(entry + ENTRY_HELD_OFFSET));
        }
    }

    /**
     * Adds a callback run when a count reaches zero, just before the block is freed: in the
     * process that brought it to zero, or in the process that recovers a dead holder. At least
     * once: a process killed after its callback but before the free has it run again by its
     * recoverer.
     *
     * @param callback receives the handle.
     */
    public void onZero(final LongConsumer callback)
    {
        if (callback == null)
        {
            throw new IllegalArgumentException("callback=null");
        }
        zeroListeners.add((handle, deadSlot) -> callback.accept(handle));
    }

    /**
     * As {@link #onZero(LongConsumer)}, for a module that frees more blocks with the object
     * (e.g. blocks it hangs off it): the callback also learns whether it runs inside the
     * recovery of a dead slot, where the recovering process may not be attached and must free
     * through {@link io.shmtx.pool.TieredPool#freeInRecovery(long, int)} in that slot's name.
     *
     * @param callback receives the handle and the slot being recovered, or -1 outside a recovery.
     */
    public void onZeroWithSlot(final ZeroListener callback)
    {
        if (callback == null)
        {
            throw new IllegalArgumentException("callback=null");
        }
        zeroListeners.add(callback);
    }

    /** A callback for a count that reached zero (see {@link #onZeroWithSlot(ZeroListener)}). */
    @FunctionalInterface
    public interface ZeroListener
    {
        /**
         * Called just before the block is freed.
         *
         * @param handle   the block whose count reached zero.
         * @param deadSlot the slot whose recovery dropped the last reference, or -1 when a live
         *                 process released it.
         */
        void onZero(long handle, int deadSlot);
    }

    private enum Op
    {
        SHARE, RETAIN, RELEASE
    }

    private boolean update(final long handle, final Op op)
    {
        checkOpen();
        final int word = wordOffset(handle);
        final int generation = Handles.generation(handle);
        final int[] cell = cell();
        final boolean shared = cell[2] != 0;
        if (shared)
        {
            sharedCellLock.lock();
        }
        try
        {
            return update(handle, op, word, generation, cell[0], cell[1]);
        }
        finally
        {
            if (shared)
            {
                sharedCellLock.unlock();
            }
        }
    }

    private boolean update(final long handle, final Op op, final int word, final int generation, final int me, final int cell)
    {
        final long graceMillis = closing ? 0 : this.graceMillis;
        final long before = lockWithIntent(word, me, cell, handle);
        final int newCount;
        final boolean zero;
        synchronized (ledgerLock)
        {
            // one probe and one monitor entry: the entry found is the one updated (no other thread
            // of this process can shift it meanwhile), and the intent's held-before is in place
            // before the ledger changes
            final int entry;
            final long heldBefore;
            final long now;
            try
            {
                validate(handle, op, before, generation, me);
                entry = findEntry(me, handle, op != Op.RELEASE);
                heldBefore = entry < 0 ? 0 : Math.max(0, buffer.getLong(entry + ENTRY_HELD_OFFSET));
                if (op == Op.RELEASE && heldBefore == 0)
                {
                    throw new RefCountException(file, "slot " + me + " holds no reference to handle " + Handles.toString(handle)
                        + ": releasing it would take its holding below zero");
                }
                if (entry < 0)
                {
                    throw new RefCountException(file, "the ledger of slot " + me + " is full: capacity=" + ledgerCapacity
                        + " handles (create the region with a larger RefCountConfig.ledgerCapacity); handle "
                        + Handles.toString(handle) + " not " + (op == Op.SHARE ? "shared" : "retained"));
                }
                now = heldBefore == 0 ? region.coarseMillis() : 0;
            }
            catch (final RuntimeException ex)
            {
                // refused: the word as it was, unlocked; the intent never had a held-before
                buffer.putLongRelease(word, before);
                buffer.putLongRelease(cell + CELL_HANDLE_OFFSET, 0);
                throw ex;
            }
            newCount = op == Op.SHARE ? 1 : RefCountDescriptor.count(before) + (op == Op.RETAIN ? 1 : -1);
            zero = op == Op.RELEASE && newCount == 0;
            buffer.putLongRelease(cell + CELL_HELD_BEFORE_OFFSET, heldBefore);
            hook(STEP_HELD_BEFORE);
            if (heldBefore == 0)
            {
                buffer.putLong(entry + ENTRY_TIME_OFFSET, now);
            }
            final long newHeld = zero && graceMillis > 0 ? PENDING_FREE : heldBefore + (op == Op.RELEASE ? -1 : 1);
            buffer.putLongRelease(entry + ENTRY_HELD_OFFSET, newHeld);
            if (newHeld == 0)
            {
                removeEntry(me, entry);
            }
        }
        final long after = RefCountDescriptor.word(generation, newCount, -1);
        try
        {
            hook(STEP_LEDGER);
            if (op == Op.SHARE)
            {
                pool.publish(handle);
            }
            else if (zero && graceMillis == 0)
            {
                freeBlock(handle);
            }
            hook(STEP_APPLIED);
        }
        catch (final RuntimeException ex)
        {
            // the ledger already says it: store the count that matches, then report
            unlockWithIntent(word, after, me, cell);
            throw ex;
        }
        unlockWithIntent(word, after, me, cell);
        if (zero && graceMillis > 0)
        {
            scheduleFree(handle);
        }
        return zero;
    }

    /**
     * Steps 1-2: writes the intent (handle, {@link RefCountDescriptor#NOT_LOCKED}) and locks the
     * count word; on failure clears the intent.
     *
     * @return the word as it was, unlocked.
     */
    private long lockWithIntent(final int word, final int me, final int cell, final long handle)
    {
        buffer.putLong(cell + CELL_HELD_BEFORE_OFFSET, NOT_LOCKED);
        buffer.putLongRelease(cell + CELL_HANDLE_OFFSET, handle);
        hook(STEP_INTENT);
        final long before;
        try
        {
            before = lock(word, me, cell, handle);
        }
        catch (final RuntimeException ex)
        {
            buffer.putLongRelease(cell + CELL_HANDLE_OFFSET, 0);
            throw ex;
        }
        hook(STEP_LOCKED);
        return before;
    }

    /**
     * The last steps: stores {@code after} still locked with {@link RefCountDescriptor#STORED}, resets
     * the intent's held-before, unlocks, clears the intent. A held-before thus exists only while its
     * thread holds the word with its count not stored yet.
     */
    private void unlockWithIntent(final int word, final long after, final int me, final int cell)
    {
        buffer.putLongRelease(word, lockedStored(after, me));
        hook(STEP_COUNT_STORED);
        buffer.putLongRelease(cell + CELL_HELD_BEFORE_OFFSET, NOT_LOCKED);
        hook(STEP_HELD_RESET);
        buffer.putLongRelease(word, after);
        hook(STEP_UNLOCKED);
        buffer.putLongRelease(cell + CELL_HANDLE_OFFSET, 0);
    }

    private void validate(final long handle, final Op op, final long word, final int generation, final int me)
    {
        if (op == Op.SHARE)
        {
            if (!pool.isLive(handle) || pool.ownerSlot(handle) != me)
            {
                throw new RefCountException(file, "handle " + Handles.toString(handle)
                    + " cannot be shared: share a block this process allocated and still owns");
            }
            if (generation(word) == generation && RefCountDescriptor.count(word) > 0)
            {
                throw new RefCountException(file, "handle " + Handles.toString(handle) + " is already shared (count "
                    + RefCountDescriptor.count(word) + ")");
            }
            return;
        }
        if (generation(word) != generation || RefCountDescriptor.count(word) == 0 || !pool.isLive(handle))
        {
            throw new StaleHandleException(file, handle, "its count is zero: the block was freed or never shared");
        }
        if (op == Op.RETAIN && RefCountDescriptor.count(word) == MAX_COUNT)
        {
            throw new RefCountException(file, "handle " + Handles.toString(handle) + " has the largest count " + MAX_COUNT);
        }
    }

    void hook(final int step)
    {
        final StepHook h = stepHook;
        if (h != null)
        {
            h.at(step);
        }
    }

    /**
     * Locks a count word for {@code me}; a waiter that finds the owner dead runs recovery. A
     * corrupt word is refused at once, unchanged: nobody will unlock it, and recovering its
     * impossible owner would change nothing. So is, within a few milliseconds, a word locked by
     * this attachment's own slot that none of its threads holds ({@link LeftoverProbe}): nobody
     * would unlock it while this process stays attached.
     *
     * @param cell the caller's cell (its own intent names the handle).
     * @return the word as it was, unlocked.
     * @throws RefCountException when the word is corrupt, or locked by this slot with no thread
     *                           of it holding it, or stays locked by a live slot.
     */
    private long lock(final int word, final int me, final int cell, final long handle)
    {
        final long deadline = System.nanoTime() + WAIT_NANOS;
        long nextCheck = 0;
        int spins = 0;
        LeftoverProbe probe = null;
        while (true)
        {
            final long w = buffer.getLongVolatile(word);
            final int owner = lockOwner(w);
            if (owner < 0 && !stored(w))
            {
                if (buffer.compareAndSetLong(word, w, locked(w, me)))
                {
                    return w;
                }
                continue;
            }
            checkWord(handle, w); // from here on the owner is a slot of the process table
            final long now = System.nanoTime();
            if (now > nextCheck)
            {
                nextCheck = now + TimeUnit.MILLISECONDS.toNanos(1);
                if (owner == me)
                {
                    probe = probe == null ? new LeftoverProbe() : probe;
                    if (probe.leftover(this, word, w, handle, cell))
                    {
                        throw new RefCountException(file, "the count word 0x" + Long.toHexString(w) + " of handle "
                            + Handles.toString(handle) + " is locked by slot " + me + ", this process's own, but none of its"
                            + " threads holds it (" + OWN_LEFTOVER + "); left as found: it is unlocked once this process detaches");
                    }
                }
                else if (ownerGone(owner) && !releaseAbandoned(word, w, owner))
                {
                    region.recoverDeadSlots();
                }
            }
            if (now > deadline)
            {
                throw new RefCountException(file, "the count of handle " + Handles.toString(handle) + " has been locked by slot "
                    + owner + " for more than " + TimeUnit.NANOSECONDS.toSeconds(WAIT_NANOS) + " s");
            }
            if (++spins < 100)
            {
                Thread.onSpinWait();
            }
            else
            {
                LockSupport.parkNanos(20_000);
            }
        }
    }

    /**
     * Drops a lock held by a slot that is FREE: a process gave its slot back without finishing an
     * update (it detached mid-update, or a buggy writer), so neither it nor recovery (which runs
     * only for dead attached slots) will ever unlock the word. The word keeps its count and
     * generation. The slot's state is read after the word, and a process attaches before it can
     * lock anything, so a slot attached again since is seen ATTACHED and left alone; the CAS is on
     * the exact word read.
     *
     * @param word the word's offset.
     * @param w    the word as read, locked by {@code owner}.
     * @param owner a slot of the process table.
     * @return whether the lock was dropped.
     */
    boolean releaseAbandoned(final int word, final long w, final int owner)
    {
        if (ProcessTableDescriptor.state(region.slotStateWord(owner)) == ProcessTableDescriptor.STATE_FREE
            && buffer.compareAndSetLong(word, w, RefCountDescriptor.unlocked(w)))
        {
            LOG.log(System.Logger.Level.INFO, () -> "region " + file + ": count word at offset " + word
                + " was left locked by free slot " + owner + "; unlocked, its count kept");
            return true;
        }
        return false;
    }

    /**
     * What a count word locked by a process's own slot, with none of its threads holding it, is
     * (for messages).
     */
    static final String OWN_LEFTOVER = "a corrupt word, or one an earlier attachment of the slot left mid-update";

    /**
     * Drops a lock of this attachment's own slot on the word at {@code word} (reading {@code w})
     * while no thread of this object has taken a cell yet: then none of them can hold a count
     * word, so such a lock was left by an earlier attachment of the slot (or is corrupt), and
     * nobody else will ever drop it. Exact: cells are taken under the same monitor. The word keeps
     * its count and generation, as {@link #releaseAbandoned} does.
     *
     * @return whether the lock was dropped.
     */
    synchronized boolean dropOwnLeftover(final int word, final long w)
    {
        return !cellsTaken && lockOwner(w) == region.slot() && lockOwner(w) >= 0
            && buffer.compareAndSetLong(word, w, RefCountDescriptor.unlocked(w));
    }

    /**
     * Whether no thread of this attachment holds the count word of {@code handle} at {@code word},
     * read as {@code w} locked by this attachment's slot: no cell of the slot other than
     * {@code exceptCell} (the caller's own, or -1) names a handle of the same block, of whatever
     * generation (a thread names the handle it was given in its cell from before it locks the
     * block's word to after it unlocks it, and a stale handle locks the same word as the live one),
     * and the word still reads {@code w} after the cells were read.
     */
    boolean heldByNoThread(final int word, final long w, final long handle, final int exceptCell)
    {
        final int me = region.slot();
        if (me < 0 || lockOwner(w) != me)
        {
            return false;
        }
        for (int c = 0; c < cellsPerSlot; c++)
        {
            final int cell = cellOffset(me, c);
            if (cell != exceptCell && sameBlock(buffer.getLongVolatile(cell + CELL_HANDLE_OFFSET), handle))
            {
                return false;
            }
        }
        return buffer.getLongVolatile(word) == w;
    }

    /**
     * Whether two handles name the same block, whatever their generations: they share its count
     * word, so a thread holding that word may name either. 0 (no intent) names no block.
     */
    static boolean sameBlock(final long a, final long b)
    {
        return a != 0 && Handles.tier(a) == Handles.tier(b) && Handles.index(a) == Handles.index(b);
    }

    /**
     * Whether nobody will unlock what slot {@code owner} holds: it is not attached, or its
     * process died.
     *
     * @param owner a slot of the process table (callers range-check values read from the region).
     */
    boolean ownerGone(final int owner)
    {
        return ProcessTableDescriptor.state(region.slotStateWord(owner)) != ProcessTableDescriptor.STATE_ATTACHED
            || !region.isAlive(owner);
    }

    /**
     * Why a count word read from the region is one no writer leaves, or {@code null}: its lock
     * field names a slot outside the process table (0..processSlots-1), or it has
     * {@link RefCountDescriptor#STORED} without a lock. The count and generation fields have no
     * impossible values.
     *
     * @param w a count word.
     * @return the problem, or {@code null}.
     */
    String wordProblem(final long w)
    {
        final int owner = lockOwner(w);
        if (owner >= processSlots)
        {
            return "it is locked by slot " + owner + ", outside the process table 0.." + (processSlots - 1);
        }
        if (owner < 0 && stored(w))
        {
            return "it has STORED set without a lock";
        }
        return null;
    }

    /**
     * @throws RefCountException naming the file, handle, word and problem when {@code w} is corrupt.
     */
    private void checkWord(final long handle, final long w)
    {
        final String problem = wordProblem(w);
        if (problem != null)
        {
            throw new RefCountException(file, "the count word 0x" + Long.toHexString(w) + " of handle " + Handles.toString(handle)
                + " is corrupt: " + problem + " (left as found)");
        }
    }

    /**
     * @throws IllegalStateException naming the file once the region is closed (or abandoned):
     *                               its buffer no longer maps the region.
     */
    private void checkOpen()
    {
        if (region.isClosed())
        {
            throw new IllegalStateException("region " + file + " is closed: its reference counts cannot be used");
        }
    }

    /**
     * Frees a block whose count a recovery brought to zero, in the name of {@code deadSlot}, the
     * slot that recovery has claimed: the zero callbacks run, then the pool hands the block to
     * that slot, and the pool's recovery step (after this one) returns it to its free list. Needs
     * no attachment and no thread cache (see {@link TieredPool#freeInRecovery}).
     */
    void freeInRecovery(final long handle, final int deadSlot)
    {
        for (final ZeroListener listener : zeroListeners)
        {
            listener.onZero(handle, deadSlot);
        }
        pool.freeInRecovery(handle, deadSlot);
    }

    void freeBlock(final long handle)
    {
        for (final ZeroListener listener : zeroListeners)
        {
            listener.onZero(handle, -1);
        }
        if (pool.isLive(handle))
        {
            pool.free(handle);
        }
    }

    private void scheduleFree(final long handle)
    {
        ScheduledExecutorService timer = graceTimer;
        if (timer == null)
        {
            synchronized (this)
            {
                timer = graceTimer;
                if (timer == null)
                {
                    timer = Executors.newSingleThreadScheduledExecutor(r ->
                    {
                        final Thread t = new Thread(r, "shmtx-refcount-grace");
                        t.setDaemon(true);
                        return t;
                    });
                    graceTimer = timer;
                }
            }
        }
        timer.schedule(() -> freeAfterGrace(handle), graceMillis, TimeUnit.MILLISECONDS);
    }

    private void freeAfterGrace(final long handle)
    {
        if (closed || region.isClosed())
        {
            return; // close() freed it already, or the process left without it (recovery frees it)
        }
        final int[] cell = cell();
        if (cell[2] != 0)
        {
            sharedCellLock.lock();
            try
            {
                freeAfterGrace(handle, cell);
            }
            finally
            {
                sharedCellLock.unlock();
            }
            return;
        }
        freeAfterGrace(handle, cell);
    }

    private void freeAfterGrace(final long handle, final int[] cell)
    {
        final int word = wordOffset(handle);
        final long before = lockWithIntent(word, cell[0], cell[1], handle);
        try
        {
            buffer.putLongRelease(cell[1] + CELL_HELD_BEFORE_OFFSET, PENDING_FREE);
            synchronized (ledgerLock)
            {
                final int entry = findEntry(cell[0], handle, false);
                if (entry < 0 || buffer.getLong(entry + ENTRY_HELD_OFFSET) != PENDING_FREE)
                {
                    return; // freed already (by close, or an earlier timer)
                }
                if (generation(before) == Handles.generation(handle) && RefCountDescriptor.count(before) == 0)
                {
                    freeBlock(handle);
                }
                buffer.putLongRelease(entry + ENTRY_HELD_OFFSET, 0);
                removeEntry(cell[0], entry);
            }
        }
        finally
        {
            unlockWithIntent(word, before, cell[0], cell[1]);
        }
    }

    // ------------------------------------------------------------------ ledger and cells

    /**
     * Finds (or, with {@code insert}, creates) the ledger entry of {@code handle} in {@code slot}'s
     * ledger. Open addressing; an entry whose holding is 0 may be reused; a never-used entry ends a
     * probe. Caller holds the ledger lock (for its own slot) or the recovery lock (dead slot).
     *
     * @return the entry's offset, or -1 (absent, or full when inserting).
     */
    int findEntry(final int slot, final long handle, final boolean insert)
    {
        hook(STEP_LEDGER_PROBE);
        final int ledger = ledgerOffset(slot);
        final int start = home(handle);
        for (int i = 0; i < ledgerCapacity; i++)
        {
            final int entry = ledger + ((start + i) % ledgerCapacity) * ENTRY_SIZE;
            final long key = buffer.getLongVolatile(entry + ENTRY_HANDLE_OFFSET);
            if (key == handle)
            {
                return entry;
            }
            if (key == 0)
            {
                if (!insert)
                {
                    return -1;
                }
                buffer.putLong(entry + ENTRY_HELD_OFFSET, 0);
                buffer.putLongRelease(entry + ENTRY_HANDLE_OFFSET, handle);
                return entry;
            }
        }
        return -1;
    }

    private int home(final long handle)
    {
        return (int)((mix(handle) & Long.MAX_VALUE) % ledgerCapacity);
    }

    /**
     * Removes an entry whose holding reached zero, shifting later entries of its probe run back
     * (linear-probing deletion without tombstones, so a ledger never fills with dead entries).
     * Each entry is copied before its old place is cleared: a crash in between leaves two equal
     * entries for one handle, which recovery reads as one. Caller holds the ledger lock.
     */
    void removeEntry(final int slot, final int entry)
    {
        final int ledger = ledgerOffset(slot);
        int hole = (entry - ledger) / ENTRY_SIZE;
        int j = hole;
        for (int step = 1; step < ledgerCapacity; step++) // a full ledger has no empty entry to stop at
        {
            j = (j + 1) % ledgerCapacity;
            final int at = ledger + j * ENTRY_SIZE;
            final long key = buffer.getLongVolatile(at + ENTRY_HANDLE_OFFSET);
            if (key == 0)
            {
                break;
            }
            final int k = home(key);
            final boolean stays = hole <= j ? (k > hole && k <= j) : (k > hole || k <= j);
            if (!stays)
            {
                final int to = ledger + hole * ENTRY_SIZE;
                buffer.putLong(to + ENTRY_TIME_OFFSET, buffer.getLong(at + ENTRY_TIME_OFFSET));
                buffer.putLong(to + ENTRY_HELD_OFFSET, buffer.getLongVolatile(at + ENTRY_HELD_OFFSET));
                buffer.putLongRelease(to + ENTRY_HANDLE_OFFSET, key);
                hole = j;
            }
        }
        final int last = ledger + hole * ENTRY_SIZE;
        buffer.putLongRelease(last + ENTRY_HANDLE_OFFSET, 0);
        buffer.putLong(last + ENTRY_HELD_OFFSET, 0);
    }

    /**
     * Sets the holding of every entry for {@code handle} (one, or two after a crash mid-shift) to 0.
     */
    void clearEntries(final int slot, final long handle)
    {
        final int ledger = ledgerOffset(slot);
        final int start = home(handle);
        for (int i = 0; i < ledgerCapacity; i++)
        {
            final int entry = ledger + ((start + i) % ledgerCapacity) * ENTRY_SIZE;
            final long key = buffer.getLongVolatile(entry + ENTRY_HANDLE_OFFSET);
            if (key == 0)
            {
                return;
            }
            if (key == handle)
            {
                buffer.putLongRelease(entry + ENTRY_HELD_OFFSET, 0);
            }
        }
    }

    private static long mix(final long value)
    {
        long h = value * 0x9E3779B97F4A7C15L;
        return h ^ (h >>> 29);
    }

    int ledgerOffset(final int slot)
    {
        return slotAreaBase + slot * slotAreaSize + cellsPerSlot * CELL_SIZE;
    }

    int cellOffset(final int slot, final int cell)
    {
        return slotAreaBase + slot * slotAreaSize + cell * CELL_SIZE;
    }

    /** {slot, cell offset, shared flag}. */
    private int[] cell()
    {
        final int[] cell = cells.get();
        if (cell != null && !closed)
        {
            return cell;
        }
        return newCell();
    }

    private synchronized int[] newCell()
    {
        if (closed)
        {
            throw new IllegalStateException("reference counts of region " + file + " are closed");
        }
        final int me = mySlot();
        if (!cellsTaken)
        {
            dropOwnLeftovers(me);
            cellsTaken = true;
        }
        int index = leased.nextClearBit(0);
        if (index >= cellsPerSlot - 1)
        {
            // give back the cells of threads that ended (their intents are clear between updates)
            for (int c = 0; c < cellsPerSlot - 1; c++)
            {
                final Thread owner = cellOwners[c];
                if (owner != null && !owner.isAlive())
                {
                    cellOwners[c] = null;
                    leased.clear(c);
                }
            }
            index = leased.nextClearBit(0);
        }
        final int[] cell;
        if (index < cellsPerSlot - 1)
        {
            leased.set(index);
            cellOwners[index] = Thread.currentThread();
            cell = new int[] {me, cellOffset(me, index), 0};
        }
        else
        {
            cell = new int[] {me, cellOffset(me, cellsPerSlot - 1), 1};
        }
        cells.set(cell);
        return cell;
    }

    /**
     * Before this object's first update: unlocks every count word left locked by slot {@code me}
     * (by an earlier attachment of the slot that gave it back mid-update, or corrupt), keeping its
     * count and generation. No thread of this attachment holds a word yet (the caller holds the
     * monitor cells are taken under), and no other process locks in this slot's name: each such
     * lock is nobody's. O(blocks), once per attachment.
     */
    private void dropOwnLeftovers(final int me)
    {
        int dropped = 0;
        for (int t = 0; t < tierCount; t++)
        {
            for (int i = 0; i < blockCount[t]; i++)
            {
                final int word = countsBase[t] + i * Long.BYTES;
                final long w = buffer.getLongVolatile(word);
                if (lockOwner(w) == me && buffer.compareAndSetLong(word, w, RefCountDescriptor.unlocked(w)))
                {
                    dropped++;
                }
            }
        }
        if (dropped > 0)
        {
            final int count = dropped;
            LOG.log(System.Logger.Level.INFO, () -> "region " + file + ": " + count + " count word(s) left locked by an earlier"
                + " attachment of slot " + me + " unlocked, their counts kept");
        }
    }

    private int mySlot()
    {
        final int me = region.slot();
        if (me < 0)
        {
            throw new IllegalStateException("region " + file + ": attach() before using reference counts");
        }
        return me;
    }

    int wordOffset(final long handle)
    {
        final int tier = Handles.tier(handle);
        final int index = Handles.index(handle);
        if (tier < 0 || tier >= tierCount || index < 0 || index >= blockCount[tier])
        {
            throw new InvalidHandleException(file, handle, (handle & Handles.RESERVED_BITS) != 0
                ? "its reserved bit 63 is set (0 in every handle)" : "it names no block of the pool");
        }
        return countsBase[tier] + index * Long.BYTES;
    }

    // ------------------------------------------------------------------ diagnostics

    /**
     * References held by a slot: handle to holding (PENDING entries excluded).
     *
     * @param slot process slot.
     * @return a snapshot.
     */
    public Map<Long, Long> references(final int slot)
    {
        checkOpen();
        if (slot < 0 || slot >= region.processSlots())
        {
            throw new IllegalArgumentException("slot=" + slot + " is out of range 0.." + (region.processSlots() - 1));
        }
        final Map<Long, Long> result = new LinkedHashMap<>();
        final int ledger = ledgerOffset(slot);
        for (int i = 0; i < ledgerCapacity; i++)
        {
            final int entry = ledger + i * ENTRY_SIZE;
            final long key = buffer.getLongVolatile(entry + ENTRY_HANDLE_OFFSET);
            final long held = buffer.getLongVolatile(entry + ENTRY_HELD_OFFSET);
            if (key != 0 && held > 0)
            {
                result.put(key, held);
            }
        }
        return result;
    }

    /**
     * A reference held for a long time. Immutable.
     *
     * @param slot      holder's slot.
     * @param handle    the handle.
     * @param held      how many references.
     * @param ageMillis since the first of them was taken.
     */
    public record HeldReference(int slot, long handle, long held, long ageMillis)
    {
    }

    /**
     * References held longer than {@code minAgeMillis}, by slot, oldest first.
     *
     * @param minAgeMillis age threshold.
     * @return the report.
     */
    public List<HeldReference> leakReport(final long minAgeMillis)
    {
        checkOpen();
        final long now = region.coarseMillis();
        final List<HeldReference> result = new ArrayList<>();
        for (int s = 0; s < region.processSlots(); s++)
        {
            final int ledger = ledgerOffset(s);
            for (int i = 0; i < ledgerCapacity; i++)
            {
                final int entry = ledger + i * ENTRY_SIZE;
                final long key = buffer.getLongVolatile(entry + ENTRY_HANDLE_OFFSET);
                final long held = buffer.getLongVolatile(entry + ENTRY_HELD_OFFSET);
                final long age = now - buffer.getLong(entry + ENTRY_TIME_OFFSET);
                if (key != 0 && held > 0 && age >= minAgeMillis)
                {
                    result.add(new HeldReference(s, key, held, age));
                }
            }
        }
        result.sort((a, b) -> Long.compare(b.ageMillis(), a.ageMillis()));
        return result;
    }

    /**
     * Shared blocks nobody can release: count above zero but held by no live process's ledger,
     * or still allocated with a count of zero and no grace pending. Scans every count word.
     *
     * @return handles of orphans.
     */
    public List<Long> orphanReport()
    {
        checkOpen();
        final Map<Long, Long> liveHoldings = new LinkedHashMap<>();
        final Map<Long, Boolean> pending = new LinkedHashMap<>();
        for (int s = 0; s < region.processSlots(); s++)
        {
            final boolean live = ProcessTableDescriptor.state(region.slotStateWord(s)) == ProcessTableDescriptor.STATE_ATTACHED
                && region.isAlive(s);
            final int ledger = ledgerOffset(s);
            for (int i = 0; i < ledgerCapacity; i++)
            {
                final int entry = ledger + i * ENTRY_SIZE;
                final long key = buffer.getLongVolatile(entry + ENTRY_HANDLE_OFFSET);
                final long held = buffer.getLongVolatile(entry + ENTRY_HELD_OFFSET);
                if (key != 0 && held == PENDING_FREE)
                {
                    pending.put(key, true);
                }
                else if (key != 0 && held > 0 && live)
                {
                    liveHoldings.merge(key, held, Long::sum);
                }
            }
        }
        final List<Long> orphans = new ArrayList<>();
        for (int t = 0; t < tierCount; t++)
        {
            for (int i = 0; i < blockCount[t]; i++)
            {
                final long w = buffer.getLongVolatile(countsBase[t] + i * Long.BYTES);
                final long handle = Handles.handle(t, generation(w), i);
                if (!pool.isLive(handle) || (RefCountDescriptor.count(w) == 0 && w == 0))
                {
                    continue;
                }
                if ((RefCountDescriptor.count(w) > 0 && !liveHoldings.containsKey(handle)) || (RefCountDescriptor.count(w) == 0 && !pending.containsKey(handle)))
                {
                    orphans.add(handle);
                }
            }
        }
        return orphans;
    }

    /**
     * Checks the reference counts for what no live update leaves: corrupt count words, words
     * locked by a free or dead slot (the next operation, or the slot's recovery, unlocks them), a
     * count that differs from the references the ledgers of every slot not free hold (or stands on
     * a freed block), ledgers of free slots that still hold references, ledger entries that name
     * no block, and a recovery lock or journal left by a recoverer that is gone (the next recovery
     * takes them over). Reads only; needs no attachment; O(blocks + slots x ledger capacity).
     * Words locked by a live slot are skipped (an update under way); a count is compared only
     * between two equal readings of its word, and a mismatch is read again a millisecond later
     * before it is reported, so a live update does not show as a problem.
     *
     * @return one line per problem, naming the handle or slot and the values; empty when consistent.
     * @throws IllegalStateException when the region is closed.
     */
    public List<String> validate()
    {
        checkOpen();
        final List<String> problems = new ArrayList<>();
        recoveryProblems(problems);
        final Map<Long, Long> holdings = holdings(problems);
        final BitSet slotLive = new BitSet();
        for (int s = 0; s < processSlots; s++)
        {
            if (!ownerGone(s))
            {
                slotLive.set(s);
            }
        }
        final Set<Long> counted = new HashSet<>();
        for (int t = 0; t < tierCount; t++)
        {
            for (int i = 0; i < blockCount[t]; i++)
            {
                final String problem = countProblem(t, i, holdings, slotLive, counted);
                if (problem != null)
                {
                    problems.add(problem);
                }
            }
        }
        for (final Map.Entry<Long, Long> held : holdings.entrySet())
        {
            if (held.getValue() > 0 && !counted.contains(held.getKey()))
            {
                final long handle = held.getKey();
                final long w = buffer.getLongVolatile(countsBase[Handles.tier(handle)] + Handles.index(handle) * Long.BYTES);
                if (generation(w) != Handles.generation(handle) && lockOwner(w) < 0)
                {
                    problems.add("the ledgers hold " + held.getValue() + " references to handle " + Handles.toString(handle)
                        + ", whose count word 0x" + Long.toHexString(w) + " counts generation " + generation(w));
                }
            }
        }
        return problems;
    }

    /** The recovery lock and journal: a gone holder's lock, or a journal with no recoverer working. */
    private void recoveryProblems(final List<String> problems)
    {
        final long holder = buffer.getLongVolatile(base + RECOVERY_LOCK_OFFSET);
        final boolean held = holder != 0 && !region.isOwnerGone(holder);
        if (holder != 0 && !held)
        {
            problems.add("the recovery lock is held by 0x" + Long.toHexString(holder) + ", a recoverer that is gone"
                + " (the next recovery takes it over)");
        }
        final long flags = buffer.getLongVolatile(base + JOURNAL_FLAGS_OFFSET);
        if (flags != 0 && !held)
        {
            problems.add("the recovery journal (flags 0x" + Long.toHexString(flags) + ", handle 0x"
                + Long.toHexString(buffer.getLongVolatile(base + JOURNAL_HANDLE_OFFSET)) + ") was left by a recoverer that is gone"
                + " (the next recovery replays it)");
        }
    }

    /**
     * References held per handle by every slot that is not free (a dead slot's count until its
     * recovery); notes ledger entries of free slots that hold references, and entries naming no
     * block. PENDING entries count as holding nothing.
     */
    private Map<Long, Long> holdings(final List<String> problems)
    {
        final Map<Long, Long> holdings = new HashMap<>();
        for (int s = 0; s < processSlots; s++)
        {
            final boolean free = ProcessTableDescriptor.state(region.slotStateWord(s)) == ProcessTableDescriptor.STATE_FREE;
            final int ledger = ledgerOffset(s);
            for (int i = 0; i < ledgerCapacity; i++)
            {
                final int entry = ledger + i * ENTRY_SIZE;
                final long key = buffer.getLongVolatile(entry + ENTRY_HANDLE_OFFSET);
                final long held = buffer.getLongVolatile(entry + ENTRY_HELD_OFFSET);
                if (key == 0 || held == 0)
                {
                    continue;
                }
                if (free)
                {
                    problems.add("slot " + s + " is free but its ledger holds " + held + " for handle 0x" + Long.toHexString(key));
                }
                else if (!namesBlock(key) || held < PENDING_FREE)
                {
                    problems.add("the ledger of slot " + s + " holds " + held + " for handle 0x" + Long.toHexString(key)
                        + (namesBlock(key) ? ", not a holding" : ", which names no block"));
                }
                else if (held > 0)
                {
                    holdings.merge(key, held, Long::sum);
                }
            }
        }
        return holdings;
    }

    private boolean namesBlock(final long handle)
    {
        final int tier = Handles.tier(handle);
        final int index = Handles.index(handle);
        return tier >= 0 && tier < tierCount && index >= 0 && index < blockCount[tier];
    }

    /**
     * The problem of block {@code i} of tier {@code t}'s count word, or {@code null}; adds the
     * handle it counts to {@code counted}.
     */
    private String countProblem(final int t, final int i, final Map<Long, Long> holdings, final BitSet slotLive,
        final Set<Long> counted)
    {
        final int word = countsBase[t] + i * Long.BYTES;
        long w = buffer.getLongVolatile(word);
        final String corrupt = wordProblem(w);
        final long handle = Handles.handle(t, generation(w), i);
        counted.add(handle);
        if (corrupt != null)
        {
            return "the count word 0x" + Long.toHexString(w) + " of handle " + Handles.toString(handle) + " is corrupt: " + corrupt;
        }
        final int owner = lockOwner(w);
        if (owner >= 0)
        {
            if (slotLive.get(owner))
            {
                return null; // an update under way
            }
            return "the count word 0x" + Long.toHexString(w) + " of handle " + Handles.toString(handle) + " is locked by "
                + (ProcessTableDescriptor.state(region.slotStateWord(owner)) == ProcessTableDescriptor.STATE_FREE
                ? "free slot " + owner + " (the next operation on it unlocks it)" : "dead slot " + owner + " (its recovery unlocks it)");
        }
        for (int reading = 0; reading < 2; reading++)
        {
            final int count = RefCountDescriptor.count(w);
            final long held = holdings.getOrDefault(handle, 0L);
            if (count == 0 && held == 0 || buffer.getLongVolatile(word) != w)
            {
                return null; // nothing counted, or an update went by: its next reading is its own
            }
            if (count > 0 && !pool.isLive(handle))
            {
                return "handle " + Handles.toString(handle) + " has count " + count + " but its block is free (or reused)";
            }
            if (count == held)
            {
                return null;
            }
            if (reading == 1)
            {
                return "handle " + Handles.toString(handle) + " has count " + count + " but the ledgers hold " + held + " references";
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            holdings.putAll(holdingsOf(handle));
            w = buffer.getLongVolatile(word);
            if (lockOwner(w) >= 0 || Handles.handle(t, generation(w), i) != handle)
            {
                return null;
            }
        }
        return null;
    }

    /** The references to {@code handle} held by every slot that is not free, read again. */
    private Map<Long, Long> holdingsOf(final long handle)
    {
        long held = 0;
        for (int s = 0; s < processSlots; s++)
        {
            if (ProcessTableDescriptor.state(region.slotStateWord(s)) == ProcessTableDescriptor.STATE_FREE)
            {
                continue;
            }
            final int ledger = ledgerOffset(s);
            for (int i = 0; i < ledgerCapacity; i++)
            {
                final int entry = ledger + i * ENTRY_SIZE;
                if (buffer.getLongVolatile(entry + ENTRY_HANDLE_OFFSET) == handle)
                {
                    held += Math.max(0, buffer.getLongVolatile(entry + ENTRY_HELD_OFFSET));
                }
            }
        }
        return Map.of(handle, held);
    }

    // ------------------------------------------------------------------ for recovery

    Region region()
    {
        return region;
    }

    TieredPool pool()
    {
        return pool;
    }

    AtomicBuffer buffer()
    {
        return buffer;
    }

    Path file()
    {
        return file;
    }

    int base()
    {
        return base;
    }

    int ledgerCapacity()
    {
        return ledgerCapacity;
    }

    int cellsPerSlot()
    {
        return cellsPerSlot;
    }

    /**
     * A ledger entry {@link #close()} dropped without releasing it. Immutable.
     *
     * @param handle the handle.
     * @param held   the references the entry still held (0 for a count waiting for its grace period).
     * @param reason why it could not be released: its block was freed or reused behind the
     *               reference counts' back (through the pool), or the handle names no block.
     */
    public record DroppedReference(long handle, long held, String reason)
    {
    }

    /**
     * The ledger entries {@link #close()} dropped without releasing them, in ledger order.
     *
     * @return a snapshot: empty before close, and after a close that released every entry.
     */
    public List<DroppedReference> droppedAtClose()
    {
        return droppedAtClose;
    }

    /**
     * Releases every reference this process holds (a process that exits, cleanly or not, holds
     * nothing afterwards: the blocks whose last holder it was are freed), frees blocks waiting
     * for their grace period, and stops using the region. {@link Region#close()} calls it.
     * An entry whose block was freed or reused behind the reference counts' back, or whose handle
     * names no block, cannot be released: it is removed from the ledger (so the next process in
     * this slot does not inherit it), its count word left as found, and listed by
     * {@link #droppedAtClose()}; it is never the cause of an exception. Any other failure (a
     * corrupt count word, one locked by a live slot for too long) leaves its entry, and is thrown
     * once every other entry has been released (later ones suppressed); closed even then. Call
     * when no other thread of this process uses the reference counts. Idempotent.
     */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        final ScheduledExecutorService timer = graceTimer;
        if (timer != null)
        {
            timer.shutdownNow();
        }
        closing = true;
        final List<DroppedReference> dropped = new ArrayList<>();
        RuntimeException failure = null;
        try
        {
            final int me = region.slot();
            if (me >= 0 && !region.isClosed())
            {
                // a snapshot first: a release that empties an entry shifts later entries back into its place
                final int ledger = ledgerOffset(me);
                final List<long[]> entries = new ArrayList<>();
                for (int i = 0; i < ledgerCapacity; i++)
                {
                    final int entry = ledger + i * ENTRY_SIZE;
                    final long handle = buffer.getLongVolatile(entry + ENTRY_HANDLE_OFFSET);
                    if (handle != 0)
                    {
                        entries.add(new long[] {handle, buffer.getLongVolatile(entry + ENTRY_HELD_OFFSET)});
                    }
                }
                for (final long[] entry : entries)
                {
                    long held = entry[1];
                    try
                    {
                        if (held == PENDING_FREE)
                        {
                            freeAfterGrace(entry[0]);
                        }
                        for (; held > 0; held--)
                        {
                            release(entry[0]);
                        }
                    }
                    catch (final StaleHandleException | InvalidHandleException ex)
                    {
                        dropEntry(me, entry[0]);
                        dropped.add(new DroppedReference(entry[0], Math.max(0, held), ex.getMessage()));
                    }
                    catch (final RuntimeException ex)
                    {
                        if (failure == null)
                        {
                            failure = ex;
                        }
                        else
                        {
                            failure.addSuppressed(ex);
                        }
                    }
                }
            }
        }
        finally
        {
            droppedAtClose = List.copyOf(dropped);
            closed = true;
        }
        if (!dropped.isEmpty())
        {
            LOG.log(System.Logger.Level.WARNING, () -> "region " + file + ": closing, " + dropped.size() + " reference(s) to"
                + " blocks freed behind their holder's back were dropped (see droppedAtClose()): " + dropped);
        }
        if (failure != null)
        {
            throw failure;
        }
    }

    /**
     * Removes {@code handle}'s entry from this process's ledger wherever it lies (a corrupt key
     * may lie off its probe run, where {@link #findEntry} would not find it).
     */
    private void dropEntry(final int me, final long handle)
    {
        synchronized (ledgerLock)
        {
            final int ledger = ledgerOffset(me);
            for (int i = 0; i < ledgerCapacity; i++)
            {
                final int entry = ledger + i * ENTRY_SIZE;
                if (buffer.getLongVolatile(entry + ENTRY_HANDLE_OFFSET) == handle)
                {
                    buffer.putLongRelease(entry + ENTRY_HELD_OFFSET, 0);
                    removeEntry(me, entry);
                    return;
                }
            }
        }
    }

    @Override
    public String toString()
    {
        return "RefCounts{" + file + ", ledgers of " + ledgerCapacity + " handles" + (closed ? ", closed" : "") + "}";
    }
}
