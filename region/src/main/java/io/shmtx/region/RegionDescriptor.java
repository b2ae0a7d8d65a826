package io.shmtx.region;

import static org.agrona.BitUtil.CACHE_LINE_LENGTH;
import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Layout of a region file: the header and its section table. All offsets are byte offsets from
 * the start of the file; no literal offset appears in the logic that reads or writes them.
 *
 * <pre>
 *   0                 4096                                             region size
 *   +-----------------+---------------+-------+-----------+-----+-------+
 *   | header (page 0) | process table | roots | section 3 | ... | slack |
 *   +-----------------+---------------+-------+-----------+-----+-------+
 *                     each section starts on a 4096-byte page boundary
 * </pre>
 *
 * Header, static part (written once by the creator, covered by the checksum):
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |  magic (64): 0 while empty, INIT while initialising,          |  0  written last (release)
 *  |              MAGIC when ready                                 |
 *  +---------------------------------------------------------------+
 *  |  layout version (32)          |  header length (32)           |  8
 *  +---------------------------------------------------------------+
 *  |  layout hash (64)                                             | 16
 *  +---------------------------------------------------------------+
 *  |  region size (64)                                             | 24
 *  +---------------------------------------------------------------+
 *  |  process slots (32)           |  process slot size (32)       | 32
 *  +---------------------------------------------------------------+
 *  |  root slots (32)              |  root slot size (32)          | 40
 *  +---------------------------------------------------------------+
 *  |  heartbeat interval, ms (64)                                  | 48
 *  |  created, epoch ms (64)                                       | 56
 *  |  creator pid (64)                                             | 64
 *  +---------------------------------------------------------------+
 *  |  section count (32)           |  checksum, CRC32C (32)        | 72
 *  +---------------------------------------------------------------+
 *  |  section table: 16 entries x 32 bytes                         | 80
 *  |    id (32) | flags (32) | offset (64) | length (64) | 0 (64)  |
 *  +---------------------------------------------------------------+  592 = end of static part
 * </pre>
 * The checksum covers bytes [8, 76) and [80, 592): every static field but the magic and itself.
 *
 * Header, dynamic part (each word on its own pair of cache lines, so that contended words do not
 * share a line):
 * <pre>
 *   640   clean close flag (64): 1 after the last process detached cleanly, 0 while in use
 *   768   region clock (64): monotonic counter, getAndAdd
 *   896   roots lock (64): 0 = free, else the owner's token (slot + 1 in bits 0-12, claim sequence above)
 *  1024   model word (64), 1032 model epoch (64): reserved for the consistency module
 *  1152   coarse time, epoch ms (64): refreshed by every attached process's daemon thread, so that
 *         hot paths (block allocation time) read a word instead of calling the OS
 *  1280   reserved up to the end of the page
 * </pre>
 */
public final class RegionDescriptor
{
    /** Magic of a ready region: "SHMTXRGN" in ASCII, read as a big-endian long. */
    public static final long MAGIC = 0x53484D545852474EL;
    /** Magic written first by a creator and replaced by {@link #MAGIC} when the region is ready: "SHMTXINI". */
    public static final long INIT_MAGIC = 0x53484D5458494E49L;
    /** Version of this layout; a region of another version is refused. */
    public static final int LAYOUT_VERSION = 1;

    /** Page size all sections are aligned to. */
    public static final int PAGE_SIZE = 4096;
    /** Length of the header: one page. */
    public static final int HEADER_LENGTH = PAGE_SIZE;
    /** Largest region this backend maps: one Agrona buffer, indices are ints. */
    public static final long MAX_REGION_SIZE = Integer.MAX_VALUE & ~(PAGE_SIZE - 1L);
    /** Number of entries in the section table. */
    public static final int MAX_SECTIONS = 16;

    /** Offset of the magic. */
    public static final int MAGIC_OFFSET = 0;
    /** Offset of the layout version. */
    public static final int LAYOUT_VERSION_OFFSET = MAGIC_OFFSET + SIZE_OF_LONG;
    /** Offset of the header length. */
    public static final int HEADER_LENGTH_OFFSET = LAYOUT_VERSION_OFFSET + SIZE_OF_INT;
    /** Offset of the layout hash. */
    public static final int LAYOUT_HASH_OFFSET = HEADER_LENGTH_OFFSET + SIZE_OF_INT;
    /** Offset of the region size. */
    public static final int REGION_SIZE_OFFSET = LAYOUT_HASH_OFFSET + SIZE_OF_LONG;
    /** Offset of the number of process slots. */
    public static final int PROCESS_SLOTS_OFFSET = REGION_SIZE_OFFSET + SIZE_OF_LONG;
    /** Offset of the process slot size. */
    public static final int PROCESS_SLOT_SIZE_OFFSET = PROCESS_SLOTS_OFFSET + SIZE_OF_INT;
    /** Offset of the number of root slots. */
    public static final int ROOT_SLOTS_OFFSET = PROCESS_SLOT_SIZE_OFFSET + SIZE_OF_INT;
    /** Offset of the root slot size. */
    public static final int ROOT_SLOT_SIZE_OFFSET = ROOT_SLOTS_OFFSET + SIZE_OF_INT;
    /** Offset of the heartbeat interval in milliseconds. */
    public static final int HEARTBEAT_INTERVAL_OFFSET = ROOT_SLOT_SIZE_OFFSET + SIZE_OF_INT;
    /** Offset of the creation time (epoch milliseconds). */
    public static final int CREATED_OFFSET = HEARTBEAT_INTERVAL_OFFSET + SIZE_OF_LONG;
    /** Offset of the creator's pid. */
    public static final int CREATOR_PID_OFFSET = CREATED_OFFSET + SIZE_OF_LONG;
    /** Offset of the number of sections in use. */
    public static final int SECTION_COUNT_OFFSET = CREATOR_PID_OFFSET + SIZE_OF_LONG;
    /** Offset of the CRC32C checksum of the static part. */
    public static final int CHECKSUM_OFFSET = SECTION_COUNT_OFFSET + SIZE_OF_INT;
    /** Offset of the section table. */
    public static final int SECTION_TABLE_OFFSET = CHECKSUM_OFFSET + SIZE_OF_INT;

    /** Offset of a section's id within its entry. */
    public static final int SECTION_ID_OFFSET = 0;
    /** Offset of a section's flags within its entry. */
    public static final int SECTION_FLAGS_OFFSET = SECTION_ID_OFFSET + SIZE_OF_INT;
    /** Offset of a section's offset within its entry. */
    public static final int SECTION_START_OFFSET = SECTION_FLAGS_OFFSET + SIZE_OF_INT;
    /** Offset of a section's length within its entry. */
    public static final int SECTION_LENGTH_OFFSET = SECTION_START_OFFSET + SIZE_OF_LONG;
    /** Size of a section table entry. */
    public static final int SECTION_ENTRY_SIZE = SECTION_LENGTH_OFFSET + 2 * SIZE_OF_LONG;

    /** End of the static part of the header. */
    public static final int STATIC_END = SECTION_TABLE_OFFSET + MAX_SECTIONS * SECTION_ENTRY_SIZE;

    /** Offset of the clean-close flag. */
    public static final int CLEAN_CLOSE_OFFSET = align(STATIC_END, 2 * CACHE_LINE_LENGTH);
    /** Offset of the region clock. */
    public static final int CLOCK_OFFSET = CLEAN_CLOSE_OFFSET + 2 * CACHE_LINE_LENGTH;
    /** Offset of the roots lock word. */
    public static final int ROOTS_LOCK_OFFSET = CLOCK_OFFSET + 2 * CACHE_LINE_LENGTH;
    /** Offset of the consistency model word (reserved for the consistency module). */
    public static final int MODEL_OFFSET = ROOTS_LOCK_OFFSET + 2 * CACHE_LINE_LENGTH;
    /** Offset of the consistency model epoch (reserved for the consistency module). */
    public static final int MODEL_EPOCH_OFFSET = MODEL_OFFSET + SIZE_OF_LONG;
    /** Offset of the coarse wall-clock time in epoch milliseconds. */
    public static final int COARSE_TIME_OFFSET = MODEL_OFFSET + 2 * CACHE_LINE_LENGTH;
    /** End of the fields defined so far; the rest of the header page is reserved. */
    public static final int DYNAMIC_END = COARSE_TIME_OFFSET + 2 * CACHE_LINE_LENGTH;

    /**
     * Hash of this layout: every constant above, so that a process built against another layout
     * refuses the region instead of misreading it.
     */
    public static final long LAYOUT_HASH = layoutHash();

    private RegionDescriptor()
    {
    }

    /**
     * Offset of the section table entry {@code index}.
     *
     * @param index entry number, 0 to {@link #MAX_SECTIONS} - 1.
     * @return byte offset of the entry in the header.
     */
    public static int sectionEntryOffset(final int index)
    {
        return SECTION_TABLE_OFFSET + index * SECTION_ENTRY_SIZE;
    }

    /**
     * Rounds {@code value} up to a multiple of {@code alignment} (a power of two).
     *
     * @param value     value to round.
     * @param alignment power of two.
     * @return the smallest multiple of {@code alignment} not below {@code value}.
     */
    public static int align(final int value, final int alignment)
    {
        return (value + alignment - 1) & -alignment;
    }

    /**
     * Rounds {@code value} up to a multiple of {@code alignment} (a power of two).
     *
     * @param value     value to round.
     * @param alignment power of two.
     * @return the smallest multiple of {@code alignment} not below {@code value}.
     */
    public static long align(final long value, final long alignment)
    {
        return (value + alignment - 1) & -alignment;
    }

    private static long layoutHash()
    {
        final long[] parts = {
            LAYOUT_VERSION, HEADER_LENGTH, MAX_SECTIONS, LAYOUT_VERSION_OFFSET, HEADER_LENGTH_OFFSET,
            LAYOUT_HASH_OFFSET, REGION_SIZE_OFFSET, PROCESS_SLOTS_OFFSET, PROCESS_SLOT_SIZE_OFFSET,
            ROOT_SLOTS_OFFSET, ROOT_SLOT_SIZE_OFFSET, HEARTBEAT_INTERVAL_OFFSET, CREATED_OFFSET,
            CREATOR_PID_OFFSET, SECTION_COUNT_OFFSET, CHECKSUM_OFFSET, SECTION_TABLE_OFFSET, SECTION_ENTRY_SIZE,
            CLEAN_CLOSE_OFFSET, CLOCK_OFFSET, ROOTS_LOCK_OFFSET, MODEL_OFFSET, MODEL_EPOCH_OFFSET, COARSE_TIME_OFFSET,
            ProcessTableDescriptor.SLOT_SIZE, ProcessTableDescriptor.STATE_OFFSET, ProcessTableDescriptor.PID_OFFSET,
            ProcessTableDescriptor.START_TIME_OFFSET, ProcessTableDescriptor.HEARTBEAT_OFFSET,
            RootsDescriptor.SLOT_SIZE, RootsDescriptor.VERSION_OFFSET, RootsDescriptor.HANDLE_OFFSET,
            RootsDescriptor.NAME_LENGTH_OFFSET, RootsDescriptor.NAME_OFFSET, RootsDescriptor.MAX_NAME_LENGTH,
        };
        long hash = 0xcbf29ce484222325L;
        for (final long part : parts)
        {
            hash ^= part;
            hash *= 0x100000001b3L;
        }
        return hash;
    }
}
