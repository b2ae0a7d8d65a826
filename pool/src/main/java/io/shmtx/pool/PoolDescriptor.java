package io.shmtx.pool;

import static org.agrona.BitUtil.CACHE_LINE_LENGTH;
import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Layout of the pool section of a region. Offsets are relative to the start of the section.
 *
 * <pre>
 *   0       pool header: magic, version, tier count, flags, cells, thresholds, config hash
 *   64      tier table: 32 entries x 32 bytes (static, written at creation)
 *   1152    retired request-size histogram: 32 buckets x 8 bytes
 *   2048    tier headers: one per tier, 512 bytes (four pairs of cache lines, see below)
 *   20480   thread cells: processSlots x cellsPerSlot x cellSize
 *   ...     tier 0 blocks, tier 1 blocks, ...: each block is a 16-byte header + payload
 * </pre>
 *
 * Tier header (512 bytes; contended words on their own pair of cache lines):
 * <pre>
 *     0  main free-list head (64): bit 63 recovery lock | bits 32-62 ABA tag | bits 0-31 index + 1 (0 = empty)
 *   128  reserve free-list head (64), same encoding; 136 recovery lock word (64): owner slot + 1 | sequence
 *   256  outstanding (64): blocks out of the main list; 264 high-water mark (64); 272 failures (64);
 *        280 fallbacks (64); 288 reserve blocks in use (64)
 *   384  retired counters (64 each): allocations, frees, bytes requested, bytes granted, folded in
 *        from the thread cells of processes that detached or died
 * </pre>
 *
 * Block header (16 bytes, before each payload):
 * <pre>
 *     0  state word (64): bits 0-2 state (0 FREE, 1 ALLOCATED, 2 CACHED) | bits 3-15 owner slot + 1
 *        (0 = none: free or published) | bits 16-39 generation | bit 40 reserve block
 *     8  aux (64): FREE: next block index + 1 (0 = end of list); ALLOCATED: allocation time (coarse ms)
 * </pre>
 *
 * Thread cell (one per thread of a process that uses the pool; the last cell of each slot is shared
 * by the threads beyond the first {@code cellsPerSlot - 1}, under a lock):
 * <pre>
 *     0  intent (64): bits 0-3 operation (0 none, 1 pop main, 2 push main, 3 pop reserve, 4 push reserve)
 *        | bits 4-9 tier | bits 10-20 block count | bits 32-63 first block index
 *    64  per tier, 32 bytes: allocations, frees, bytes requested, 0 (single writer; bytes granted
 *        are allocations x block size)
 *   ...  request-size histogram: 32 buckets x 8 bytes (bucket b counts sizes in (2^(b-1), 2^b])
 * </pre>
 */
public final class PoolDescriptor
{
    /** "SHMTXPOL" as a big-endian long. */
    public static final long MAGIC = 0x53484D5458504F4CL;
    /** Version of this layout. */
    public static final int VERSION = 1;

    /** Offset of the magic. */
    public static final int MAGIC_OFFSET = 0;
    /** Offset of the version. */
    public static final int VERSION_OFFSET = MAGIC_OFFSET + SIZE_OF_LONG;
    /** Offset of the tier count. */
    public static final int TIER_COUNT_OFFSET = VERSION_OFFSET + SIZE_OF_INT;
    /** Offset of the flags (bit 0: strict). */
    public static final int FLAGS_OFFSET = TIER_COUNT_OFFSET + SIZE_OF_INT;
    /** Offset of the cells per process slot. */
    public static final int CELLS_PER_SLOT_OFFSET = FLAGS_OFFSET + SIZE_OF_INT;
    /** Offset of the process slot count. */
    public static final int PROCESS_SLOTS_OFFSET = CELLS_PER_SLOT_OFFSET + SIZE_OF_INT;
    /** Offset of the cell size. */
    public static final int CELL_SIZE_OFFSET = PROCESS_SLOTS_OFFSET + SIZE_OF_INT;
    /** Offset of the low threshold percent. */
    public static final int LOW_PERCENT_OFFSET = CELL_SIZE_OFFSET + SIZE_OF_INT;
    /** Offset of the critical threshold percent. */
    public static final int CRITICAL_PERCENT_OFFSET = LOW_PERCENT_OFFSET + SIZE_OF_INT;
    /** Offset of the per-thread cache size. */
    public static final int CACHE_SIZE_OFFSET = CRITICAL_PERCENT_OFFSET + SIZE_OF_INT;
    /** Offset of the configuration hash. */
    public static final int CONFIG_HASH_OFFSET = 48;
    /** Offset of the tier table. */
    public static final int TIER_TABLE_OFFSET = 64;

    /** Tier entry: payload size. */
    public static final int TIER_BLOCK_SIZE_OFFSET = 0;
    /** Tier entry: block count. */
    public static final int TIER_BLOCK_COUNT_OFFSET = TIER_BLOCK_SIZE_OFFSET + SIZE_OF_INT;
    /** Tier entry: reserve. */
    public static final int TIER_RESERVE_OFFSET = TIER_BLOCK_COUNT_OFFSET + SIZE_OF_INT;
    /** Tier entry: per-thread cache size of this tier. */
    public static final int TIER_MAGAZINE_OFFSET = TIER_RESERVE_OFFSET + SIZE_OF_INT;
    /** Tier entry: offset of the tier's first block, relative to the section. */
    public static final int TIER_BLOCKS_OFFSET = TIER_MAGAZINE_OFFSET + SIZE_OF_INT;
    /** Tier entry: bytes from one block header to the next. */
    public static final int TIER_STRIDE_OFFSET = TIER_BLOCKS_OFFSET + SIZE_OF_LONG;
    /** Size of a tier entry. */
    public static final int TIER_ENTRY_SIZE = 32;

    /** Offset of the retired histogram. */
    public static final int RETIRED_HISTOGRAM_OFFSET = 1152;
    /** Buckets of the request-size histogram. */
    public static final int HISTOGRAM_BUCKETS = 32;

    /** Offset of the first tier header. */
    public static final int TIER_HEADERS_OFFSET = 2048;
    /** Size of a tier header. */
    public static final int TIER_HEADER_SIZE = 8 * CACHE_LINE_LENGTH;
    /** Tier header: main list head. */
    public static final int MAIN_HEAD_OFFSET = 0;
    /** Tier header: reserve list head. */
    public static final int RESERVE_HEAD_OFFSET = 2 * CACHE_LINE_LENGTH;
    /** Tier header: recovery lock word. */
    public static final int LOCK_WORD_OFFSET = RESERVE_HEAD_OFFSET + SIZE_OF_LONG;
    /** Tier header: outstanding blocks. */
    public static final int OUTSTANDING_OFFSET = 4 * CACHE_LINE_LENGTH;
    /** Tier header: high-water mark of outstanding blocks. */
    public static final int HIGH_WATER_OFFSET = OUTSTANDING_OFFSET + SIZE_OF_LONG;
    /** Tier header: failed allocations. */
    public static final int FAILURES_OFFSET = HIGH_WATER_OFFSET + SIZE_OF_LONG;
    /** Tier header: allocations served by a larger tier. */
    public static final int FALLBACKS_OFFSET = FAILURES_OFFSET + SIZE_OF_LONG;
    /** Tier header: reserve blocks in use. */
    public static final int RESERVE_IN_USE_OFFSET = FALLBACKS_OFFSET + SIZE_OF_LONG;
    /** Tier header: retired allocations. */
    public static final int RETIRED_ALLOCATIONS_OFFSET = 6 * CACHE_LINE_LENGTH;
    /** Tier header: retired frees. */
    public static final int RETIRED_FREES_OFFSET = RETIRED_ALLOCATIONS_OFFSET + SIZE_OF_LONG;
    /** Tier header: retired bytes requested. */
    public static final int RETIRED_BYTES_REQUESTED_OFFSET = RETIRED_FREES_OFFSET + SIZE_OF_LONG;
    /** Tier header: retired bytes granted. */
    public static final int RETIRED_BYTES_GRANTED_OFFSET = RETIRED_BYTES_REQUESTED_OFFSET + SIZE_OF_LONG;

    /** Offset of the thread cells. */
    public static final int CELLS_OFFSET = 20480;
    /** Cell: intent word. */
    public static final int CELL_INTENT_OFFSET = 0;
    /** Cell: first per-tier counter block. */
    public static final int CELL_COUNTERS_OFFSET = 2 * CACHE_LINE_LENGTH;
    /** Size of one tier's counters in a cell. */
    public static final int CELL_TIER_COUNTERS_SIZE = 4 * SIZE_OF_LONG;
    /** Counter: allocations. */
    public static final int COUNTER_ALLOCATIONS = 0;
    /** Counter: frees. */
    public static final int COUNTER_FREES = SIZE_OF_LONG;
    /** Counter: bytes requested. */
    public static final int COUNTER_BYTES_REQUESTED = 2 * SIZE_OF_LONG;

    /** Block header size. */
    public static final int BLOCK_HEADER_SIZE = 16;
    /** Block header: state word. */
    public static final int BLOCK_STATE_OFFSET = 0;
    /** Block header: aux word. */
    public static final int BLOCK_AUX_OFFSET = SIZE_OF_LONG;

    /** Block state: in a free list (or moving into or out of one, see the intents). */
    public static final int FREE = 0;
    /** Block state: handed out. */
    public static final int ALLOCATED = 1;
    /** Block state: in a thread's cache in its owner process. */
    public static final int CACHED = 2;

    /** Intent: none. */
    public static final int OP_NONE = 0;
    /** Intent: popping from the main list. */
    public static final int OP_POP_MAIN = 1;
    /** Intent: pushing to the main list. */
    public static final int OP_PUSH_MAIN = 2;
    /** Intent: popping from the reserve list. */
    public static final int OP_POP_RESERVE = 3;
    /** Intent: pushing to the reserve list. */
    public static final int OP_PUSH_RESERVE = 4;

    /** Head word: recovery lock bit. */
    public static final long HEAD_LOCKED = 1L << 63;
    private static final long TAG_MASK = (1L << 31) - 1;
    private static final long GENERATION_MASK = (1L << 24) - 1;

    private PoolDescriptor()
    {
    }

    /**
     * Cell size for a pool with {@code tiers} tiers: intent line, counters, histogram, rounded to 128.
     *
     * @param tiers tier count.
     * @return bytes.
     */
    public static int cellSize(final int tiers)
    {
        final int raw = CELL_COUNTERS_OFFSET + tiers * CELL_TIER_COUNTERS_SIZE + HISTOGRAM_BUCKETS * SIZE_OF_LONG;
        return (raw + 2 * CACHE_LINE_LENGTH - 1) & -(2 * CACHE_LINE_LENGTH);
    }

    /**
     * Offset in a cell of the histogram.
     *
     * @param tiers tier count.
     * @return offset.
     */
    public static int cellHistogramOffset(final int tiers)
    {
        return CELL_COUNTERS_OFFSET + tiers * CELL_TIER_COUNTERS_SIZE;
    }

    /**
     * Histogram bucket of a request size: the smallest b with size &lt;= 2^b.
     *
     * @param size request size, positive.
     * @return bucket, 0 to 31.
     */
    public static int bucket(final int size)
    {
        return size <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(size - 1);
    }

    static int state(final long word)
    {
        return (int)(word & 7);
    }

    static int owner(final long word)
    {
        return (int)((word >>> 3) & 0x1FFF) - 1;
    }

    static int generation(final long word)
    {
        return (int)((word >>> 16) & GENERATION_MASK);
    }

    static boolean isReserve(final long word)
    {
        return (word & (1L << 40)) != 0;
    }

    static long stateWord(final int state, final int ownerSlot, final int generation, final boolean reserve)
    {
        return state | ((long)(ownerSlot + 1) << 3) | ((generation & GENERATION_MASK) << 16) | (reserve ? 1L << 40 : 0);
    }

    static int nextGeneration(final int generation)
    {
        return (int)((generation + 1) & GENERATION_MASK);
    }

    static int headIndex(final long head)
    {
        return (int)(head & 0xFFFF_FFFFL) - 1;
    }

    static long headWord(final long previous, final int index)
    {
        final long tag = ((previous >>> 32) + 1) & TAG_MASK;
        return (previous & HEAD_LOCKED) | (tag << 32) | (index + 1L);
    }

    static boolean isLocked(final long head)
    {
        return (head & HEAD_LOCKED) != 0;
    }

    static long intent(final int op, final int tier, final int count, final int first)
    {
        return op | ((long)tier << 4) | ((long)count << 10) | ((long)first << 32);
    }

    static int intentOp(final long intent)
    {
        return (int)(intent & 0xF);
    }

    static int intentTier(final long intent)
    {
        return (int)((intent >>> 4) & 0x3F);
    }

    static int intentCount(final long intent)
    {
        return (int)((intent >>> 10) & 0x7FF);
    }

    static int intentFirst(final long intent)
    {
        return (int)(intent >>> 32);
    }
}
