package io.shmtx.consistency;

/**
 * Told when this process notices a new model epoch (see {@link SharedMemory#addSwitchListener}).
 *
 * <p>Implementations must be threadsafe: any thread of the process that notices the epoch calls
 * it, outside any transaction of that thread.
 */
@FunctionalInterface
public interface ModelSwitchListener
{
    /**
     * A new epoch is in force.
     *
     * @param from  the model in force in the epoch this process saw before.
     * @param to    the model in force now (the same as {@code from} after a switch that timed out,
     *              or a switch to the model already in force: either publishes a new epoch).
     * @param epoch the new epoch.
     */
    void onSwitch(ConsistencyModel from, ConsistencyModel to, long epoch);
}
