package io.shmtx.deadlock;

import static io.shmtx.deadlock.LockTableDescriptor.*;

import io.shmtx.region.DeadProcess;
import io.shmtx.region.ProcessTableDescriptor;
import io.shmtx.region.RecoveryStep;
import io.shmtx.region.Region;
import io.shmtx.region.RegionFormatException;
import io.shmtx.region.Section;
import io.shmtx.region.SectionSpec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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
 * own lane is ignored. On a conflict the policy decides from the ages of the holders (their
 * region-clock timestamps): WAIT_DIE lets only older requesters wait, so every wait-for edge
 * goes from older to younger and no cycle can form; WOUND_WAIT lets only younger requesters wait
 * (an older one wounds the younger holders, which abort at their next step unless committing), so
 * edges go from younger to older or to a wounded transaction, and again no cycle lasts.
 * <p>Every wait is bounded by {@code maxWait}. A waiter that finds a holder dead runs the region's
 * recovery, whose step here releases a dead process's locks (O(lock table)). Waiters of one lock
 * are served by rank: priority first, then age; a waiter's priority rises by one every quarter of
 * {@code maxWait} it waits, so a low-priority waiter overtakes higher ones after at most
 * {@code 4 x maxWait x (priority gap)} and then aborts on TIMEOUT at worst: no wait is unbounded.
 */
public final class LockManager implements AutoCloseable
{
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
     * @param processSlots the region's process slot count.
     * @return the section to add to the region's configuration.
     */
    public static SectionSpec section(final LockManagerConfig config, final int processSlots)
    {
        final int cells = config.transactionsPerProcess();
        if ((long)cells * processSlots > MAX_CELLS)
        {
            throw new IllegalArgumentException("transactionsPerProcess=" + cells + " x processSlots=" + processSlots
                + " exceeds " + MAX_CELLS + " transaction cells");
        }
        final long length = locksOffset(processSlots, cells) + (long)config.locks() * ENTRY_SIZE;
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
        });
    }

    /**
     * Opens a region's lock table and registers its recovery step (release a dead process's
     * locks). Open before {@link Region#attach()}.
     *
     * @param region a region created with {@link #section}.
     * @return the lock manager.
     */
    public static LockManager open(final Region region)
    {
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
        final long ordinal = buffer.getLongVolatile(base + POLICY_OFFSET);
        return ordinal >= 0 && ordinal < POLICIES.length ? POLICIES[(int)ordinal] : LockPolicy.WAIT_DIE;
    }

    /**
     * Switches the policy for every process; decisions taken from now on follow it.
     *
     * @param policy the new policy.
     */
    public void setPolicy(final LockPolicy policy)
    {
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

    /** Holders of lock {@code index} conflicting with {@code cell} asking for {@code mode}. */
    List<Integer> holders(final int index, final int cell, final LockMode mode)
    {
        final List<Integer> result = new ArrayList<>(2);
        final int entry = entryOffset(index);
        final int owner = (int)(buffer.getLongVolatile(entry + ENTRY_OWNER) & 0xFFFF) - 1;
        if (owner >= 0 && owner != cell && owner < totalCells()) // a corrupt id names no cell: never followed
        {
            result.add(owner);
        }
        if (mode == LockMode.EXCLUSIVE)
        {
            for (int w = 0; w < READER_WORDS; w++)
            {
                final long word = buffer.getLongVolatile(entry + ENTRY_READERS + w * Long.BYTES);
                for (int lane = 0; lane < 4; lane++)
                {
                    final int reader = (int)((word >>> (lane * 16)) & 0xFFFF) - 1;
                    if (reader >= 0 && reader != cell && reader < totalCells() && !result.contains(reader))
                    {
                        result.add(reader);
                    }
                }
            }
        }
        return result;
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

    /** Depth-first search over every edge; returns the nodes of one cycle, or null. */
    private static List<Integer> findCycle(final Map<Integer, List<Integer>> graph)
    {
        final Map<Integer, Integer> color = new LinkedHashMap<>();
        final List<Integer> path = new ArrayList<>();
        for (final int start : graph.keySet())
        {
            final List<Integer> cycle = visit(graph, start, color, path);
            if (cycle != null)
            {
                return cycle;
            }
        }
        return null;
    }

    private static List<Integer> visit(final Map<Integer, List<Integer>> graph, final int node, final Map<Integer, Integer> color,
        final List<Integer> path)
    {
        final int c = color.getOrDefault(node, 0);
        if (c == 1)
        {
            return new ArrayList<>(path.subList(path.indexOf(node), path.size()));
        }
        if (c == 2)
        {
            return null;
        }
        color.put(node, 1);
        path.add(node);
        for (final int next : graph.getOrDefault(node, List.of()))
        {
            final List<Integer> cycle = visit(graph, next, color, path);
            if (cycle != null)
            {
                return cycle;
            }
        }
        path.remove(path.size() - 1);
        color.put(node, 2);
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
        final Map<Integer, List<Integer>> graph = new LinkedHashMap<>();
        for (int c = 0; c < totalCells(); c++)
        {
            final long waiting = buffer.getLongVolatile(cellOffset(c) + CELL_WAITING);
            final long state = buffer.getLongVolatile(cellOffset(c) + CELL_STATE);
            if (waiting == 0 || state(state) != ACTIVE || wounded(state))
            {
                continue; // a wounded waiter is doomed: it aborts at its next step instead of waiting
            }
            final int index = (int)(waiting & 0xFFFF_FFFFL) - 1;
            if (index < 0 || index >= lockCount)
            {
                continue;
            }
            final LockMode mode = (waiting & (1L << 40)) != 0 ? LockMode.EXCLUSIVE : LockMode.SHARED;
            final List<Integer> holders = holders(index, c, mode);
            if (!holders.isEmpty())
            {
                graph.put(c, holders);
            }
        }
        return graph;
    }

    /**
     * The wait-for graph as text, for {@code shmtx stat}.
     *
     * @return one line per waiting transaction.
     */
    public String waitForGraphText()
    {
        final StringBuilder out = new StringBuilder();
        waitForGraph().forEach((waiter, holders) ->
        {
            out.append(describe(waiter)).append(" waits for");
            holders.forEach(h -> out.append(' ').append(describe(h)));
            out.append('\n');
        });
        return out.length() == 0 ? "no waits\n" : out.toString();
    }

    /** A transaction cell id about to be followed into the cell table (callers filter ids read from an entry first). */
    private void checkCell(final int cell)
    {
        if (cell < 0 || cell >= totalCells())
        {
            throw new IllegalStateException("region " + file + ": transaction cell " + cell + " is outside the "
                + totalCells() + " cells of the lock table (a corrupt lock entry)");
        }
    }

    private String describe(final int cell)
    {
        return "txn(slot " + cell / cellsPerSlot + ", cell " + cell % cellsPerSlot + ", ts "
            + buffer.getLongVolatile(cellOffset(cell) + CELL_TIMESTAMP) + ")";
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
     * @return waits, grants, wounds and aborts by reason.
     */
    public Map<String, Long> stats()
    {
        final Map<String, Long> result = new LinkedHashMap<>();
        result.put("grants", buffer.getLongVolatile(base + COUNTERS_OFFSET + COUNT_GRANTS * Long.BYTES));
        result.put("waits", buffer.getLongVolatile(base + COUNTERS_OFFSET + COUNT_WAITS * Long.BYTES));
        result.put("wounds", buffer.getLongVolatile(base + COUNTERS_OFFSET + COUNT_WOUNDS * Long.BYTES));
        for (final AbortReason reason : AbortReason.values())
        {
            result.put("aborts." + reason, buffer.getLongVolatile(base + COUNTERS_OFFSET + (1 + reason.ordinal()) * Long.BYTES));
        }
        return result;
    }

    /**
     * Aborts counted by reason.
     *
     * @return counts.
     */
    public Map<AbortReason, Long> aborts()
    {
        final Map<AbortReason, Long> result = new EnumMap<>(AbortReason.class);
        for (final AbortReason reason : AbortReason.values())
        {
            result.put(reason, buffer.getLongVolatile(base + COUNTERS_OFFSET + (1 + reason.ordinal()) * Long.BYTES));
        }
        return result;
    }

    /**
     * Locks held per process slot (exclusive owners and shared holders), scanning the table.
     *
     * @return slot to count, for slots holding any.
     */
    public Map<Integer, Integer> locksHeldPerSlot()
    {
        final Map<Integer, Integer> result = new LinkedHashMap<>();
        for (int i = 0; i < lockCount; i++)
        {
            final int entry = entryOffset(i);
            final int owner = (int)(buffer.getLongVolatile(entry + ENTRY_OWNER) & 0xFFFF) - 1;
            if (owner >= 0)
            {
                result.merge(owner / cellsPerSlot, 1, Integer::sum);
            }
            for (int w = 0; w < READER_WORDS; w++)
            {
                final long word = buffer.getLongVolatile(entry + ENTRY_READERS + w * Long.BYTES);
                for (int lane = 0; lane < 4; lane++)
                {
                    final int reader = (int)((word >>> (lane * 16)) & 0xFFFF) - 1;
                    if (reader >= 0 && reader != owner)
                    {
                        result.merge(reader / cellsPerSlot, 1, Integer::sum);
                    }
                }
            }
        }
        return result;
    }

    /**
     * Stops beginning transactions. Transactions still open keep their locks until closed or
     * until this process detaches (then recovery releases them). Idempotent.
     */
    @Override
    public void close()
    {
        closed = true;
    }

    /**
     * Recovery step 2 of DESIGN's order: release the dead process's locks.
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
            final int first = dead.slot() * cellsPerSlot;
            final int last = first + cellsPerSlot;
            int released = 0;
            for (int c = first; c < last; c++)
            {
                final long waiting = buffer.getLongVolatile(cellOffset(c) + CELL_WAITING);
                final int index = (int)(waiting & 0xFFFF_FFFFL) - 1;
                if (waiting != 0 && index >= 0 && index < lockCount)
                {
                    Txn.decrementWaiters(buffer, entryOffset(index));
                }
                buffer.putLongVolatile(cellOffset(c) + CELL_WAITING, 0);
            }
            for (int i = 0; i < lockCount; i++)
            {
                final int entry = entryOffset(i);
                while (true)
                {
                    final long word = buffer.getLongVolatile(entry + ENTRY_OWNER);
                    final int owner = (int)(word & 0xFFFF) - 1;
                    if (owner < first || owner >= last)
                    {
                        break;
                    }
                    if (buffer.compareAndSetLong(entry + ENTRY_OWNER, word, (word & ~0xFFFFL) + (1L << 16)))
                    {
                        released++;
                        break;
                    }
                }
                for (int w = 0; w < READER_WORDS; w++)
                {
                    final int offset = entry + ENTRY_READERS + w * Long.BYTES;
                    while (true)
                    {
                        final long word = buffer.getLongVolatile(offset);
                        long cleared = word;
                        int lanes = 0;
                        for (int lane = 0; lane < 4; lane++)
                        {
                            final int reader = (int)((word >>> (lane * 16)) & 0xFFFF) - 1;
                            if (reader >= first && reader < last)
                            {
                                cleared &= ~(0xFFFFL << (lane * 16));
                                lanes++;
                            }
                        }
                        if (cleared == word || buffer.compareAndSetLong(offset, word, cleared))
                        {
                            released += lanes;
                            break;
                        }
                    }
                }
            }
            for (int c = first; c < last; c++)
            {
                buffer.setMemory(cellOffset(c), CELL_SIZE, (byte)0);
            }
            return "released " + released + " locks";
        }
    }
}
