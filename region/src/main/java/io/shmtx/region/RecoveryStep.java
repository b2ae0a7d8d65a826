package io.shmtx.region;

/**
 * One idempotent step of recovering the state a dead process left in the region. Modules
 * register their steps with {@link Region#registerRecoveryStep(RecoveryStep)} before
 * {@link Region#attach()}; the recovery driver runs them in ascending {@link #order()} for each
 * dead slot it claims.
 *
 * <p>Implementations must be threadsafe and idempotent: a recoverer can die in the middle of a
 * step, and the next recoverer runs every step again from the first. Several recoveries (of
 * other dead slots) may run at once, in this process and in others; a step that needs to exclude
 * them, or to be known as a holder, writes {@link Region#recoveryToken(int)} of the dead slot
 * into shared memory, never the recovering process's own attachment: the process running a step
 * may not be attached at all (a newcomer recovering a full table before it takes a slot).
 */
public interface RecoveryStep
{
    /**
     * Name for reports, e.g. {@code "pool: return unpublished blocks"}.
     *
     * @return the name.
     */
    String name();

    /**
     * Position in the fixed order of steps (1 transactions, 2 locks, 3 references,
     * 4 owned blocks); lower runs first.
     *
     * @return the order key.
     */
    int order();

    /**
     * Id of the section whose per-process state this step recovers, or 0 when it recovers none;
     * a dead slot is not freed until every section that needs recovery has a step here.
     *
     * @return section id or 0.
     */
    default int sectionId()
    {
        return 0;
    }

    /**
     * Recovers what {@code dead} left behind.
     *
     * @param region region being recovered; the caller holds the dead slot's claim
     *               ({@link Region#recoveryToken(int)} names it) and may not be attached.
     * @param dead   which process died.
     * @return a one-line description of what was done, for the death report.
     */
    String recover(Region region, DeadProcess dead);
}
