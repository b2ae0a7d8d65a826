package io.shmtx.deadlock;

import static io.shmtx.deadlock.LockTableDescriptor.*;

import io.shmtx.region.DeadProcess;
import io.shmtx.region.ProcessTableDescriptor;
import io.shmtx.region.RecoveryStep;
import io.shmtx.region.Region;
import io.shmtx.region.RegionFormatException;
import io.shmtx.region.Section;
import io.shmtx.region.SectionSettings;
import io.shmtx.region.SectionSpec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

import org.agrona.concurrent.AtomicBuffer;

/**
 * A lock table in a region: shared, exclusive and upgrade locks on handles (hashed onto a fixed
 * table: collisions are safe, only less concurrent), taken by transactions ({@link Txn}) of any
 * thread of any attached process, with deadlock prevention ({@link LockPolicy}).
 *
 * <p>This class is threadsafe; a {@link Txn} is used by one thread at a time.
 *
 * <pre>{@code
 * try (Txn tx = locks.begin()) {
 *     tx.lock(accountA, LockMode.EXCLUSIVE);   // waits, dies or wounds per policy; bounded
 *     tx.lock(accountB, LockMode.SHARED);
 *     tx.commit();                             // releases every lock
 * } catch (TxAbortedException e) { ... retry with tx.restart(): it keeps its age }
 * }</pre>
 *
 * <h2>Algorithm</h2>
 * A lock entry has an owner word (the exclusive holder's transaction cell, and a version) and 24
 * reader lanes (16-bit cell ids). A reader CASes itself into a free lane, then reads the owner
 * word; a writer CASes itself into the owner word, then reads the lanes. Both CASes are full
 * fences, so of a reader and a writer racing, at least one sees the other (Dekker): the reader
 * backs out of its lane on seeing an owner; the writer keeps its claim and waits for the readers
 * to leave (readers already in finish; new readers see the claim). An upgrade is a writer whose
 * own lane is ignored. A transaction remembers the lane it claimed and clears just that one on
 * release, after checking it still holds its id (anything else is a corrupt entry, reported).
 * On a conflict the policy decides from the ages of the holders (their region-clock
 * timestamps): WAIT_DIE lets only older requesters wait, so every wait-for edge
 * goes from older to younger and no cycle can form; WOUND_WAIT lets only younger requesters wait
 * (an older one wounds the younger holders, which abort at their next step unless committing), so
 * edges go from younger to older or to a wounded transaction, and again no cycle lasts.
 * <p>Every wait is bounded by {@code maxWait}. A waiter that finds a holder dead runs the region's
 * recovery, whose step here releases a dead process's locks (O(lock table)). Waiters of one lock
 * are served by rank: priority first, then age; a waiter's priority rises by one every quarter of
 * {@code maxWait} it waits, so a low-priority waiter overtakes higher ones after at most
 * {@code 4 x maxWait x (priority gap)} and then aborts on TIMEOUT at worst: no wait is unbounded.
 * <p>A holder id naming a cell of a free process slot (left by nobody alive: a process gives its
 * locks back before its slot is freed, recovery before it frees a dead one's) is abandoned: the
 * requester that meets it clears it, by a compare-and-set on the exact word it read, and asks
 * again. An id beyond the cells (a corrupt entry) is never followed and never counts as a decision's holder:
 * a policy that never waits (NO_WAIT) aborts at once, the waiting policies wait until {@code maxWait}.
 *
 * <p>Once the region is closed, every method that reads it throws {@link IllegalStateException}
 * naming the file.
 */
public final class LockManager implements AutoCloseable
{
    /** The deadlock module's logger: holder ids of free slots cleared from a lock entry (INFO). */
    static final System.Logger LOG = System.getLogger(LockManager.class.getPackageName());
    /** A process slot's standing, for {@link #validate()}: free, attached and alive, or dead (or being recovered). */
    private static final int SLOT_FREE = 0;
    private static final int SLOT_LIVE = 1;
    private static final int SLOT_DEAD = 2;
    private final Region region;
    private final Path file;
    private final AtomicBuffer buffer;
    private final int base;
    private final int lockCount;
    /** 64 - log2(lockCount): the shift that keeps a hash's top bits (lockCount is a power of two, at least 16). */
    private final int lockShift;
    private final int cellsPerSlot;
    private final int processSlots;
    private final int cellsBase;
    private final int locksBase;
    private static final LockPolicy[] POLICIES = LockPolicy.values(); // values() copies the array on every call
    private final long maxWaitMillis;
    private final BitSet leased = new BitSet();
    private volatile boolean closed;
    /** Bumped when this process detaches: transactions begun before then have ended (see {@link Txn}). */
    private volatile int epoch;

    /** Takes the layout values {@link #open} validated, never reading them from the region again. */
    private LockManager(final Region region, final int base, final int locks, final int cells, final int slots,
        final long maxWaitMillis)
    {
        this.region = region;
        this.file = region.file();
        this.buffer = region.buffer();
        this.base = base;
        this.lockCount = locks;
        this.lockShift = 64 - Integer.numberOfTrailingZeros(lockCount);
        this.cellsPerSlot = cells;
        this.processSlots = slots;
        this.maxWaitMillis = maxWaitMillis;
        this.cellsBase = base + CELLS_OFFSET;
        this.locksBase = (int)(base + locksOffset(processSlots, cellsPerSlot));
    }

    private static long locksOffset(final int processSlots, final int cellsPerSlot)
    {
        return io.shmtx.region.RegionDescriptor.align(CELLS_OFFSET + (long)processSlots * cellsPerSlot * CELL_SIZE, 4096);
    }

    /**
     * The region section of a lock table.
     *
     * @param config       the configuration.
     * @param processSlots the region's process slot count, 1 to {@value ProcessTableDescriptor#MAX_SLOTS}.
     * @return the section to add to the region's configuration.
     * @throws IllegalArgumentException when {@code config} is null, {@code processSlots} is out of
     *                                  range, or the transaction cells would exceed {@value LockTableDescriptor#MAX_CELLS}.
     */
    public static SectionSpec section(final LockManagerConfig config, final int processSlots)
    {
        if (config == null)
        {
            throw new IllegalArgumentException("config=null: a LockManagerConfig is required");
        }
        if (processSlots < 1 || processSlots > ProcessTableDescriptor.MAX_SLOTS)
        {
            throw new IllegalArgumentException("processSlots=" + processSlots + " must be in 1.." + ProcessTableDescriptor.MAX_SLOTS
                + " (the region's process slot count)");
        }
        final int cells = config.transactionsPerProcess();
        if ((long)cells * processSlots > MAX_CELLS)
        {
            throw new IllegalArgumentException("transactionsPerProcess=" + cells + " x processSlots=" + processSlots
                + " exceeds " + MAX_CELLS + " transaction cells");
        }
        final long length = locksOffset(processSlots, cells) + (long)config.locks() * ENTRY_SIZE;
        final SectionSettings settings = settings(config.locks(), cells, config.maxWait().toMillis(), config.policy().name(),
            processSlots);
        return new SectionSpec(SectionSpec.LOCK_TABLE, length, true, (buffer, section) ->
        {
            final int b = (int)section.offset();
            buffer.putInt(b + VERSION_OFFSET, VERSION);
            buffer.putInt(b + LOCK_COUNT_OFFSET, config.locks());
            buffer.putInt(b + CELLS_PER_SLOT_OFFSET, cells);
            buffer.putInt(b + PROCESS_SLOTS_OFFSET, processSlots);
            buffer.putLong(b + MAX_WAIT_OFFSET, config.maxWait().toMillis());
            buffer.putLong(b + POLICY_OFFSET, config.policy().ordinal());
            buffer.putLongRelease(b + MAGIC_OFFSET, MAGIC);
        }, settings);
    }

    /**
     * The settings of a lock table: its size, cells and wait bound are fixed when the region is
     * created; its policy only starts the table (any process switches it with {@link #setPolicy}),
     * so an existing table's is adopted. See {@link LockManagerConfig}.
     */
    private static SectionSettings settings(final int locks, final int cells, final long maxWaitMillis, final String policy,
        final int processSlots)
    {
        return SectionSettings.builder(LockManager::readSettings)
            .fixed("LockManagerConfig.locks", locks)
            .fixed("LockManagerConfig.transactionsPerProcess", cells)
            .fixed("LockManagerConfig.maxWait", maxWaitMillis + " ms")
            .adoptable("LockManagerConfig.policy", policy)
            .processSlots("LockManager.section processSlots", processSlots)
            .build();
    }

    /** The settings saved in a lock-table section, or null when it is not one. */
    private static Map<String, String> readSettings(final AtomicBuffer section)
    {
        if (section.getLongVolatile(MAGIC_OFFSET) != MAGIC || section.getInt(VERSION_OFFSET) != VERSION)
        {
            return null;
        }
        final long policy = section.getLongVolatile(POLICY_OFFSET);
        return settings(section.getInt(LOCK_COUNT_OFFSET), section.getInt(CELLS_PER_SLOT_OFFSET), section.getLong(MAX_WAIT_OFFSET),
            policy >= 0 && policy < POLICIES.length ? POLICIES[(int)policy].name() : "corrupt (" + policy + ")",
            section.getInt(PROCESS_SLOTS_OFFSET)).requested();
    }

    /**
     * Opens a region's lock table and registers its recovery step (release a dead process's
     * locks). Open before {@link Region#attach()}. Its settings are the region's, as saved.
     *
     * @param region a region created with {@link #section}.
     * @return the lock manager.
     * @throws IllegalStateException when the region is closed, or attached already.
     */
    public static LockManager open(final Region region)
    {
        checkRegionOpen(region);
        final Section section = region.section(SectionSpec.LOCK_TABLE);
        final int b = (int)section.offset();
        final AtomicBuffer buffer = region.buffer();
        if (buffer.getLongVolatile(b + MAGIC_OFFSET) != MAGIC || buffer.getInt(b + VERSION_OFFSET) != VERSION)
        {
            throw new RegionFormatException(region.file(), "lockTable.magic", Long.toHexString(buffer.getLong(b)), Long.toHexString(MAGIC));
        }
        final int locks = buffer.getInt(b + LOCK_COUNT_OFFSET);
        final int cells = buffer.getInt(b + CELLS_PER_SLOT_OFFSET);
        final int slots = buffer.getInt(b + PROCESS_SLOTS_OFFSET);
        if (slots != region.processSlots() || locks < 16 || Integer.bitCount(locks) != 1 || cells < 1 || cells > 1024
            || (long)slots * cells > MAX_CELLS || locksOffset(slots, cells) + (long)locks * ENTRY_SIZE > section.length())
        {
            throw new RegionFormatException(region.file(), "lockTable.layout", locks + " locks/" + cells + " cells/" + slots + " slots",
                "a layout that fits the section, at most " + MAX_CELLS + " cells, and the region's " + region.processSlots() + " slots");
        }
        final long maxWait = buffer.getLong(b + MAX_WAIT_OFFSET);
        if (maxWait < 1 || maxWait > 600_000)
        {
            throw new RegionFormatException(region.file(), "lockTable.maxWait", maxWait + " ms", "1 ms .. 10 min");
        }
        final LockManager manager = new LockManager(region, b, locks, cells, slots, maxWait);
        region.registerRecoveryStep(manager.new Recovery());
        region.registerDetachHook(manager::releaseOnDetach);
        return manager;
    }

    // ------------------------------------------------------------------ transactions

    /**
     * Begins a transaction of normal priority, timestamped from the region clock.
     *
     * @return the transaction; close it when done.
     */
    public Txn begin()
    {
        return begin(0);
    }

    /**
     * Begins a transaction.
     *
     * @param priority 0 to 255, higher is served first among waiters of one lock.
     * @return the transaction.
     */
    public Txn begin(final int priority)
    {
        if (priority < 0 || priority > 255)
        {
            throw new IllegalArgumentException("priority=" + priority + " must be in 0..255");
        }
        checkRegionOpen();
        final int me = region.slot();
        if (me < 0)
        {
            throw new IllegalStateException("region " + file + ": attach() before beginning transactions");
        }
        final int cell;
        synchronized (leased)
        {
            if (closed)
            {
                throw new IllegalStateException("lock manager of region " + file + " is closed");
            }
            final int free = leased.nextClearBit(0);
            if (free >= cellsPerSlot)
            {
                throw new IllegalStateException("region " + file + ": all " + cellsPerSlot
                    + " transaction cells of slot " + me + " are in use (close transactions, or create the region with more)");
            }
            leased.set(free);
            cell = me * cellsPerSlot + free;
        }
        return new Txn(this, cell, region.nextTimestamp(), priority);
    }

    void releaseCell(final int cell)
    {
        buffer.putLongRelease(cellOffset(cell) + CELL_ID, 0);
        synchronized (leased)
        {
            leased.clear(cell % cellsPerSlot);
        }
    }

    /**
     * The current policy, shared by every process.
     *
     * @return the policy.
     */
    public LockPolicy policy()
    {
        checkRegionOpen();
        final long ordinal = buffer.getLongVolatile(base + POLICY_OFFSET);
        return ordinal >= 0 && ordinal < POLICIES.length ? POLICIES[(int)ordinal] : LockPolicy.WAIT_DIE;
    }

    /**
     * Switches the policy for every process; decisions taken from now on follow it.
     *
     * @param policy the new policy.
     * @throws IllegalArgumentException when {@code policy} is null.
     */
    public void setPolicy(final LockPolicy policy)
    {
        if (policy == null)
        {
            throw new IllegalArgumentException("policy=null must be one of " + java.util.Arrays.toString(POLICIES));
        }
        checkRegionOpen();
        buffer.putLongVolatile(base + POLICY_OFFSET, policy.ordinal());
    }

    /**
     * The lock entry a key hashes to.
     *
     * @param key a handle or any key.
     * @return entry index.
     */
    public int lockIndex(final long key)
    {
        // Fibonacci hashing: the product's top bits depend on every bit of the key, so keys that
        // differ only in their low bits (consecutive block indices) spread evenly over the table
        return (int)((key * 0x9E3779B97F4A7C15L) >>> lockShift);
    }

    /**
     * Throws once the region is closed (its buffer then maps nothing): called first by every
     * public method that reads the region, so it fails naming the file instead of on a bounds check.
     */
    private void checkRegionOpen()
    {
        checkRegionOpen(region);
    }

    private static void checkRegionOpen(final Region region)
    {
        if (region.isClosed())
        {
            throw new IllegalStateException("region " + region.file() + " is closed: its lock table can no longer be read");
        }
    }

    // ------------------------------------------------------------------ shared-memory access for Txn

    int cellOffset(final int cell)
    {
        return cellsBase + cell * CELL_SIZE;
    }

    int entryOffset(final int index)
    {
        return locksBase + index * ENTRY_SIZE;
    }

    AtomicBuffer buffer()
    {
        return buffer;
    }

    Region region()
    {
        return region;
    }

    Path file()
    {
        return file;
    }

    long maxWaitMillis()
    {
        return maxWaitMillis;
    }

    int totalCells()
    {
        return processSlots * cellsPerSlot;
    }

    int lockCount()
    {
        return lockCount;
    }

    int cellsPerSlot()
    {
        return cellsPerSlot;
    }

    void count(final int counter)
    {
        count(counter, 1);
    }

    void count(final int counter, final long delta)
    {
        buffer.getAndAddLong(base + COUNTERS_OFFSET + counter * Long.BYTES, delta);
    }

    void countAbort(final AbortReason reason)
    {
        count(1 + reason.ordinal());
    }

    /** Whether the process owning transaction cell {@code cell} is dead (its slot lock dropped). */
    boolean cellOwnerDead(final int cell)
    {
        final int slot = cell / cellsPerSlot;
        if (slot < 0 || slot >= processSlots)
        {
            return true;
        }
        return ProcessTableDescriptor.state(region.slotStateWord(slot)) != ProcessTableDescriptor.STATE_ATTACHED
            || !region.isAlive(slot);
    }

    /**
     * Whether transaction cell {@code cell} (within the cells) belongs to a free process slot:
     * nobody holds what it names, and no recovery will run for it (recovery runs for dead
     * attached slots only).
     */
    private boolean cellOfFreeSlot(final int cell)
    {
        return ProcessTableDescriptor.state(region.slotStateWord(cell / cellsPerSlot)) == ProcessTableDescriptor.STATE_FREE;
    }

    /**
     * Clears from lock entry {@code index} the ids of abandoned holders: cells of free process
     * slots (a lock taken by a process racing its own detach, or written by a corrupting
     * process), which requesters would otherwise die on or wait out for ever. Only when one of
     * {@code holders} (ids within the cells, found conflicting) is such a cell is the entry
     * scanned; then every id of a free slot in it is cleared, each by a compare-and-set on the
     * exact word read, the slot's state read after that word (a slot attached since then holds
     * ids written after its attach, so a word naming it would have changed).
     *
     * @return whether any id was cleared (the caller asks again).
     */
    boolean releaseAbandoned(final int index, final List<Integer> holders)
    {
        for (final int holder : holders)
        {
            if (cellOfFreeSlot(holder))
            {
                final int cells = totalCells();
                final int cleared = clearIds(entryOffset(index), c -> c < cells && cellOfFreeSlot(c));
                if (cleared > 0)
                {
                    LOG.log(System.Logger.Level.INFO, () -> "region " + file + ": lock entry " + index + " was held by " + cleared
                        + " transaction cell(s) of free process slots (nobody left to release them); cleared");
                }
                return cleared > 0;
            }
        }
        return false;
    }

    /**
     * Clears from the lock entry at {@code entry} the owner id and every reader lane whose cell
     * {@code clear} accepts (asked after the word holding it is read, again on every retry), each
     * word by a compare-and-set on the value read; an owner word gets a new version.
     *
     * @return how many ids were cleared.
     */
    private int clearIds(final int entry, final IntPredicate clear)
    {
        int cleared = 0;
        while (true)
        {
            final long word = buffer.getLongVolatile(entry + ENTRY_OWNER);
            final int owner = (int)(word & 0xFFFF) - 1;
            if (owner < 0 || !clear.test(owner))
            {
                break;
            }
            if (buffer.compareAndSetLong(entry + ENTRY_OWNER, word, (word & ~0xFFFFL) + (1L << 16)))
            {
                cleared++;
                break;
            }
        }
        for (int w = 0; w < READER_WORDS; w++)
        {
            final int offset = entry + ENTRY_READERS + w * Long.BYTES;
            while (true)
            {
                final long word = buffer.getLongVolatile(offset);
                long kept = word;
                int lanes = 0;
                for (int lane = 0; lane < 4; lane++)
                {
                    final int reader = (int)((word >>> (lane * 16)) & 0xFFFF) - 1;
                    if (reader >= 0 && clear.test(reader))
                    {
                        kept &= ~(0xFFFFL << (lane * 16));
                        lanes++;
                    }
                }
                if (kept == word || buffer.compareAndSetLong(offset, word, kept))
                {
                    cleared += lanes;
                    break;
                }
            }
        }
        return cleared;
    }

    /**
     * Holders of lock {@code index} conflicting with {@code cell} asking for {@code mode}, for
     * decisions and diagnostics (allocates; the grant path asks {@link #hasHolders} instead).
     */
    List<Integer> holders(final int index, final int cell, final LockMode mode)
    {
        final List<Integer> result = new ArrayList<>(2);
        collectHolders(index, cell, mode, result);
        return result;
    }

    /** Whether lock {@code index} has a holder conflicting with {@code cell} asking for {@code mode}; allocates nothing. */
    boolean hasHolders(final int index, final int cell, final LockMode mode)
    {
        return collectHolders(index, cell, mode, null);
    }

    /**
     * Finds the conflicting holders: adds them to {@code out}, or with {@code out == null} stops
     * at the first. Ids beyond the cells (a corrupt entry) name no transaction and are skipped:
     * never followed.
     *
     * @return whether there is any.
     */
    private boolean collectHolders(final int index, final int cell, final LockMode mode, final List<Integer> out)
    {
        final int entry = entryOffset(index);
        final int cells = totalCells();
        boolean found = false;
        final int owner = (int)(buffer.getLongVolatile(entry + ENTRY_OWNER) & 0xFFFF) - 1;
        if (owner >= 0 && owner != cell && owner < cells)
        {
            if (out == null)
            {
                return true;
            }
            out.add(owner);
            found = true;
        }
        if (mode == LockMode.EXCLUSIVE)
        {
            for (int w = 0; w < READER_WORDS; w++)
            {
                final long word = buffer.getLongVolatile(entry + ENTRY_READERS + w * Long.BYTES);
                for (int lane = 0; lane < 4; lane++)
                {
                    final int reader = (int)((word >>> (lane * 16)) & 0xFFFF) - 1;
                    if (reader >= 0 && reader != cell && reader < cells)
                    {
                        if (out == null)
                        {
                            return true;
                        }
                        if (!out.contains(reader))
                        {
                            out.add(reader);
                        }
                        found = true;
                    }
                }
            }
        }
        return found;
    }

    /**
     * Lowers the waiter count of lock {@code index} to the cells found marked as waiting for it
     * when those are fewer (a dead process's waits), never below them. The cells {@code skipFrom}
     * (inclusive) to {@code skipTo} (exclusive) are left out of the marks: the dead slot being
     * recovered. A few compare-and-set attempts; when every one meets a concurrent change, the
     * count is left for a later repair (too high costs scans only).
     */
    void repairWaiters(final int index, final int skipFrom, final int skipTo)
    {
        final int waiters = entryOffset(index) + ENTRY_WAITERS;
        for (int attempt = 0; attempt < 4; attempt++)
        {
            final long seen = buffer.getLongVolatile(waiters);
            if (waiterCount(seen) == 0)
            {
                return;
            }
            int marked = 0;
            for (int c = 0; c < totalCells(); c++)
            {
                if ((c < skipFrom || c >= skipTo) && waitingIndex(buffer.getLongVolatile(cellOffset(c) + CELL_WAITING)) == index)
                {
                    marked++;
                }
            }
            if (lowerWaiters(index, seen, marked))
            {
                return;
            }
        }
    }

    /**
     * Sets the waiter count of lock {@code index} to {@code marked} if that is lower than the
     * count of {@code seen} and the word is still {@code seen}: every counted waiter is marked
     * (marked before counted, uncounted before unmarked), so the marks found in a scan begun after
     * reading {@code seen}, with no change since, include every counted waiter still alive.
     *
     * @return whether the count is settled (lowered, or not higher than the marks).
     */
    boolean lowerWaiters(final int index, final long seen, final int marked)
    {
        return marked >= waiterCount(seen)
            || buffer.compareAndSetLong(entryOffset(index) + ENTRY_WAITERS, seen, waitersWord(seen, marked));
    }

    // ------------------------------------------------------------------ deadlock detection and diagnostics

    /**
     * Finds cycles in the wait-for graph and marks the youngest transaction of each as a
     * DEADLOCK victim (it aborts at its next step). Run by waiters under the DETECT policy.
     *
     * @return how many cycles were broken.
     */
    public int detectDeadlocks()
    {
        final Map<Integer, List<Integer>> graph = waitForGraph();
        int broken = 0;
        List<Integer> cycle;
        while ((cycle = findCycle(graph)) != null)
        {
            int victim = cycle.get(0);
            for (final int c : cycle)
            {
                if (olderThan(victim, c))
                {
                    victim = c;
                }
            }
            if (markVictim(victim, AbortReason.DEADLOCK))
            {
                broken++;
            }
            graph.remove(victim); // a victim waits no more: look for the cycles left
        }
        return broken;
    }

    /**
     * Depth-first search over every edge; returns the nodes of one cycle, or null. Iterative: the
     * path lives in arrays of one slot per graph node (plus one: the path's last node may be a
     * holder that waits for nothing), so a wait chain as long as the table has cells needs no
     * deeper Java stack. Nodes are cell ids, checked against the cells.
     */
    private List<Integer> findCycle(final Map<Integer, List<Integer>> graph)
    {
        final int cells = totalCells();
        final BitSet onPath = new BitSet();
        final BitSet done = new BitSet();
        final int[] path = new int[graph.size() + 1];
        final int[] nextEdge = new int[graph.size() + 1];
        for (final int start : graph.keySet())
        {
            if (start < 0 || start >= cells || done.get(start))
            {
                continue;
            }
            int depth = 0;
            path[0] = start;
            nextEdge[0] = 0;
            onPath.set(start);
            while (depth >= 0)
            {
                final int node = path[depth];
                final List<Integer> edges = graph.getOrDefault(node, List.of());
                if (nextEdge[depth] == edges.size())
                {
                    onPath.clear(node);
                    done.set(node);
                    depth--;
                    continue;
                }
                final int next = edges.get(nextEdge[depth]++);
                if (next < 0 || next >= cells || done.get(next))
                {
                    continue;
                }
                if (onPath.get(next))
                {
                    int from = depth;
                    while (path[from] != next)
                    {
                        from--;
                    }
                    final List<Integer> cycle = new ArrayList<>(depth - from + 1);
                    for (int i = from; i <= depth; i++)
                    {
                        cycle.add(path[i]);
                    }
                    return cycle;
                }
                depth++; // every node on the path but the last has an edge, so is a key: depth <= graph.size()
                path[depth] = next;
                nextEdge[depth] = 0;
                onPath.set(next);
            }
        }
        return null;
    }

    /**
     * The wait-for graph: each waiting transaction cell to the cells holding what it waits for.
     * Wounded or victim transactions are left out as waiters: they abort at their next step.
     *
     * @return edges, by waiting cell.
     */
    public Map<Integer, List<Integer>> waitForGraph()
    {
        checkRegionOpen();
        final Map<Integer, List<Integer>> graph = new LinkedHashMap<>();
        forEachWait((waiter, index, mode) ->
        {
            final List<Integer> holders = holders(index, waiter, mode);
            if (!holders.isEmpty())
            {
                graph.put(waiter, holders);
            }
        });
        return graph;
    }

    /**
     * The wait-for graph as text, for {@code shmtx stat}. A waiter whose lock entry names cells
     * beyond the table's (a corrupt entry: such ids are never followed, and the waiter waits them
     * out) gets a line too, naming the entry and those ids as CORRUPT.
     *
     * @return one line per waiting transaction.
     */
    public String waitForGraphText()
    {
        checkRegionOpen();
        final StringBuilder out = new StringBuilder();
        forEachWait((waiter, index, mode) ->
        {
            final List<Integer> holders = holders(index, waiter, mode);
            final List<Integer> corrupt = cellsBeyondTable(index);
            if (holders.isEmpty() && corrupt.isEmpty())
            {
                return;
            }
            out.append(describe(waiter)).append(" waits for");
            holders.forEach(h -> out.append(' ').append(describe(h)));
            if (!corrupt.isEmpty())
            {
                out.append(" CORRUPT lock entry ").append(index).append(": it names cells ").append(corrupt)
                    .append(" beyond the ").append(totalCells()).append(" cells");
            }
            out.append('\n');
        });
        return out.length() == 0 ? "no waits\n" : out.toString();
    }

    /** A waiting transaction: its cell, the lock entry it waits for (within the table) and the mode. */
    @FunctionalInterface
    private interface WaitVisitor
    {
        void visit(int cell, int index, LockMode mode);
    }

    /** Visits every active, unwounded transaction marked as waiting for a lock entry of the table. */
    private void forEachWait(final WaitVisitor visitor)
    {
        for (int c = 0; c < totalCells(); c++)
        {
            final long waiting = buffer.getLongVolatile(cellOffset(c) + CELL_WAITING);
            final long state = buffer.getLongVolatile(cellOffset(c) + CELL_STATE);
            if (waiting == 0 || state(state) != ACTIVE || wounded(state))
            {
                continue; // a wounded waiter is doomed: it aborts at its next step instead of waiting
            }
            final int index = waitingIndex(waiting);
            if (index < 0 || index >= lockCount)
            {
                continue;
            }
            visitor.visit(c, index, (waiting & WAITING_EXCLUSIVE) != 0 ? LockMode.EXCLUSIVE : LockMode.SHARED);
        }
    }

    /** The cells named by lock entry {@code index}'s owner word and reader lanes that lie beyond the table's cells. */
    private List<Integer> cellsBeyondTable(final int index)
    {
        final int entry = entryOffset(index);
        final int cells = totalCells();
        final List<Integer> result = new ArrayList<>(0);
        final int owner = (int)(buffer.getLongVolatile(entry + ENTRY_OWNER) & 0xFFFF) - 1;
        if (owner >= cells)
        {
            result.add(owner);
        }
        for (int w = 0; w < READER_WORDS; w++)
        {
            final long word = buffer.getLongVolatile(entry + ENTRY_READERS + w * Long.BYTES);
            for (int lane = 0; lane < 4; lane++)
            {
                final int reader = (int)((word >>> (lane * 16)) & 0xFFFF) - 1;
                if (reader >= cells)
                {
                    result.add(reader);
                }
            }
        }
        return result;
    }

    /**
     * A transaction cell id about to be followed into the cell table (callers filter ids read from
     * an entry first): within the cells, and the cell's own id word names it (or is 0: the
     * transaction ended since the id was read). Costs one read of the cache line the caller reads
     * next (the timestamp or state word), and only on conflicts, never on a grant.
     */
    private void checkCell(final int cell)
    {
        if (cell < 0 || cell >= totalCells())
        {
            throw new LockTableCorruptException(file, cell, -1, "transaction cell " + cell + " is outside the "
                + totalCells() + " cells of the lock table (a corrupt lock entry)");
        }
        final long id = buffer.getLongVolatile(cellOffset(cell) + CELL_ID);
        if (!validCellId(id, cell))
        {
            throw new LockTableCorruptException(file, cell, -1, corruptCellId(cell, id));
        }
    }

    private String corruptCellId(final int cell, final long id)
    {
        return "transaction cell " + cell + " (slot " + cell / cellsPerSlot + ") holds id 0x"
            + Long.toHexString(id) + ", which names cell " + ((id & 0xFFFF) - 1) + " sequence " + (id >>> 16)
            + " (a corrupt transaction cell)";
    }

    private String describe(final int cell)
    {
        final long id = buffer.getLongVolatile(cellOffset(cell) + CELL_ID);
        return "txn(slot " + cell / cellsPerSlot + ", cell " + cell % cellsPerSlot + ", ts "
            + buffer.getLongVolatile(cellOffset(cell) + CELL_TIMESTAMP)
            + (validCellId(id, cell) ? ")" : ", CORRUPT: " + corruptCellId(cell, id) + ")");
    }

    boolean olderThan(final int a, final int b)
    {
        checkCell(a);
        checkCell(b);
        final long ta = buffer.getLongVolatile(cellOffset(a) + CELL_TIMESTAMP);
        final long tb = buffer.getLongVolatile(cellOffset(b) + CELL_TIMESTAMP);
        return ta < tb || (ta == tb && a < b);
    }

    /** Wounds or marks {@code cell} unless it is committing; returns whether this call did it. */
    boolean markVictim(final int cell, final AbortReason reason)
    {
        checkCell(cell);
        final int offset = cellOffset(cell) + CELL_STATE;
        while (true)
        {
            final long word = buffer.getLongVolatile(offset);
            if (state(word) != ACTIVE || wounded(word))
            {
                return false;
            }
            if (buffer.compareAndSetLong(offset, word, stateWord(ACTIVE, true, reason, priority(word))))
            {
                if (reason == AbortReason.WOUNDED)
                {
                    count(COUNT_WOUNDS);
                }
                return true;
            }
        }
    }

    /**
     * Counters since creation, summed over every process. Grants are added when their transaction
     * commits, aborts, restarts or closes (one shared update per transaction, not per lock).
     *
     * @return grants, waits, wounds and aborts by reason.
     */
    public LockStats stats()
    {
        checkRegionOpen();
        return new LockStats(counter(COUNT_GRANTS), counter(COUNT_WAITS), counter(COUNT_WOUNDS), aborts());
    }

    /**
     * Aborts counted by reason (as in {@link #stats()}).
     *
     * @return counts, every reason present.
     */
    public Map<AbortReason, Long> aborts()
    {
        checkRegionOpen();
        final Map<AbortReason, Long> result = new EnumMap<>(AbortReason.class);
        for (final AbortReason reason : AbortReason.values())
        {
            result.put(reason, counter(1 + reason.ordinal()));
        }
        return result;
    }

    private long counter(final int index)
    {
        return buffer.getLongVolatile(base + COUNTERS_OFFSET + index * Long.BYTES);
    }

    /**
     * Locks held per process slot (exclusive owners and shared holders), scanning the table. Ids
     * beyond the table's cells (a corrupt entry) name no slot and are left out; {@link
     * #waitForGraphText()} reports them for the entries waited for.
     *
     * @return slot to count, for slots holding any.
     */
    public Map<Integer, Integer> locksHeldPerSlot()
    {
        checkRegionOpen();
        final int cells = totalCells();
        final Map<Integer, Integer> result = new LinkedHashMap<>();
        for (int i = 0; i < lockCount; i++)
        {
            final int entry = entryOffset(i);
            final int owner = (int)(buffer.getLongVolatile(entry + ENTRY_OWNER) & 0xFFFF) - 1;
            if (owner >= 0 && owner < cells)
            {
                result.merge(owner / cellsPerSlot, 1, Integer::sum);
            }
            for (int w = 0; w < READER_WORDS; w++)
            {
                final long word = buffer.getLongVolatile(entry + ENTRY_READERS + w * Long.BYTES);
                for (int lane = 0; lane < 4; lane++)
                {
                    final int reader = (int)((word >>> (lane * 16)) & 0xFFFF) - 1;
                    if (reader >= 0 && reader < cells && reader != owner)
                    {
                        result.merge(reader / cellsPerSlot, 1, Integer::sum);
                    }
                }
            }
        }
        return result;
    }

    /**
     * Checks the lock table for what no live transaction leaves: ids beyond the table's cells
     * (corrupt), locks held by cells of free slots (abandoned: the next requester clears them) or
     * of dead slots (their recovery releases them), waiter counts above the transactions marked as
     * waiting (a dead waiter's; the next ranking scan lowers them), cells of free slots not wiped,
     * and cells whose id names another cell. Reads only; needs no attachment. A waiter count is
     * judged from a scan of the marks between two equal readings of its word (whose change counter
     * moves with every registration), so a live wait never shows as a problem.
     *
     * @return one line per problem, naming the entry or cell and the value; empty when consistent.
     * @throws IllegalStateException when the region is closed.
     */
    public List<String> validate()
    {
        checkRegionOpen();
        final int[] status = new int[processSlots];
        for (int s = 0; s < processSlots; s++)
        {
            final int state = ProcessTableDescriptor.state(region.slotStateWord(s));
            status[s] = state == ProcessTableDescriptor.STATE_FREE ? SLOT_FREE
                : state == ProcessTableDescriptor.STATE_ATTACHED && region.isAlive(s) ? SLOT_LIVE : SLOT_DEAD;
        }
        final List<String> problems = new ArrayList<>();
        for (int i = 0; i < lockCount; i++)
        {
            final int entry = entryOffset(i);
            holderProblem(problems, i, "owner", (int)(buffer.getLongVolatile(entry + ENTRY_OWNER) & 0xFFFF) - 1, status);
            for (int w = 0; w < READER_WORDS; w++)
            {
                final long word = buffer.getLongVolatile(entry + ENTRY_READERS + w * Long.BYTES);
                for (int lane = 0; lane < 4; lane++)
                {
                    holderProblem(problems, i, "reader lane " + (w * 4 + lane), (int)((word >>> (lane * 16)) & 0xFFFF) - 1, status);
                }
            }
            waiterProblem(problems, i);
        }
        for (int c = 0; c < totalCells(); c++)
        {
            final long id = buffer.getLongVolatile(cellOffset(c) + CELL_ID);
            if (status[c / cellsPerSlot] == SLOT_FREE)
            {
                for (int w = 0; w < CELL_SIZE; w += Long.BYTES)
                {
                    if (buffer.getLongVolatile(cellOffset(c) + w) != 0)
                    {
                        problems.add("transaction cell " + c + " of free slot " + c / cellsPerSlot + " is not wiped: word " + w / Long.BYTES
                            + " is 0x" + Long.toHexString(buffer.getLongVolatile(cellOffset(c) + w)));
                        break;
                    }
                }
            }
            else if (!validCellId(id, c))
            {
                problems.add(corruptCellId(c, id));
            }
        }
        return problems;
    }

    private void holderProblem(final List<String> problems, final int index, final String where, final int cell, final int[] status)
    {
        if (cell < 0)
        {
            return;
        }
        if (cell >= totalCells())
        {
            problems.add("lock entry " + index + " " + where + " names cell " + cell + ", beyond the " + totalCells()
                + " cells of the table (corrupt)");
            return;
        }
        final int slot = cell / cellsPerSlot;
        if (status[slot] == SLOT_FREE)
        {
            problems.add("lock entry " + index + " " + where + " is held by cell " + cell + " of free slot " + slot
                + " (abandoned: the next requester clears it)");
        }
        else if (status[slot] == SLOT_DEAD)
        {
            problems.add("lock entry " + index + " " + where + " is held by cell " + cell + " of dead slot " + slot
                + " (its recovery releases it)");
        }
    }

    /** A waiter count above the marks found between two equal readings of its word. */
    private void waiterProblem(final List<String> problems, final int index)
    {
        final int waiters = entryOffset(index) + ENTRY_WAITERS;
        final long seen = buffer.getLongVolatile(waiters);
        if (waiterCount(seen) == 0)
        {
            return;
        }
        int marked = 0;
        for (int c = 0; c < totalCells(); c++)
        {
            if (waitingIndex(buffer.getLongVolatile(cellOffset(c) + CELL_WAITING)) == index)
            {
                marked++;
            }
        }
        if (marked < waiterCount(seen) && buffer.getLongVolatile(waiters) == seen)
        {
            problems.add("lock entry " + index + ": waiter count " + waiterCount(seen) + " but " + marked
                + " transactions wait for it (a dead waiter's count: the next ranking scan lowers it)");
        }
    }

    /**
     * Stops beginning transactions. Transactions still open keep their locks until they end;
     * when this process detaches ({@link Region#detach()} or {@link Region#close()}), every lock
     * its transactions hold is released and those transactions end: their operations then throw
     * {@link IllegalStateException}, and {@link Txn#close()} does nothing. Idempotent.
     */
    @Override
    public void close()
    {
        closed = true;
    }

    /**
     * Recovery step 2 of the fixed order (docs/ARCHITECTURE.md, Recovery): release the dead process's locks, withdraw its waits
     * (waiter counts lowered to the live marks), wipe its transaction cells. O(lock table), plus
     * O(cells) for each entry it was waiting for.
     */
    final class Recovery implements RecoveryStep
    {
        @Override
        public String name()
        {
            return "deadlock: release locks";
        }

        @Override
        public int order()
        {
            return 2;
        }

        @Override
        public int sectionId()
        {
            return SectionSpec.LOCK_TABLE;
        }

        @Override
        public String recover(final Region r, final DeadProcess dead)
        {
            return releaseSlot(dead.slot());
        }
    }

    int epoch()
    {
        return epoch;
    }

    /**
     * Detach hook: this process is giving its slot up (and another process may take it, with its
     * cells), so every transaction it began ends now: their locks and waits are released as
     * recovery would release a dead process's, their cells wiped, and their operations throw from
     * then on (see {@link Txn}).
     */
    private void releaseOnDetach()
    {
        final int me = region.slot();
        synchronized (leased)
        {
            epoch++;
            leased.clear();
        }
        if (me >= 0)
        {
            releaseSlot(me);
        }
    }

    /**
     * Releases the locks and waits of every transaction cell of {@code slot} and wipes the cells:
     * for a dead process (recovery) or for this one as it detaches.
     *
     * @return what was done, for the recovery report.
     */
    private String releaseSlot(final int slot)
    {
        final int first = slot * cellsPerSlot;
        final int last = first + cellsPerSlot;
        final IntPredicate ofSlot = c -> c >= first && c < last;
        int released = 0;
        for (int i = 0; i < lockCount; i++)
        {
            released += clearIds(entryOffset(i), ofSlot);
        }
        // its waits: the count of each entry it was marked on may hold its contribution (or not: it may
        // have died between mark and increment, or between decrement and unmark): lower the count to the
        // marks of the other cells; marks stay until then, so a recoverer that dies here leaves them to
        // the next one. A count it left without a mark (corruption) is lowered by the next ranking scan.
        int waits = 0;
        for (int c = first; c < last; c++)
        {
            final int index = waitingIndex(buffer.getLongVolatile(cellOffset(c) + CELL_WAITING));
            if (index >= 0 && index < lockCount)
            {
                repairWaiters(index, first, last);
                waits++;
            }
        }
        for (int c = first; c < last; c++)
        {
            // word by word, the id first, so a reader following an id never sees half of one
            for (int w = 0; w < CELL_SIZE; w += Long.BYTES)
            {
                buffer.putLongVolatile(cellOffset(c) + w, 0);
            }
        }
        return "released " + released + " locks, withdrew " + waits + " waits";
    }

    @Override
    public String toString()
    {
        return "LockManager{" + file + ", " + lockCount + " locks" + (closed ? ", closed" : "") + "}";
    }
}
