package io.shmtx.refcount;

/**
 * Layout of the reference-count section. Offsets are relative to the section.
 *
 * <pre>
 *      0  header: magic, version, tier count, ledger capacity, cells per slot, process slots, grace ms
 *     64  tier table: 32 entries x 16 bytes: block count (32), 0 (32), offset of the tier's count words (64)
 *   1024  recovery lock word (64): owner slot + 1 | sequence (one recoverer at a time)
 *   1152  journal: handle (64), dead slot (64), count word (64), flags (64), writer slot (64): the record
 *         of the one word a recoverer holds (see {@link #JOURNAL_FLAGS_OFFSET})
 *   4096  count words: one per pool block, per tier (8 bytes each, aligned to 64 per tier)
 *   ...   per process slot: cells (cellsPerSlot x 64) then the ledger (ledgerCapacity x 24)
 * </pre>
 *
 * Count word (64): bits 0-25 count | bit 26 {@link #STORED} | bits 27-39 lock owner slot + 1
 * (0 = unlocked) | bits 40-63 generation of the block the count belongs to. {@link #STORED} is set
 * only while the word is locked, and says no intent of the holder governs it: an update sets it
 * when it stores its new count (which then agrees with every ledger), before it resets its intent
 * and unlocks; a recoverer holds every word it locks with it (its journal tells what it changes).
 * <p>Cell (64): handle (64, 0 = no intent) | held-before (64, {@link #NOT_LOCKED} = this thread does
 * not hold the count word with an unstored count, else this slot's holding of the handle before the
 * operation, or {@link #PENDING_FREE} for a grace-period free). A held-before other than
 * {@link #NOT_LOCKED} is written only after the word is locked and reset before it is unlocked, so
 * at most one cell of a slot has one for a handle: the holder's.
 * <p>Ledger entry (24): handle (64, 0 = never used) | held (64: 0 = free entry, -1 = count is zero
 * and the block waits for its grace period) | first-retain time (64, coarse ms).
 */
public final class RefCountDescriptor
{
    /** "SHMTXRCT". */
    public static final long MAGIC = 0x53484D5458524354L;
    /** Layout version. */
    public static final int VERSION = 2;
    /** Header: magic. */
    public static final int MAGIC_OFFSET = 0;
    /** Header: version. */
    public static final int VERSION_OFFSET = 8;
    /** Header: tier count. */
    public static final int TIER_COUNT_OFFSET = 12;
    /** Header: ledger capacity. */
    public static final int LEDGER_CAPACITY_OFFSET = 16;
    /** Header: cells per slot. */
    public static final int CELLS_PER_SLOT_OFFSET = 20;
    /** Header: process slots. */
    public static final int PROCESS_SLOTS_OFFSET = 24;
    /** Header: grace period in ms. */
    public static final int GRACE_MILLIS_OFFSET = 32;
    /** Header: tier table. */
    public static final int TIER_TABLE_OFFSET = 64;
    /** Tier entry size. */
    public static final int TIER_ENTRY_SIZE = 16;
    /** Recovery lock word. */
    public static final int RECOVERY_LOCK_OFFSET = 1024;
    /** Journal: handle. */
    public static final int JOURNAL_HANDLE_OFFSET = 1152;
    /** Journal: dead slot whose entry is being applied. */
    public static final int JOURNAL_DEAD_SLOT_OFFSET = JOURNAL_HANDLE_OFFSET + 8;
    /**
     * Journal: a count word: in {@link #JOURNAL_LOCKING} the word as the writer found it (to put
     * back), in {@link #JOURNAL_APPLY} and {@link #JOURNAL_DONE} the word to store, locked by the
     * writer with {@link #STORED}.
     */
    public static final int JOURNAL_WORD_OFFSET = JOURNAL_DEAD_SLOT_OFFSET + 8;
    /**
     * Journal: flags, 0 = empty, else one phase ({@link #JOURNAL_LOCKING}, {@link #JOURNAL_APPLY},
     * {@link #JOURNAL_DONE}), with {@link #JOURNAL_FREE} beside {@link #JOURNAL_APPLY}. Written
     * before the word is locked and cleared after it is unlocked, so a word held by a recoverer is
     * always named here.
     */
    public static final int JOURNAL_FLAGS_OFFSET = JOURNAL_WORD_OFFSET + 8;
    /** Journal: slot of the recoverer that wrote it (the word's holder, with {@link #STORED}). */
    public static final int JOURNAL_WRITER_OFFSET = JOURNAL_FLAGS_OFFSET + 8;
    /** Journal phase: the writer holds the word and stores the journal's word (idempotent). */
    public static final long JOURNAL_APPLY = 1;
    /** Journal flag beside {@link #JOURNAL_APPLY}: free the block. */
    public static final long JOURNAL_FREE = 2;
    /** Journal phase: the writer may hold the word (locked, {@link #STORED}) but changed nothing. */
    public static final long JOURNAL_LOCKING = 4;
    /** Journal phase: applied; the writer may still hold the word (locked, {@link #STORED}). */
    public static final long JOURNAL_DONE = 8;
    /** First count word. */
    public static final int COUNTS_OFFSET = 4096;
    /** Cell size. */
    public static final int CELL_SIZE = 64;
    /** Cell: intent handle. */
    public static final int CELL_HANDLE_OFFSET = 0;
    /** Cell: held before. */
    public static final int CELL_HELD_BEFORE_OFFSET = 8;
    /** Ledger entry size. */
    public static final int ENTRY_SIZE = 24;
    /** Entry: handle. */
    public static final int ENTRY_HANDLE_OFFSET = 0;
    /** Entry: held. */
    public static final int ENTRY_HELD_OFFSET = 8;
    /** Entry: time of the first retain. */
    public static final int ENTRY_TIME_OFFSET = 16;
    /** Held value of an entry whose block waits for its grace period. */
    public static final long PENDING_FREE = -1;
    /** Held-before of an intent whose thread has not locked the count word yet, or has stored its count. */
    public static final long NOT_LOCKED = Long.MIN_VALUE;
    /** Largest count. */
    public static final int MAX_COUNT = (1 << 26) - 1;
    /** Count word bit, set only while locked: no intent of the holder governs the word (see above). */
    public static final long STORED = 1L << 26;
    private static final long LOCK_FIELD = 0x1FFFL << 27;

    private RefCountDescriptor()
    {
    }

    static int count(final long word)
    {
        return (int)(word & MAX_COUNT);
    }

    static int lockOwner(final long word)
    {
        return (int)((word >>> 27) & 0x1FFF) - 1;
    }

    static int generation(final long word)
    {
        return (int)(word >>> 40);
    }

    static long word(final int generation, final int count, final int lockOwner)
    {
        return ((long)(generation & 0xFF_FFFF) << 40) | ((long)(lockOwner + 1) << 27) | (count & MAX_COUNT);
    }

    static boolean stored(final long word)
    {
        return (word & STORED) != 0;
    }

    static long locked(final long word, final int owner)
    {
        return unlocked(word) | ((long)(owner + 1) << 27);
    }

    /** {@code word} locked by {@code owner} with {@link #STORED}: its count is final. */
    static long lockedStored(final long word, final int owner)
    {
        return locked(word, owner) | STORED;
    }

    static long unlocked(final long word)
    {
        return word & ~(LOCK_FIELD | STORED);
    }
}
