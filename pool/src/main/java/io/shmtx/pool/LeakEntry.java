package io.shmtx.pool;

/**
 * A block held longer than a threshold, for the leak report. Immutable.
 *
 * @param handle    the block's handle.
 * @param ownerSlot process slot that allocated it.
 * @param ownerPid  that slot's pid now (0 if the slot is free).
 * @param ageMillis how long it has been allocated (coarse clock).
 * @param blockSize its tier's block size.
 */
public record LeakEntry(long handle, int ownerSlot, long ownerPid, long ageMillis, int blockSize)
{
}
