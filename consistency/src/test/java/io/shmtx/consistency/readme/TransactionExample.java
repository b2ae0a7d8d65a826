package io.shmtx.consistency.readme;

import io.shmtx.consistency.*;
import io.shmtx.region.Region;
import java.nio.file.Path;

/**
 * The README's "Using transactions" example, word for word between the markers, with exactly its
 * imports (see {@code io.shmtx.testkit.ReadmeExamples}); its first line, the region file, is the
 * parameter. Written as the README shows it, not in the project's brace style.
 *
 * <p>Not threadsafe: one run at a time.
 */
public final class TransactionExample
{
    private TransactionExample()
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
        SharedMemoryConfig config = SharedMemoryConfig.builder()
                .processSlots(16)                // defaults: RELEASE, WAIT_DIE, the default pool tiers
                .build();

        try (SharedMemory shm = SharedMemory.open(file, config)) { // creates or opens, recovers, attaches
            long from = shm.allocate(8);         // zero-filled object, reference-counted: held by this process
            long to = shm.allocate(8);
            shm.transact(tx -> tx.putLong(from, 0, 100));
            shm.transact(tx -> {                 // retried after a conflict; an exception aborts it, nothing visible
                long amount = 30;
                tx.putLong(from, 0, tx.getLong(from, 0) - amount);
                tx.putLong(to, 0, tx.getLong(to, 0) + amount);
            });
            long total = shm.readOnly(tx -> tx.getLong(from, 0) + tx.getLong(to, 0));   // 100: one snapshot
            long node = shm.transactAndGet(tx -> {
                long n = tx.allocate(16);        // freed if the transaction aborts; lives until a transaction frees it
                tx.putLong(n, 0, total);
                return n;
            });
            try (Tx tx = shm.begin()) {          // manual: no automatic retry; close() aborts unless committed
                tx.free(node);                   // takes effect at commit
                tx.commit();                     // TransactionAbortedException on a conflict
            }
            shm.switchModel(ConsistencyModel.CAUSAL);   // every attached process follows
            long seen = shm.readOnly(tx -> tx.getLong(to, 0));          // 30, from a snapshot
            System.out.println("total " + total + ", to " + seen);
            System.out.println(shm.stats());            // model, epoch, switches, commits, aborts by reason, ...
            shm.switchModel(ConsistencyModel.RELEASE);
        }   // close() releases this process's references: from and to are freed
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
        Region.delete(file);                     // once no process needs it: the file and its lock file
        // README end
    }
}
