package io.shmtx.region;

/**
 * A process found dead in the process table: the kernel dropped its slot lock.
 * Immutable.
 *
 * @param slot           process slot index.
 * @param pid            pid it recorded at attach.
 * @param startTimeMillis its process start time (epoch ms), 0 if unknown.
 * @param attachSequence  claim sequence of the slot's state as found: its attachment's, or, when an
 *                        earlier recovery of it was cut short, that recovery's claim (distinguishes
 *                        reuses of the slot).
 */
public record DeadProcess(int slot, long pid, long startTimeMillis, long attachSequence)
{
}
