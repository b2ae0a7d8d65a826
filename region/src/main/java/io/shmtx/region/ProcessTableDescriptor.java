package io.shmtx.region;

import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Layout of one process slot in the process table section. A slot is two cache lines; the
 * first is written by its owner (attach, heartbeat) and by a recoverer, and ends with two words
 * reserved for later modules (transaction state, wounded flag); the second is reserved.
 *
 * <pre>
 *    0  state word (64): bits 0-7 state (0 FREE, 1 ATTACHED, 2 RECOVERING),
 *                        bits 8-63 claim sequence (bumped at every attach and every
 *                        recovery claim: see {@link Region#recoveryToken(int)})
 *    8  pid (64)
 *   16  process start time, epoch ms (64), 0 when the OS does not tell
 *   24  attach time, epoch ms (64)
 *   32  heartbeat, epoch ms (64): refreshed by the owner's daemon thread
 *   40  recoverer pid (64): the pid that claimed the slot for recovery
 *   48  transaction state (64): reserved
 *   56  wounded flag (64): reserved
 *   64  reserved (64 bytes)
 * </pre>
 *
 * <p>Liveness is not stored here: slot {@code i} is owned as long as its owner holds an
 * exclusive lock on byte {@code i} of the lock file beside the region ({@link #lockPosition(int)}).
 */
public final class ProcessTableDescriptor
{
    /** Size of a slot. */
    public static final int SLOT_SIZE = 128;
    /** Offset of the state word. */
    public static final int STATE_OFFSET = 0;
    /** Offset of the pid. */
    public static final int PID_OFFSET = STATE_OFFSET + SIZE_OF_LONG;
    /** Offset of the process start time. */
    public static final int START_TIME_OFFSET = PID_OFFSET + SIZE_OF_LONG;
    /** Offset of the attach time. */
    public static final int ATTACH_TIME_OFFSET = START_TIME_OFFSET + SIZE_OF_LONG;
    /** Offset of the heartbeat. */
    public static final int HEARTBEAT_OFFSET = ATTACH_TIME_OFFSET + SIZE_OF_LONG;
    /** Offset of the recoverer's pid. */
    public static final int RECOVERER_PID_OFFSET = HEARTBEAT_OFFSET + SIZE_OF_LONG;
    /** Offset of the transaction state word (reserved). */
    public static final int TXN_STATE_OFFSET = RECOVERER_PID_OFFSET + SIZE_OF_LONG;
    /** Offset of the wounded flag (reserved). */
    public static final int WOUNDED_OFFSET = TXN_STATE_OFFSET + SIZE_OF_LONG;

    /** State: nobody owns the slot. */
    public static final int STATE_FREE = 0;
    /** State: a process attached and owns the slot. */
    public static final int STATE_ATTACHED = 1;
    /** State: the owner died and a survivor is running recovery steps. */
    public static final int STATE_RECOVERING = 2;

    /** Most process slots a region may have. */
    public static final int MAX_SLOTS = 4096;
    /** Lock file position of the creation lock (beyond every slot's byte). */
    public static final long INIT_LOCK_POSITION = 1L << 32;

    private ProcessTableDescriptor()
    {
    }

    /**
     * State part of a state word.
     *
     * @param word state word.
     * @return one of the {@code STATE_} constants, or another value when the word is corrupt.
     */
    public static int state(final long word)
    {
        return (int)(word & 0xFF);
    }

    /**
     * Claim sequence part of a state word.
     *
     * @param word state word.
     * @return the sequence.
     */
    public static long sequence(final long word)
    {
        return word >>> 8;
    }

    /**
     * Builds a state word.
     *
     * @param state    state constant.
     * @param sequence claim sequence.
     * @return the word.
     */
    public static long stateWord(final int state, final long sequence)
    {
        return (sequence << 8) | (state & 0xFF);
    }

    /**
     * Lock-file byte that the owner of {@code slot} keeps locked.
     *
     * @param slot slot index.
     * @return position in the lock file.
     */
    public static long lockPosition(final int slot)
    {
        return slot;
    }
}
