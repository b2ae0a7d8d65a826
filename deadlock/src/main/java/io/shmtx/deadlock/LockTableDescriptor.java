package io.shmtx.deadlock;

/**
 * Layout of the lock-table section. Offsets relative to the section.
 *
 * <pre>
 *     0  header: magic (64), version (32), lock count (32), cells per slot (32), process slots (32),
 *            max wait ms (64)
 *   128  policy (64): LockPolicy ordinal, switchable at run time by any process
 *   256  counters (64 each): waits, aborts DIED, WOUNDED, NO_WAIT, TIMEOUT, DEADLOCK, wounds, grants
 *  4096  transaction cells: processSlots x cellsPerSlot x 64 bytes
 *   ...  lock entries: lockCount x 64 bytes, page aligned
 * </pre>
 *
 * Transaction cell (64): id (64: sequence &lt;&lt; 16 | cell + 1, 0 = idle; whenever an id read from a
 * lock entry is followed to its cell, the cell's id must be 0 or name that same cell, else the
 * table is corrupt) | timestamp (64) | state word (64: bits 0-1 state 0 idle 1 active 2 committing
 * 3 aborted, bit 2 wounded, bits 8-15 abort reason + 1, bits 16-23 priority) | waiting for (64:
 * lock index + 1, bit 40 exclusive) | wait start (64, ms).
 * <p>Lock entry (64): owner (64: bits 0-15 exclusive owner cell + 1, bits 16-63 version) |
 * waiters (64: bits 0-31 count of transactions registered as waiting for it, bits 32-63 a change
 * counter bumped by every update, so a repair's compare-and-set cannot be fooled by an increment
 * and a decrement in between) | 6 words of readers, four 16-bit cell ids (+1) each: 24 shared
 * holders at most; lane {@code l} is bits {@code 16 x (l % 4)} of reader word {@code l / 4}.
 * <p>Waiter count: a cell marks its waiting-for word before it increments the count, and
 * decrements the count before it clears the mark, so every waiter the count includes is marked.
 * A process that dies while counted leaves the count too high (never too low): recovery of its
 * slot, and any transaction that scans the cells for a better-ranked waiter, lowers the count to
 * the marks found when those are fewer, by a compare-and-set on the word read before the scan
 * (the change counter makes it fail if anyone registered or left meanwhile).
 */
public final class LockTableDescriptor
{
    /** "SHMTXLCK". */
    public static final long MAGIC = 0x53484D54584C434BL;
    /** Version (2: the waiters word carries a change counter above its count). */
    public static final int VERSION = 2;
    /** Header fields. */
    public static final int MAGIC_OFFSET = 0;
    /** Version. */
    public static final int VERSION_OFFSET = 8;
    /** Lock count. */
    public static final int LOCK_COUNT_OFFSET = 12;
    /** Cells per slot. */
    public static final int CELLS_PER_SLOT_OFFSET = 16;
    /** Process slots. */
    public static final int PROCESS_SLOTS_OFFSET = 20;
    /** Max wait in ms. */
    public static final int MAX_WAIT_OFFSET = 24;
    /** Policy word. */
    public static final int POLICY_OFFSET = 128;
    /** Counters. */
    public static final int COUNTERS_OFFSET = 256;
    /** Counter index: waits. */
    public static final int COUNT_WAITS = 0;
    /** Counter index: wounds. */
    public static final int COUNT_WOUNDS = 6;
    /** Counter index: grants. */
    public static final int COUNT_GRANTS = 7;
    /** Cells. */
    public static final int CELLS_OFFSET = 4096;
    /** Cell size. */
    public static final int CELL_SIZE = 64;
    /** Cell: id. */
    public static final int CELL_ID = 0;
    /** Cell: timestamp. */
    public static final int CELL_TIMESTAMP = 8;
    /** Cell: state word. */
    public static final int CELL_STATE = 16;
    /** Cell: waiting-for. */
    public static final int CELL_WAITING = 24;
    /** Cell: wait start. */
    public static final int CELL_WAIT_START = 32;
    /** Lock entry size. */
    public static final int ENTRY_SIZE = 64;
    /** Entry: owner word. */
    public static final int ENTRY_OWNER = 0;
    /** Entry: waiter count. */
    public static final int ENTRY_WAITERS = 8;
    /** Entry: first reader word. */
    public static final int ENTRY_READERS = 16;
    /** Waiters word: the count bits. */
    static final long WAITER_COUNT_MASK = 0xFFFF_FFFFL;
    /** Waiters word: one more waiter, one more change. */
    static final long WAITER_INCREMENT = (1L << 32) + 1;
    /** Waiting-for word: the exclusive bit. */
    static final long WAITING_EXCLUSIVE = 1L << 40;
    /** Reader words per entry. */
    public static final int READER_WORDS = 6;
    /** Readers per entry. */
    public static final int READERS = READER_WORDS * 4;
    /** Most cells in a table (16-bit ids). */
    public static final int MAX_CELLS = 65534;

    /** Txn state: idle. */
    public static final int IDLE = 0;
    /** Txn state: active. */
    public static final int ACTIVE = 1;
    /** Txn state: committing (cannot be wounded). */
    public static final int COMMITTING = 2;
    /** Txn state: aborted. */
    public static final int ABORTED = 3;

    private LockTableDescriptor()
    {
    }

    /** The count part of a waiters word. */
    static int waiterCount(final long word)
    {
        return (int)(word & WAITER_COUNT_MASK);
    }

    /** A waiters word after {@code seen}, with its change counter bumped and {@code count} waiters. */
    static long waitersWord(final long seen, final int count)
    {
        return (((seen >>> 32) + 1) << 32) | count;
    }

    /** The waiting-for word of a wait for lock {@code index} in {@code mode}. */
    static long waitingWord(final int index, final LockMode mode)
    {
        return (index + 1L) | (mode == LockMode.EXCLUSIVE ? WAITING_EXCLUSIVE : 0);
    }

    /** The lock index a waiting-for word names, or -1 (not checked against the lock count). */
    static int waitingIndex(final long word)
    {
        return (int)(word & 0xFFFF_FFFFL) - 1;
    }

    /** Whether {@code id}, read from transaction cell {@code cell}, is an id that cell can hold. */
    static boolean validCellId(final long id, final int cell)
    {
        return id == 0 || ((id & 0xFFFF) == cell + 1 && (id >>> 16) != 0);
    }

    /** Offset in a lock entry of the reader word holding lane {@code lane}. */
    static int readerWordOffset(final int lane)
    {
        return ENTRY_READERS + (lane >>> 2) * Long.BYTES;
    }

    /** Bit position of lane {@code lane} in its reader word. */
    static int laneShift(final int lane)
    {
        return (lane & 3) * 16;
    }

    static int state(final long word)
    {
        return (int)(word & 3);
    }

    static boolean wounded(final long word)
    {
        return (word & 4) != 0;
    }

    static int priority(final long word)
    {
        return (int)((word >>> 16) & 0xFF);
    }

    static long stateWord(final int state, final boolean wounded, final AbortReason reason, final int priority)
    {
        return state | (wounded ? 4 : 0) | ((long)(reason == null ? 0 : reason.ordinal() + 1) << 8) | ((long)(priority & 0xFF) << 16);
    }

    static AbortReason reason(final long word)
    {
        final int r = (int)((word >>> 8) & 0xFF) - 1;
        return r < 0 || r >= AbortReason.values().length ? null : AbortReason.values()[r];
    }
}
