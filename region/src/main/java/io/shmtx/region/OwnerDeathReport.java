package io.shmtx.region;

import java.util.List;

/**
 * What recovery did after a process died. Immutable.
 *
 * @param dead          the dead process.
 * @param recovererPid  pid of the process that ran recovery.
 * @param stepResults   one line per step run, in order ("name: result" or "name: FAILED ...").
 * @param completed     whether every step ran and the slot was freed; {@code false} leaves the
 *                      slot claimable for a later attempt.
 */
public record OwnerDeathReport(DeadProcess dead, long recovererPid, List<String> stepResults, boolean completed)
{
    /**
     * Copies the list.
     *
     * @param dead         the dead process.
     * @param recovererPid recovering pid.
     * @param stepResults  step lines.
     * @param completed    whether recovery completed.
     */
    public OwnerDeathReport
    {
        stepResults = List.copyOf(stepResults);
    }
}
