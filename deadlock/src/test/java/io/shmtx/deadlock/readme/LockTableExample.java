package io.shmtx.deadlock.readme;

import io.shmtx.deadlock.*;
import io.shmtx.region.*;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The README's "Using the lock table" example, word for word between the markers, with exactly
 * its imports (see {@code io.shmtx.testkit.ReadmeExamples}); its first line, the region file, is
 * the parameter. Written as the README shows it, not in the project's brace style.
 *
 * <p>Not threadsafe: one run at a time.
 */
public final class LockTableExample
{
    private LockTableExample()
    {
    }

    /**
     * The example up to the deletion of the region.
     *
     * @param file the region file.
     */
    public static void use(final Path file)
    {
        // README begin
        RegionConfig config = RegionConfig.builder()
                .processSlots(16)
                .section(LockManager.section(LockManagerConfig.builder()
                        .policy(LockPolicy.WOUND_WAIT)      // a new region's; an existing region keeps its own
                        .maxWait(Duration.ofSeconds(2)).build(), 16))
                .build();

        try (Region region = Region.openOrCreate(file, config)) {
            LockManager locks = LockManager.open(region);
            region.attach();
            try (Txn tx = locks.begin()) {              // timestamped from the region clock
                while (true) {
                    try {
                        tx.lock(1001L, LockMode.EXCLUSIVE);    // keys are handles (or any long)
                        tx.lock(1002L, LockMode.SHARED);
                        tx.commit();                           // releases every lock
                        break;
                    } catch (TxAbortedException e) {          // DIED, WOUNDED, NO_WAIT, TIMEOUT or DEADLOCK
                        tx.restart();                          // keeps its age: it cannot starve
                    }
                }
            }
            locks.setPolicy(LockPolicy.DETECT);         // switched for every process at run time, saved in the region
            System.out.print(locks.waitForGraphText());
        }
        // README end
    }

    /**
     * The example's last line: the region deleted.
     *
     * @param file the region file.
     */
    public static void delete(final Path file)
    {
        // README begin
        Region.delete(file);                            // once no process needs it: the file and its lock file
        // README end
    }
}
