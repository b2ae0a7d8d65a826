package io.shmtx.consistency;

import io.shmtx.region.DeadProcess;
import io.shmtx.region.RecoveryStep;
import io.shmtx.region.Region;
import io.shmtx.region.SectionSpec;

/**
 * Recovery step 1 of a dead process: finishes (COMMITTING) or undoes (ACTIVE) the transaction in
 * each of its logs, before the lock table, the reference counts and the pool recover what it
 * held (see {@link TxLogs} for why each case is right), and gives up a model switch it left
 * half-way ({@link ModelSwitch}). Idempotent.
 *
 * <p>Threadsafe: the region runs it for one dead slot in one process at a time.
 */
final class ConsistencyRecovery implements RecoveryStep
{
    private final TxLogs logs;
    private volatile ModelSwitch modelSwitch;

    ConsistencyRecovery(final TxLogs logs)
    {
        this.logs = logs;
    }

    void modelSwitch(final ModelSwitch modelSwitch)
    {
        this.modelSwitch = modelSwitch;
    }

    @Override
    public String name()
    {
        return "consistency: finish or undo transactions";
    }

    @Override
    public int order()
    {
        return 1;
    }

    @Override
    public int sectionId()
    {
        return SectionSpec.LEDGERS;
    }

    @Override
    public String recover(final Region region, final DeadProcess dead)
    {
        final StringBuilder done = new StringBuilder();
        for (int k = 0; k < logs.logsPerSlot; k++)
        {
            final String result = logs.recover(dead.slot() * logs.logsPerSlot + k, dead.slot());
            if (result != null)
            {
                done.append(done.length() == 0 ? "" : "; ").append(result);
            }
        }
        final ModelSwitch switcher = modelSwitch;
        if (switcher != null && switcher.clearDeadSwitcher())
        {
            done.append(done.length() == 0 ? "" : "; ").append("a model switch it left was given up");
        }
        return done.length() == 0 ? "no transaction in progress" : done.toString();
    }
}
