package io.shmtx.deadlock;

import static io.shmtx.deadlock.LockTableDescriptor.*;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.agrona.collections.Int2IntHashMap;
import org.agrona.collections.IntIntConsumer;
import org.agrona.concurrent.AtomicBuffer;

/**
 * A transaction of the lock manager: its identity (a transaction cell of its process's slot),
 * its age (a region-clock timestamp taken at its first begin and kept across restarts), its
 * priority, and the locks it holds.
 *
 * <p>Life cycle: a transaction is active from {@link LockManager#begin()} until it commits, aborts
 * or is closed; {@link #restart()} makes it active again, keeping its age. When the lock manager
 * aborted it (its policy, the wait bound, a wound, a deadlock), {@link #tryLock} answers ABORTED
 * and {@link #lock}, {@link #commit()} and {@link #checkWounded()} throw {@link TxAbortedException}
 * with that reason, until it restarts. When the application ended it ({@link #commit()} or
 * {@link #abort()}), they throw {@link IllegalStateException} saying which, and take nothing,
 * until it restarts.
 *
 * <p>Not threadsafe: one thread at a time. Other processes see it only through its cell.
 */
public final class Txn implements AutoCloseable
{
    /** Hold: the owner word is ours (a claim waiting for readers to leave), nothing granted yet. */
    private static final int HOLD_CLAIM = 0;
    /** Hold: shared. */
    private static final int HOLD_SHARED = 1;
    /** Hold: exclusive (perhaps an upgrade that keeps its reader lane). */
    private static final int HOLD_EXCLUSIVE = 2;
    private static final int HOLD_MODE = 3;

    private final LockManager manager;
    private final AtomicBuffer buffer;
    private final int cell;
    private final int cellOffset;
    private long timestamp;
    private final int priority;
    /** Run before the locks go whenever the transaction aborts (see {@link #onAbort}). */
    private Runnable abortHook;
    /**
     * Locks held or claimed, by entry index: a hold word, bits 0-1 {@link #HOLD_CLAIM},
     * {@link #HOLD_SHARED} or {@link #HOLD_EXCLUSIVE}, bits 2-6 the reader lane claimed + 1 (0:
     * none); {@link #NO_HOLD} for an index not held. A primitive map: no boxing on the lock path.
     */
    private final Int2IntHashMap held = new Int2IntHashMap(NO_HOLD);
    private static final int NO_HOLD = -1;
    /** {@link #releaseAll}'s step per held lock, made once (no allocation per release). */
    private final IntIntConsumer releaseOne = this::releaseOne;
    /** The first corrupt reader lane {@link #releaseOne} met in the current {@link #releaseAll}. */
    private LockTableCorruptException corruptLane;
    private long sequence;
    private int waitingOn = -1;
    private LockMode waitingMode;
    private long waitStartMillis;
    private long grants;
    private boolean closed;
    /** Whether the current tryLock has already run recovery for a dead holder. */
    private boolean recoveryTried;
    /** When a conflict may next probe its holders' liveness (System.nanoTime). */
    private long nextLivenessCheck;
    private static final long LIVENESS_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** The manager's epoch at begin: when it moves on, this process has detached and the transaction has ended. */
    private final int epoch;

    Txn(final LockManager manager, final int cell, final long timestamp, final int priority)
    {
        this.manager = manager;
        this.epoch = manager.epoch();
        this.buffer = manager.buffer();
        this.cell = cell;
        this.cellOffset = manager.cellOffset(cell);
        this.timestamp = timestamp;
        this.priority = priority;
        buffer.putLong(cellOffset + CELL_TIMESTAMP, timestamp);
        buffer.putLong(cellOffset + CELL_WAITING, 0);
        start();
    }

    private void start()
    {
        sequence++;
        buffer.putLongVolatile(cellOffset + CELL_STATE, stateWord(ACTIVE, false, null, priority));
        buffer.putLongRelease(cellOffset + CELL_ID, (sequence << 16) | (cell + 1));
    }

    /**
     * The region-clock timestamp of the first begin: smaller is older.
     *
     * @return the timestamp.
     */
    public long timestamp()
    {
        return timestamp;
    }

    /**
     * Identity: slot and sequence, as {@code (sequence << 16) | (cell + 1)}.
     *
     * @return the id.
     */
    public long id()
    {
        return (sequence << 16) | (cell + 1);
    }

    /**
     * The transaction cell (slot x cells per slot + index).
     *
     * @return the cell.
     */
    public int cell()
    {
        return cell;
    }

    /**
     * Priority, 0 to 255.
     *
     * @return the priority.
     */
    public int priority()
    {
        return priority;
    }

    /**
     * Whether the transaction is active (not committed, aborted or closed).
     *
     * @return {@code true} while active.
     */
    public boolean isActive()
    {
        return !closed && !ended() && state(buffer.getLongVolatile(cellOffset + CELL_STATE)) == ACTIVE;
    }

    /**
     * Locks held, by lock entry index.
     *
     * @return a copy.
     */
    public Map<Integer, LockMode> held()
    {
        final Map<Integer, LockMode> copy = new LinkedHashMap<>();
        held.forEachInt((index, hold) -> copy.put(index, modeOf(hold)));
        return copy;
    }

    /** The mode a hold word grants: null for none or a bare claim. */
    private static LockMode modeOf(final int hold)
    {
        if (hold == NO_HOLD)
        {
            return null;
        }
        final int mode = hold & HOLD_MODE;
        return mode == HOLD_SHARED ? LockMode.SHARED : mode == HOLD_EXCLUSIVE ? LockMode.EXCLUSIVE : null;
    }

    /** {@code hold} (or none) granting {@code mode} instead, keeping its reader lane. */
    private static int withMode(final int hold, final int mode)
    {
        return (hold == NO_HOLD ? 0 : hold & ~HOLD_MODE) | mode;
    }

    /** The reader lane a hold word claimed, or -1. */
    private static int laneOf(final int hold)
    {
        return (hold >>> 2) - 1;
    }

    /**
     * Takes {@code key}'s lock in {@code mode}, waiting as the policy allows (always bounded).
     *
     * @param key  a handle or any key.
     * @param mode the mode.
     * @throws TxAbortedException       when the policy (or the bound) aborts the transaction, now or
     *                                  before (until {@link #restart()}); it then holds no lock.
     * @throws IllegalArgumentException when {@code mode} is null.
     * @throws IllegalStateException    when the transaction has committed or was aborted by
     *                                  {@link #abort()} (restart it first), is closed, or its process detached.
     * @throws LockTableCorruptException when a holder's transaction cell is corrupt (nothing is
     *                                  decided on it: no die, no wound).
     */
    public void lock(final long key, final LockMode mode)
    {
        final Decision first = tryLock(key, mode);
        if (first == Decision.GRANTED)
        {
            return; // the common case: no clock read
        }
        if (first == Decision.ABORTED)
        {
            throw aborted(onKey(key));
        }
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(manager.maxWaitMillis());
        long nextCheck = 0;
        int spins = 0;
        while (true)
        {
            final long now = System.nanoTime();
            // a dead holder is recovered by tryLock itself (decide: at most one liveness probe per ms)
            if (now > nextCheck && manager.policy() == LockPolicy.DETECT)
            {
                nextCheck = now + TimeUnit.MILLISECONDS.toNanos(1);
                manager.detectDeadlocks();
            }
            if (now > deadline)
            {
                abort(AbortReason.TIMEOUT);
                throw aborted(onKey(key));
            }
            if (++spins < 50)
            {
                Thread.onSpinWait();
            }
            else if (spins < 100)
            {
                Thread.yield();
            }
            else
            {
                LockSupport.parkNanos(Math.min(1_000_000L, 1_000L << Math.min(10, (spins - 100) / 10)));
            }
            final Decision decision = tryLock(key, mode);
            if (decision == Decision.GRANTED)
            {
                return;
            }
            if (decision == Decision.ABORTED)
            {
                throw aborted(onKey(key));
            }
        }
    }

    /**
     * Shared lock.
     *
     * @param key a handle or any key.
     */
    public void lockShared(final long key)
    {
        lock(key, LockMode.SHARED);
    }

    /**
     * Exclusive lock (upgrades a shared one).
     *
     * @param key a handle or any key.
     */
    public void lockExclusive(final long key)
    {
        lock(key, LockMode.EXCLUSIVE);
    }

    /** What a lock request asked for, for an abort's message. */
    private String onKey(final long key)
    {
        return " on key 0x" + Long.toHexString(key) + " (lock " + manager.lockIndex(key) + ")";
    }

    /**
     * The exception of a transaction the lock manager aborted, with the reason its cell records
     * and {@code request} (what it was doing: a key, or nothing). A cell recording no reason was
     * aborted by the application, and gets {@link #notActive}'s exception instead: no reason is made up.
     */
    private RuntimeException aborted(final String request)
    {
        final long state = buffer.getLongVolatile(cellOffset + CELL_STATE);
        final AbortReason reason = LockTableDescriptor.reason(state);
        if (LockTableDescriptor.state(state) != ABORTED || reason == null)
        {
            return notActive(state);
        }
        return new TxAbortedException(manager.file(), reason, "txn(slot " + cell / manager.cellsPerSlot() + ", cell " + cell
            + ", ts " + timestamp + ", policy " + manager.policy() + ")" + request);
    }

    /**
     * The exception of an operation on a transaction the application ended (state word
     * {@code state}: committed, or aborted with no reason recorded), naming how and that
     * {@link #restart()} begins it again.
     */
    private IllegalStateException notActive(final long state)
    {
        final int s = LockTableDescriptor.state(state);
        final String how = s == IDLE ? "has committed"
            : s == ABORTED ? "was aborted by abort()"
            : "is in state " + s + " (state word 0x" + Long.toHexString(state) + ": a corrupt transaction cell)";
        return new IllegalStateException("region " + manager.file() + ": transaction " + id() + " (cell " + cell + ") " + how
            + ": it takes no lock until restart() begins it again");
    }

    /**
     * One non-blocking attempt: GRANTED, WAIT (conflict; the policy lets this transaction wait:
     * try again later) or ABORTED (the lock manager aborted the transaction, now or before, and it
     * released its locks).
     *
     * @param key  a handle or any key.
     * @param mode the mode.
     * @return the decision.
     * @throws IllegalArgumentException when {@code mode} is null.
     * @throws IllegalStateException    when the transaction has committed or was aborted by
     *                                  {@link #abort()} (restart it first), is closed, or its process detached.
     * @throws LockTableCorruptException when a holder's transaction cell is corrupt (nothing is
     *                                  decided on it: no die, no wound).
     */
    public Decision tryLock(final long key, final LockMode mode)
    {
        if (mode == null)
        {
            throw new IllegalArgumentException("mode=null must be LockMode.SHARED or LockMode.EXCLUSIVE");
        }
        checkOpen();
        if (checkAbortedOrWounded())
        {
            return Decision.ABORTED;
        }
        final int index = manager.lockIndex(key);
        final int hold = held.get(index);
        final LockMode current = modeOf(hold);
        if (current == LockMode.EXCLUSIVE || (current == LockMode.SHARED && mode == LockMode.SHARED))
        {
            return granted(index, current);
        }
        final int entry = manager.entryOffset(index);
        if (waiterCount(buffer.getLongVolatile(entry + ENTRY_WAITERS)) != 0 && hold == NO_HOLD
            && (int)(buffer.getLongVolatile(entry + ENTRY_OWNER) & 0xFFFF) - 1 != cell
            && !manager.hasHolders(index, cell, mode) && hasBetterWaiter(index))
        {
            // free, but a waiter ranked before us goes first (never gate a holder or a claimant: it would wait for itself)
            return waitFor(index, mode, List.of());
        }
        int attempt = hold;
        Decision decision;
        recoveryTried = false;
        while ((decision = mode == LockMode.SHARED ? trySharedLock(index, entry, attempt) : tryExclusiveLock(index, entry, attempt)) == null)
        {
            attempt = held.get(index); // abandoned holders were cleared: again, with the claim the attempt may have left
        }
        return decision;
    }

    private Decision trySharedLock(final int index, final int entry, final int hold)
    {
        final int lane = claimReaderLane(entry);
        if (lane < 0)
        {
            return decide(index, LockMode.SHARED, manager.holders(index, cell, LockMode.EXCLUSIVE));
        }
        final int owner = (int)(buffer.getLongVolatile(entry + ENTRY_OWNER) & 0xFFFF) - 1;
        if (owner < 0 || owner == cell)
        {
            held.put(index, withMode(hold, HOLD_SHARED) | ((lane + 1) << 2));
            return granted(index, LockMode.SHARED);
        }
        releaseReaderLane(index, entry, lane); // a writer holds or claims it: back out while deciding
        // an id beyond the cells (a corrupt entry) names no transaction: never followed, waited out
        return decide(index, LockMode.SHARED, owner < manager.totalCells() ? List.of(owner) : List.of());
    }

    private Decision tryExclusiveLock(final int index, final int entry, final int hold)
    {
        while (true)
        {
            final long word = buffer.getLongVolatile(entry + ENTRY_OWNER);
            final int owner = (int)(word & 0xFFFF) - 1;
            if (owner >= 0 && owner != cell)
            {
                // the owner (perhaps only claiming, waiting for readers) and the readers: we wait for all
                return decide(index, LockMode.EXCLUSIVE, manager.holders(index, cell, LockMode.EXCLUSIVE));
            }
            if (owner < 0 && !buffer.compareAndSetLong(entry + ENTRY_OWNER, word, ((word >>> 16) + 1) << 16 | (cell + 1)))
            {
                continue;
            }
            // we own the claim: readers other than us must leave first (the list is built only to decide a conflict)
            if (!manager.hasHolders(index, cell, LockMode.EXCLUSIVE))
            {
                held.put(index, withMode(hold, HOLD_EXCLUSIVE));
                return granted(index, LockMode.EXCLUSIVE);
            }
            if (hold == NO_HOLD)
            {
                held.put(index, HOLD_CLAIM); // the claim is ours until granted or aborted: remember it
            }
            return decide(index, LockMode.EXCLUSIVE, manager.holders(index, cell, LockMode.EXCLUSIVE));
        }
    }

    private Decision granted(final int index, final LockMode mode)
    {
        if (waitingOn >= 0)
        {
            stopWaiting();
        }
        grants++; // added to the shared counter once per commit or abort, not once per lock
        return Decision.GRANTED;
    }

    /**
     * A conflict with {@code holders}: the policy decides; or null when some were abandoned (cells
     * of free process slots, see {@link LockManager#releaseAbandoned}) and were cleared from the
     * entry: the attempt is to be made again.
     */
    private Decision decide(final int index, final LockMode mode, final List<Integer> holders)
    {
        if (manager.releaseAbandoned(index, holders) || recoveredDeadHolder(holders))
        {
            return null;
        }
        final LockPolicy policy = manager.policy();
        switch (policy)
        {
            case NO_WAIT:
                abort(AbortReason.NO_WAIT);
                return Decision.ABORTED;
            case WAIT_DIE:
                for (final int holder : holders)
                {
                    if (!manager.olderThan(cell, holder))
                    {
                        abort(AbortReason.DIED);
                        return Decision.ABORTED;
                    }
                }
                break;
            case WOUND_WAIT:
                for (final int holder : holders)
                {
                    if (manager.olderThan(cell, holder))
                    {
                        manager.markVictim(holder, AbortReason.WOUNDED);
                    }
                }
                break;
            default:
                break;
        }
        return waitFor(index, mode, holders);
    }

    /**
     * A holder whose process died holds the lock only until its recovery: run it now (once per
     * attempt, and holders are probed at most once per millisecond) rather than die, abort or wait
     * for a lock nobody holds; a policy that never waits (NO_WAIT, WAIT_DIE's younger requester)
     * would otherwise not get it until a watchdog ran.
     *
     * @return whether a recovery ran, so the attempt is to be made again.
     */
    private boolean recoveredDeadHolder(final List<Integer> holders)
    {
        if (recoveryTried)
        {
            return false;
        }
        final long now = System.nanoTime();
        if (now < nextLivenessCheck)
        {
            return false;
        }
        nextLivenessCheck = now + LIVENESS_CHECK_NANOS; // a liveness probe is a system call: at most once per ms
        for (final int holder : holders)
        {
            if (manager.cellOwnerDead(holder))
            {
                recoveryTried = true;
                return !manager.region().recoverDeadSlots().isEmpty();
            }
        }
        return false;
    }

    private Decision waitFor(final int index, final LockMode mode, final List<Integer> holders)
    {
        if (waitingOn != index)
        {
            if (waitingOn >= 0)
            {
                stopWaiting();
            }
            waitingOn = index;
            waitingMode = mode;
            waitStartMillis = System.currentTimeMillis();
            // marked before counted (see LockTableDescriptor: a repair may then trust the marks)
            buffer.putLong(cellOffset + CELL_WAIT_START, waitStartMillis);
            buffer.putLongVolatile(cellOffset + CELL_WAITING, waitingWord(index, mode));
            buffer.getAndAddLong(manager.entryOffset(index) + ENTRY_WAITERS, WAITER_INCREMENT);
            manager.count(COUNT_WAITS);
        }
        else if (waitingMode != mode)
        {
            waitingMode = mode; // the same entry in another mode (two keys may share an entry)
            buffer.putLongVolatile(cellOffset + CELL_WAITING, waitingWord(index, mode));
        }
        return Decision.WAIT;
    }

    /** Uncounted before unmarked (see LockTableDescriptor). */
    private void stopWaiting()
    {
        final int waiters = manager.entryOffset(waitingOn) + ENTRY_WAITERS;
        long word;
        do
        {
            word = buffer.getLongVolatile(waiters);
        }
        while (waiterCount(word) > 0 && !buffer.compareAndSetLong(waiters, word, waitersWord(word, waiterCount(word) - 1)));
        buffer.putLongVolatile(cellOffset + CELL_WAITING, 0);
        waitingOn = -1;
        waitingMode = null;
    }

    /**
     * Whether another registered waiter of this lock ranks before us (priority with aging, then
     * age). Only scanned when the entry's waiter count says someone waits; a scan that finds no
     * better waiter has seen every cell marked for this lock, so it also lowers a count left too
     * high by a dead process (see {@link LockManager#lowerWaiters}).
     */
    private boolean hasBetterWaiter(final int index)
    {
        final long seen = buffer.getLongVolatile(manager.entryOffset(index) + ENTRY_WAITERS);
        if (waiterCount(seen) == 0)
        {
            return false;
        }
        final long now = System.currentTimeMillis();
        final long myRank = effectivePriority(priority, waitingOn == index ? waitStartMillis : now, now);
        int marked = 0;
        for (int c = 0; c < manager.totalCells(); c++)
        {
            final int offset = manager.cellOffset(c);
            if (waitingIndex(buffer.getLongVolatile(offset + CELL_WAITING)) != index)
            {
                continue;
            }
            marked++;
            if (c == cell)
            {
                continue;
            }
            final long state = buffer.getLongVolatile(offset + CELL_STATE);
            if (LockTableDescriptor.state(state) != ACTIVE || wounded(state) || manager.cellOwnerDead(c))
            {
                continue;
            }
            final long rank = effectivePriority(LockTableDescriptor.priority(state), buffer.getLongVolatile(offset + CELL_WAIT_START), now);
            if (rank > myRank || (rank == myRank && manager.olderThan(c, cell)))
            {
                return true;
            }
        }
        manager.lowerWaiters(index, seen, marked);
        return false;
    }

    private long effectivePriority(final int base, final long since, final long now)
    {
        final long quarter = Math.max(1, manager.maxWaitMillis() / 4);
        return base + Math.max(0, now - since) / quarter;
    }

    private int claimReaderLane(final int entry)
    {
        for (int w = 0; w < READER_WORDS; w++)
        {
            final int offset = entry + ENTRY_READERS + w * Long.BYTES;
            while (true)
            {
                final long word = buffer.getLongVolatile(offset);
                int free = -1;
                for (int lane = 0; lane < 4 && free < 0; lane++)
                {
                    if (((word >>> (lane * 16)) & 0xFFFF) == 0)
                    {
                        free = lane;
                    }
                }
                if (free < 0)
                {
                    break;
                }
                if (buffer.compareAndSetLong(offset, word, word | ((long)(cell + 1) << (free * 16))))
                {
                    return w * 4 + free;
                }
            }
        }
        return -1;
    }

    /**
     * Clears the reader lane this transaction claimed, after checking it still holds our id: a
     * lane holding anything else means a corrupt entry (or bookkeeping), and is left as found.
     *
     * @throws LockTableCorruptException on such a mismatch.
     */
    private void releaseReaderLane(final int index, final int entry, final int lane)
    {
        final int offset = entry + readerWordOffset(lane);
        final int shift = laneShift(lane);
        while (true)
        {
            final long word = buffer.getLongVolatile(offset);
            final long id = (word >>> shift) & 0xFFFF;
            if (id != cell + 1)
            {
                throw new LockTableCorruptException(manager.file(), cell, index, "lock entry " + index + " reader lane " + lane
                    + " holds cell id " + id + " (word 0x" + Long.toHexString(word) + ") where transaction cell " + cell
                    + " (slot " + cell / manager.cellsPerSlot() + ") claimed it (id " + (cell + 1)
                    + "): a corrupt lock entry; the lane is left as found");
            }
            if (buffer.compareAndSetLong(offset, word, word & ~(0xFFFFL << shift)))
            {
                return;
            }
        }
    }

    /**
     * Releases every lock held or claimed: the owner word where it is ours, and the reader lane
     * remembered at its claim, cleared directly (no scan of the lanes) once checked to hold our id.
     * A lane found holding anything else is left as found and reported after the other locks are
     * released, so a corrupt entry does not keep the rest held.
     *
     * @throws LockTableCorruptException naming the entry, lane and value of such a lane.
     */
    private void releaseAll()
    {
        if (grants != 0)
        {
            manager.count(COUNT_GRANTS, grants);
            grants = 0;
        }
        if (waitingOn >= 0)
        {
            stopWaiting();
        }
        corruptLane = null;
        held.forEachInt(releaseOne);
        final LockTableCorruptException corrupt = corruptLane;
        corruptLane = null;
        held.clear();
        if (corrupt != null)
        {
            throw corrupt;
        }
    }

    /** Releases the lock of entry {@code index} held as {@code hold} (see {@link #releaseAll}). */
    private void releaseOne(final int index, final int hold)
    {
        final int entry = manager.entryOffset(index);
        while (true)
        {
            final long word = buffer.getLongVolatile(entry + ENTRY_OWNER);
            if ((int)(word & 0xFFFF) - 1 != cell
                || buffer.compareAndSetLong(entry + ENTRY_OWNER, word, ((word >>> 16) + 1) << 16))
            {
                break;
            }
        }
        final int lane = laneOf(hold);
        if (lane >= 0)
        {
            try
            {
                releaseReaderLane(index, entry, lane);
            }
            catch (final LockTableCorruptException ex)
            {
                // the other locks are still released: a corrupt entry must not keep the rest held
                if (corruptLane == null)
                {
                    corruptLane = ex;
                }
                else
                {
                    corruptLane.addSuppressed(ex);
                }
            }
        }
    }

    /**
     * Whether the lock manager has aborted this transaction: before, or now on finding it wounded
     * (it then aborts, releasing its locks).
     *
     * @throws IllegalStateException when the application ended it (committed, or {@link #abort()}).
     */
    private boolean checkAbortedOrWounded()
    {
        final long state = buffer.getLongVolatile(cellOffset + CELL_STATE);
        final int s = LockTableDescriptor.state(state);
        if (s == ACTIVE)
        {
            if (!wounded(state))
            {
                return false;
            }
            final AbortReason reason = LockTableDescriptor.reason(state);
            abort(reason == null ? AbortReason.WOUNDED : reason);
            return true;
        }
        if (s == ABORTED && LockTableDescriptor.reason(state) != null)
        {
            return true;
        }
        throw notActive(state);
    }

    /**
     * Aborts now if another transaction wounded this one (WOUND_WAIT) or chose it as a deadlock
     * victim (DETECT). Lock operations check this themselves; long computations between them
     * should call it.
     *
     * @throws TxAbortedException   when wounded (or aborted by the lock manager before); the
     *                               transaction then holds no lock.
     * @throws IllegalStateException when the transaction has committed or was aborted by
     *                               {@link #abort()}, is closed, or its process detached.
     */
    public void checkWounded()
    {
        checkOpen();
        if (checkAbortedOrWounded())
        {
            throw aborted("");
        }
    }

    /**
     * Sets a hook run whenever this transaction aborts while it holds locks, before they are
     * released: when the lock manager aborts it (a wound found at a lock request or at commit,
     * its policy, the wait bound, a deadlock) and on {@link #abort()}, {@link #restart()},
     * {@link #renew()} and {@link #close()}. A transaction that wrote in place under its
     * exclusive locks undoes its writes there, so nobody ever sees them. The hook runs on the
     * calling thread; an exception it throws propagates after the locks are released.
     *
     * @param hook the hook, or {@code null} for none.
     */
    public void onAbort(final Runnable hook)
    {
        this.abortHook = hook;
    }

    /**
     * The committing point: from its return on, this transaction cannot be wounded or aborted by
     * the lock manager, and it keeps its locks until {@link #commit()} releases them. Between the
     * two, a transaction that wrote in place makes its writes final (writes its commit record).
     * Idempotent once it has returned.
     *
     * @throws TxAbortedException   when it was wounded (or aborted by the lock manager) before:
     *                               it is aborted (the abort hook ran) and holds no lock.
     * @throws IllegalStateException as {@link #commit()}.
     */
    public void prepareCommit()
    {
        checkOpen();
        if (LockTableDescriptor.state(buffer.getLongVolatile(cellOffset + CELL_STATE)) != COMMITTING)
        {
            enterCommitting();
        }
    }

    /**
     * Commits: from now on this transaction cannot be wounded; releases every lock.
     *
     * @throws TxAbortedException when it was wounded before committing (it is aborted instead), or
     *                             the lock manager aborted it before (it holds no lock).
     * @throws IllegalStateException when it has committed already or was aborted by {@link #abort()}
     *                               (it holds no lock; {@link #restart()} begins it again), is closed,
     *                               or its process detached. Also when a reader lane it claimed no
     *                               longer holds its id (a corrupt lock entry, left as found); its
     *                               other locks are released and the commit completes all the same.
     *                               {@link #abort()} and {@link #close()} report such a lane the same way.
     * @throws LockTableCorruptException when a reader lane it claimed holds another id (left as
     *                                   found; every other lock is released all the same).
     */
    public void commit()
    {
        prepareCommit();
        try
        {
            releaseAll();
        }
        finally
        {
            buffer.putLongVolatile(cellOffset + CELL_STATE, stateWord(IDLE, false, null, priority));
        }
    }

    private void enterCommitting()
    {
        while (true)
        {
            if (checkAbortedOrWounded())
            {
                throw aborted(" at commit");
            }
            final long state = buffer.getLongVolatile(cellOffset + CELL_STATE);
            // a failed exchange: wounded since the check (the only other writer of an active cell), checked again
            if (LockTableDescriptor.state(state) == ACTIVE && !wounded(state)
                && buffer.compareAndSetLong(cellOffset + CELL_STATE, state, stateWord(COMMITTING, false, null, priority)))
            {
                return;
            }
        }
    }

    /**
     * Aborts: releases every lock. Lock requests and {@link #commit()} then throw
     * {@link IllegalStateException} until {@link #restart()} (or, when the lock manager had aborted
     * or wounded it, {@link TxAbortedException} with that reason, kept). Idempotent; does nothing
     * once closed or once the process has detached (its locks are released then).
     */
    public void abort()
    {
        if (closed || ended())
        {
            return;
        }
        abort(null);
    }

    private void abort(final AbortReason reason)
    {
        try
        {
            runAbortHook();
            releaseAll();
        }
        finally
        {
            final long state = buffer.getLongVolatile(cellOffset + CELL_STATE);
            if (LockTableDescriptor.state(state) == ACTIVE && reason != null)
            {
                manager.countAbort(reason);
            }
            buffer.putLongVolatile(cellOffset + CELL_STATE, stateWord(ABORTED, false,
                reason != null ? reason : LockTableDescriptor.reason(state), priority));
        }
    }

    /**
     * Before a new start in this cell: aborts the transaction unless it has ended already (committed
     * or aborted, holding and waiting for nothing: the common case after a commit, which then
     * costs no store).
     */
    private void abortUnlessEnded()
    {
        if (held.isEmpty() && waitingOn < 0)
        {
            final int s = LockTableDescriptor.state(buffer.getLongVolatile(cellOffset + CELL_STATE));
            if (s == IDLE || s == ABORTED)
            {
                return;
            }
        }
        abort(null);
    }

    /** Runs the abort hook when there are locks it could need (the hook may be called again: it must be idempotent). */
    private void runAbortHook()
    {
        final Runnable hook = abortHook;
        if (hook != null && !held.isEmpty())
        {
            hook.run();
        }
    }

    /**
     * Begins a new transaction in this cell, after aborting this one if still active: as
     * {@link LockManager#begin} would, with a fresh timestamp, but without giving the cell back.
     * ({@link #restart()} keeps the timestamp: for a retry of the same work.)
     *
     * @throws IllegalStateException when closed, or its process detached.
     */
    public void renew()
    {
        checkOpen();
        abortUnlessEnded();
        timestamp = manager.region().nextTimestamp();
        buffer.putLong(cellOffset + CELL_TIMESTAMP, timestamp);
        start();
    }

    /**
     * Starts again after an abort (or a commit), keeping the timestamp: a restarted transaction
     * is older than every transaction begun since, so it cannot starve.
     */
    public void restart()
    {
        checkOpen();
        abortUnlessEnded();
        start();
    }

    /**
     * Aborts if still active and gives the transaction cell back. Idempotent. After the process
     * has detached it only marks the transaction closed (the detach released everything).
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        if (ended())
        {
            closed = true; // the detach released its locks and wiped its cell, which may be another process's now
            held.clear();
            return;
        }
        try
        {
            runAbortHook();
            releaseAll();
        }
        finally
        {
            buffer.putLongVolatile(cellOffset + CELL_STATE, stateWord(IDLE, false, null, priority));
            closed = true;
            manager.releaseCell(cell);
        }
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("transaction " + id() + " is closed");
        }
        if (ended())
        {
            throw new IllegalStateException("transaction in cell " + cell + " of region " + manager.file()
                + " ended when its process detached (its locks were released)");
        }
    }

    /** Whether this process has detached since the transaction began. */
    private boolean ended()
    {
        return manager.epoch() != epoch;
    }
}
