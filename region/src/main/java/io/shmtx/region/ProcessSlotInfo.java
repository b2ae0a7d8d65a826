package io.shmtx.region;

/**
 * A snapshot of one process slot, for diagnostics. Immutable.
 *
 * @param slot            slot index.
 * @param state           "FREE", "ATTACHED", "RECOVERING" or "CORRUPT(n)".
 * @param pid             recorded pid (0 when free).
 * @param startTimeMillis recorded process start time (epoch ms).
 * @param attachMillis    attach time (epoch ms).
 * @param heartbeatMillis last heartbeat (epoch ms).
 * @param alive           whether the slot's lock is held (the kernel's word, not a timeout).
 * @param stalled         alive but the heartbeat is older than three intervals (GC pause,
 *                        SIGSTOP, overload): reported, never treated as dead.
 * @param sequence        claim sequence.
 */
public record ProcessSlotInfo(
    int slot, String state, long pid, long startTimeMillis, long attachMillis, long heartbeatMillis,
    boolean alive, boolean stalled, long sequence)
{
}
