package io.shmtx.consistency;

import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;

import io.shmtx.region.RegionDescriptor;
import io.shmtx.region.RegionFormatException;

import java.nio.file.Path;

import org.agrona.concurrent.AtomicBuffer;

/**
 * Layout of the consistency section (section id {@link io.shmtx.region.SectionSpec#LEDGERS}), of
 * each transaction log in it, and of the header every transactional object carries at the start
 * of its pool block. Every offset is derived from the previous one; {@link #check} validates a
 * section read from a file before anything else uses it.
 *
 * <p>This class is threadsafe: it has no state.
 *
 * <h2>Section</h2>
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                         magic (8 bytes)                       |  0
 *  +---------------------------------------------------------------+
 *  |                         layout version                        |  8
 *  |                         process slots                         | 12
 *  |                         logs per slot                         | 16
 *  |                         log size (bytes)                      | 20
 *  |                         max objects per transaction           | 24
 *  |                         redo capacity (bytes)                 | 28
 *  +---------------------------------------------------------------+
 *  |   model word (own cache line, see below)                      | 64
 *  |   switch owner: token of the process switching, 0 if none     | 72
 *  |   switches completed                                          | 80
 *  |   switches that timed out or whose switcher died              | 88
 *  |   history blocks linked and not yet freed (CAUSAL versions)   | 96
 *  +---------------------------------------------------------------+
 *  |   log 0 (slot 0, log 0) | log 1 (slot 0, log 1) | ...         | 128
 *  |   log for (slot s, log k) at 128 + (s * logsPerSlot + k) * logSize
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Model word:
 * <pre>
 *   63                                  16 15 14      8 7         0
 *  +--------------------------------------+--+---------+-----------+
 *  |  epoch (48 bits)                     |S | previous|  model    |
 *  +--------------------------------------+--+---------+-----------+
 *  S = switching: the epoch is published but not in force yet; model is the target,
 *      previous the model still in force (see {@link ModelSwitch})
 * </pre>
 *
 * <h2>Transaction log (one per thread of a process that runs transactions)</h2>
 * <pre>
 *   0  state word        STATE_IDLE / STATE_ACTIVE / STATE_COMMITTING in the low byte,
 *                        a sequence (transactions that wrote) above it
 *   8  model word        the model word the running transaction began under (0: none running);
 *                        kept while the log is ACTIVE or COMMITTING (recovery reads the model)
 *  16  snapshot pin      CAUSAL: the snapshot the running transaction reads at, 0 if none
 *                        (history a pin may need is kept, see {@link CausalHistory})
 *  24  commit ts         written before the state turns COMMITTING
 *  32  object count      entries used in the object table (int)
 *  36  redo bytes        bytes used in the redo area (int)
 *  64  counters          16 longs, written by the log's thread only: commits, retried attempts,
 *                        retry() waits, then aborts by {@link AbortReason} ordinal (region totals are sums)
 * 192  object table      maxObjects entries of 32 bytes: handle (long), flags (int), reserved (int),
 *                        history block the commit links (long, CAUSAL), reserved (long)
 * 192 + 32 * maxObjects record area: records of [entry index int][offset int][length int][pad int]
 *                        followed by length bytes, padded to 8: redo records (RELEASE, CAUSAL) or
 *                        undo records holding the bytes a write in place replaced (SEQUENTIAL)
 * </pre>
 * The object table lists every object the transaction writes, frees or allocates (never the
 * objects it only reads): what recovery needs to find the version locks the transaction may hold.
 *
 * <h2>Object header (first {@value #OBJECT_HEADER_SIZE} bytes of the pool block's payload)</h2>
 * <pre>
 *   0  version word   (see below)
 *   8  history handle newest older version (CAUSAL), 0 if none: a pool block laid out as
 *                     [ts of its value][next older handle][size int][tag "TXHI"][payload]
 *  16  size           payload bytes the object was allocated with (int)
 *  20  tag            {@link #OBJECT_TAG}: marks a block made by this module
 *  24  payload ...
 * </pre>
 * Version word:
 * <pre>
 *   63                                            16 15 14           0
 *  +------------------------------------------------+--+--------------+
 *  |  commit timestamp of the newest value (48 bits)  |L | locker id    |
 *  +------------------------------------------------+--+--------------+
 *  L = locked; locker id = index of the locking transaction log + 1 (0 when unlocked)
 * </pre>
 * A committed object's word is {@code ts << 16}. A locked word keeps the timestamp of the value
 * still in place, so a rollback clears the low 16 bits. Timestamps come from the region clock:
 * unique across the region, so a block freed and reused never shows an old version again.
 */
public final class ConsistencyDescriptor
{
    /** Section magic, "SHMTXCON". */
    public static final long MAGIC = 0x53484D5458434F4EL;
    /** Layout version. */
    public static final int VERSION = 5;

    /** Offset of the magic. */
    public static final int MAGIC_OFFSET = 0;
    /** Offset of the layout version. */
    public static final int VERSION_OFFSET = MAGIC_OFFSET + SIZE_OF_LONG;
    /** Offset of the process slot count. */
    public static final int PROCESS_SLOTS_OFFSET = VERSION_OFFSET + SIZE_OF_INT;
    /** Offset of the logs-per-slot count. */
    public static final int LOGS_PER_SLOT_OFFSET = PROCESS_SLOTS_OFFSET + SIZE_OF_INT;
    /** Offset of the size of one log. */
    public static final int LOG_SIZE_OFFSET = LOGS_PER_SLOT_OFFSET + SIZE_OF_INT;
    /** Offset of the object-table capacity of one log. */
    public static final int MAX_OBJECTS_OFFSET = LOG_SIZE_OFFSET + SIZE_OF_INT;
    /** Offset of the redo capacity of one log. */
    public static final int REDO_CAPACITY_OFFSET = MAX_OBJECTS_OFFSET + SIZE_OF_INT;
    /**
     * Offset of the count of history blocks alive: on the header's line, which nothing else writes
     * after creation, so the CAUSAL commits that count here never touch the model word's line.
     */
    public static final int VERSIONS_ALIVE_OFFSET = REDO_CAPACITY_OFFSET + SIZE_OF_INT;
    /**
     * Offset of the model word, read by every transaction's begin: its line holds only words that
     * switches write (switch owner and counts).
     */
    public static final int MODEL_WORD_OFFSET = 64;
    /** Offset of the switch owner word: the {@link io.shmtx.region.Region#ownerToken() token} of the switcher, 0 if none. */
    public static final int SWITCH_OWNER_OFFSET = MODEL_WORD_OFFSET + SIZE_OF_LONG;
    /** Offset of the count of completed switches. */
    public static final int SWITCHES_OFFSET = SWITCH_OWNER_OFFSET + SIZE_OF_LONG;
    /** Offset of the count of switches that failed (timed out, or their switcher died). */
    public static final int SWITCH_FAILURES_OFFSET = SWITCHES_OFFSET + SIZE_OF_LONG;
    /** Offset of the first log. */
    public static final int LOGS_OFFSET = 128;

    /** Log: state word. */
    public static final int LOG_STATE_OFFSET = 0;
    /** Log: model word at begin. */
    public static final int LOG_MODEL_OFFSET = LOG_STATE_OFFSET + SIZE_OF_LONG;
    /** Log: snapshot timestamp. */
    public static final int LOG_SNAPSHOT_OFFSET = LOG_MODEL_OFFSET + SIZE_OF_LONG;
    /** Log: commit timestamp. */
    public static final int LOG_COMMIT_TS_OFFSET = LOG_SNAPSHOT_OFFSET + SIZE_OF_LONG;
    /** Log: object table entries in use. */
    public static final int LOG_OBJECT_COUNT_OFFSET = LOG_COMMIT_TS_OFFSET + SIZE_OF_LONG;
    /** Log: redo bytes in use. */
    public static final int LOG_REDO_BYTES_OFFSET = LOG_OBJECT_COUNT_OFFSET + SIZE_OF_INT;
    /** Log: the counters (longs). */
    public static final int LOG_COUNTERS_OFFSET = 64;
    /** Counter: commits. */
    public static final int COUNTER_COMMITS = 0;
    /** Counter: aborted attempts run again by {@code transact}. */
    public static final int COUNTER_RETRIES = 1;
    /** Counter: {@code Tx.retry()} waits. */
    public static final int COUNTER_RETRY_WAITS = 2;
    /** Counter: the first abort counter (one per {@link AbortReason}, by ordinal). */
    public static final int COUNTER_ABORTS = 3;
    /** Counters per log. */
    public static final int COUNTERS = 16;
    /** Log: first object table entry. */
    public static final int LOG_OBJECTS_OFFSET = LOG_COUNTERS_OFFSET + COUNTERS * SIZE_OF_LONG;
    /** Size of an object table entry. */
    public static final int LOG_ENTRY_SIZE = 32;
    /** Entry: handle. */
    public static final int ENTRY_HANDLE_OFFSET = 0;
    /** Entry: flags ({@link #FLAG_WRITTEN}, {@link #FLAG_ALLOCATED}, {@link #FLAG_FREED}). */
    public static final int ENTRY_FLAGS_OFFSET = SIZE_OF_LONG;
    /** Entry: the history block this commit links to the object (CAUSAL), 0 if none. */
    public static final int ENTRY_HISTORY_OFFSET = 2 * SIZE_OF_LONG;
    /** Size of a redo record's header. */
    public static final int RECORD_HEADER_SIZE = 16;
    /** Record: index of its object table entry. */
    public static final int RECORD_ENTRY_OFFSET = 0;
    /** Record: byte offset in the object's payload. */
    public static final int RECORD_OFFSET_OFFSET = SIZE_OF_INT;
    /** Record: length of the bytes that follow. */
    public static final int RECORD_LENGTH_OFFSET = 2 * SIZE_OF_INT;

    /** Log state: no transaction, or one that has written nothing shared yet. */
    public static final int STATE_IDLE = 0;
    /** Log state: the transaction may hold version locks and allocated blocks; nothing applied. */
    public static final int STATE_ACTIVE = 1;
    /** Log state: the redo records and commit timestamp are complete; the commit must finish. */
    public static final int STATE_COMMITTING = 2;

    /** Entry flag: the transaction writes the object (it will lock it at commit). */
    public static final int FLAG_WRITTEN = 1;
    /** Entry flag: the transaction allocated the object. */
    public static final int FLAG_ALLOCATED = 2;
    /** Entry flag: the transaction frees the object at commit. */
    public static final int FLAG_FREED = 4;

    /** Object header: version word. */
    public static final int OBJECT_VERSION_OFFSET = 0;
    /** Object header: history handle (CAUSAL: the newest older version, see {@link CausalHistory}). */
    public static final int OBJECT_HISTORY_OFFSET = SIZE_OF_LONG;
    /** Object header: payload size. */
    public static final int OBJECT_SIZE_OFFSET = 2 * SIZE_OF_LONG;
    /** Object header: tag. */
    public static final int OBJECT_TAG_OFFSET = OBJECT_SIZE_OFFSET + SIZE_OF_INT;
    /** Size of the object header. */
    public static final int OBJECT_HEADER_SIZE = OBJECT_TAG_OFFSET + SIZE_OF_INT;
    /** Object tag, "TXOB". */
    public static final int OBJECT_TAG = 0x54584F42;

    /** History block: commit timestamp of the value it holds. */
    public static final int HISTORY_TS_OFFSET = 0;
    /** History block: the next older history block, 0 if none. */
    public static final int HISTORY_NEXT_OFFSET = SIZE_OF_LONG;
    /** History block: payload size (int). */
    public static final int HISTORY_SIZE_OFFSET = OBJECT_SIZE_OFFSET;
    /** History block: tag (int). */
    public static final int HISTORY_TAG_OFFSET = OBJECT_TAG_OFFSET;
    /** History block tag, "TXHI". */
    public static final int HISTORY_TAG = 0x54584849;

    /** Version word: lock bit. */
    public static final long LOCK_BIT = 1L << 15;
    /** Version word: locker id and lock bit. */
    public static final long LOCK_MASK = 0xFFFFL;
    /** Version word: bits below the timestamp. */
    public static final int TS_SHIFT = 16;
    /** Largest locker id (log index + 1). */
    public static final int MAX_LOCKER = 0x7FFF;

    private ConsistencyDescriptor()
    {
    }

    /**
     * Bytes one log takes.
     *
     * @param maxObjects   object table entries.
     * @param redoCapacity redo area bytes.
     * @return the log size, a multiple of 64.
     */
    public static int logSize(final int maxObjects, final int redoCapacity)
    {
        return (int)RegionDescriptor.align(LOG_OBJECTS_OFFSET + (long)maxObjects * LOG_ENTRY_SIZE + redoCapacity, 64);
    }

    /**
     * Bytes the section takes.
     *
     * @param processSlots process slots.
     * @param logsPerSlot  logs per slot.
     * @param logSize      bytes per log.
     * @return section length.
     */
    public static long sectionLength(final int processSlots, final int logsPerSlot, final int logSize)
    {
        return LOGS_OFFSET + (long)processSlots * logsPerSlot * logSize;
    }

    /**
     * Offset of a log's redo area relative to the log.
     *
     * @param maxObjects object table entries.
     * @return the offset.
     */
    public static int redoOffset(final int maxObjects)
    {
        return LOG_OBJECTS_OFFSET + maxObjects * LOG_ENTRY_SIZE;
    }

    /** Model word: the switching bit. */
    public static final long SWITCHING_BIT = 1L << 15;
    /** Model word: bits below the epoch. */
    public static final int EPOCH_SHIFT = 16;

    /**
     * The model word of a model in force from an epoch on.
     *
     * @param model model ordinal.
     * @param epoch epoch.
     * @return the word.
     */
    public static long modelWord(final int model, final long epoch)
    {
        return (epoch << EPOCH_SHIFT) | model;
    }

    /**
     * The model word of a switch in progress to {@code model} at {@code epoch}, from {@code previous}.
     *
     * @param model    target model ordinal.
     * @param previous model ordinal in force until the switch completes.
     * @param epoch    the new epoch.
     * @return the word.
     */
    public static long switchingWord(final int model, final int previous, final long epoch)
    {
        return (epoch << EPOCH_SHIFT) | SWITCHING_BIT | ((long)previous << 8) | model;
    }

    /**
     * Model ordinal of a model word (the target while switching).
     *
     * @param word model word.
     * @return ordinal (may be out of range in a corrupt word).
     */
    public static int model(final long word)
    {
        return (int)(word & 0xFF);
    }

    /**
     * The model ordinal in force while a switch is in progress.
     *
     * @param word model word.
     * @return ordinal (may be out of range in a corrupt word).
     */
    public static int previousModel(final long word)
    {
        return (int)((word >>> 8) & 0x7F);
    }

    /**
     * Whether a model word is a switch in progress.
     *
     * @param word model word.
     * @return {@code true} while switching.
     */
    public static boolean isSwitching(final long word)
    {
        return (word & SWITCHING_BIT) != 0;
    }

    /**
     * Epoch of a model word.
     *
     * @param word model word.
     * @return epoch.
     */
    public static long epoch(final long word)
    {
        return word >>> EPOCH_SHIFT;
    }

    /**
     * Commit timestamp of a version word.
     *
     * @param word version word.
     * @return timestamp.
     */
    public static long timestamp(final long word)
    {
        return word >>> TS_SHIFT;
    }

    /**
     * Whether a version word is locked.
     *
     * @param word version word.
     * @return {@code true} when locked.
     */
    public static boolean isLocked(final long word)
    {
        return (word & LOCK_BIT) != 0;
    }

    /**
     * Locker id of a version word (log index + 1), 0 when unlocked.
     *
     * @param word version word.
     * @return the id.
     */
    public static int locker(final long word)
    {
        return (int)(word & MAX_LOCKER);
    }

    /**
     * The word of {@code word} locked by log {@code logIndex}.
     *
     * @param word     an unlocked version word.
     * @param logIndex the locking log.
     * @return the locked word.
     */
    public static long locked(final long word, final int logIndex)
    {
        return (word & ~LOCK_MASK) | LOCK_BIT | (logIndex + 1);
    }

    /**
     * The unlocked version word of a commit timestamp.
     *
     * @param timestamp commit timestamp.
     * @return the word.
     */
    public static long committed(final long timestamp)
    {
        return timestamp << TS_SHIFT;
    }

    /**
     * Region offset of a log.
     *
     * @param base     section offset.
     * @param logIndex global log index (slot * logsPerSlot + k).
     * @param logSize  bytes per log.
     * @return the offset.
     */
    public static int logOffset(final int base, final int logIndex, final int logSize)
    {
        return base + LOGS_OFFSET + logIndex * logSize;
    }

    /**
     * Checks a section's header against the region it lies in.
     *
     * @param file          region file (for messages).
     * @param buffer        region buffer.
     * @param base          section offset.
     * @param sectionLength section length.
     * @param processSlots  the region's process slots.
     * @throws RegionFormatException naming the first field that is wrong.
     */
    public static void check(final Path file, final AtomicBuffer buffer, final int base, final long sectionLength,
        final int processSlots)
    {
        expect(file, "consistency.magic", buffer.getLongVolatile(base + MAGIC_OFFSET), MAGIC);
        expect(file, "consistency.version", buffer.getInt(base + VERSION_OFFSET), VERSION);
        expect(file, "consistency.processSlots", buffer.getInt(base + PROCESS_SLOTS_OFFSET), processSlots);
        final int logsPerSlot = buffer.getInt(base + LOGS_PER_SLOT_OFFSET);
        final int maxObjects = buffer.getInt(base + MAX_OBJECTS_OFFSET);
        final int redo = buffer.getInt(base + REDO_CAPACITY_OFFSET);
        if (logsPerSlot < 1 || (long)logsPerSlot * processSlots > MAX_LOCKER)
        {
            throw new RegionFormatException(file, "consistency.logsPerSlot", String.valueOf(logsPerSlot),
                "1.." + (MAX_LOCKER / processSlots) + " for " + processSlots + " slots");
        }
        if (maxObjects < 1 || maxObjects > SharedMemoryConfig.MAX_OBJECTS_LIMIT || redo < 64
            || redo > SharedMemoryConfig.MAX_REDO_LIMIT)
        {
            throw new RegionFormatException(file, "consistency.logCapacity", maxObjects + " objects/" + redo + " bytes",
                "1.." + SharedMemoryConfig.MAX_OBJECTS_LIMIT + " objects, 64.." + SharedMemoryConfig.MAX_REDO_LIMIT + " bytes");
        }
        expect(file, "consistency.logSize", buffer.getInt(base + LOG_SIZE_OFFSET), logSize(maxObjects, redo));
        final long needed = sectionLength(processSlots, logsPerSlot, logSize(maxObjects, redo));
        if (needed > sectionLength)
        {
            throw new RegionFormatException(file, "consistency.length", String.valueOf(sectionLength), "at least " + needed);
        }
        final long modelWord = buffer.getLongVolatile(base + MODEL_WORD_OFFSET);
        if (!validModelWord(modelWord))
        {
            throw new RegionFormatException(file, "consistency.modelWord", "0x" + Long.toHexString(modelWord),
                "a model ordinal below " + ConsistencyModel.values().length + " and an epoch >= 1");
        }
    }

    /**
     * Whether a model word can be true: known model ordinals, an epoch of at least 1, no stray bits.
     *
     * @param word model word.
     * @return {@code true} when valid.
     */
    public static boolean validModelWord(final long word)
    {
        final int models = ConsistencyModel.values().length;
        final boolean switching = isSwitching(word);
        return model(word) < models && epoch(word) >= 1 && (switching ? previousModel(word) < models : (word & 0x7F00) == 0);
    }

    private static void expect(final Path file, final String field, final long found, final long required)
    {
        if (found != required)
        {
            throw new RegionFormatException(file, field, String.valueOf(found), String.valueOf(required));
        }
    }
}
