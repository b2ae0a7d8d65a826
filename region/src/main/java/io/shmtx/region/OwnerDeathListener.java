package io.shmtx.region;

/**
 * Told when this process recovered (or tried to recover) a dead process's slot.
 * Called on the thread that ran recovery (the watchdog thread or a caller of
 * {@link Region#recoverDeadSlots()}); it must not block for long.
 */
@FunctionalInterface
public interface OwnerDeathListener
{
    /**
     * A dead process was found and recovery ran.
     *
     * @param report which slot and pid died and what recovery did.
     */
    void onOwnerDeath(OwnerDeathReport report);
}
