package io.shmtx.consistency;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/**
 * The README's transaction example, as written there (with a temporary path), run twice on the
 * same file.
 */
class ReadmeExampleTest
{
    @Test
    void transactionExample() throws Exception
    {
        try (TempRegions temp = new TempRegions())
        {
            final Path file = temp.newPath("bank");
            for (int run = 0; run < 2; run++)
            {
                SharedMemoryConfig config = SharedMemoryConfig.builder()
                    .processSlots(16)
                    .build();
                try (SharedMemory shm = SharedMemory.open(file, config))
                {
                    long from = shm.allocate(8);
                    long to = shm.allocate(8);
                    shm.transact(tx -> tx.putLong(from, 0, 100));
                    shm.transact(tx ->
                    {
                        long amount = 30;
                        tx.putLong(from, 0, tx.getLong(from, 0) - amount);
                        tx.putLong(to, 0, tx.getLong(to, 0) + amount);
                    });
                    long total = shm.readOnly(tx -> tx.getLong(from, 0) + tx.getLong(to, 0));
                    long node = shm.transactAndGet(tx ->
                    {
                        long n = tx.allocate(16);
                        tx.putLong(n, 0, total);
                        return n;
                    });
                    assertEquals(100, total);
                    assertEquals(70, (long)shm.readOnly(tx -> tx.getLong(from, 0)));
                    assertEquals(100, (long)shm.readOnly(tx -> tx.getLong(node, 0)));
                    try (Tx tx = shm.begin())
                    {
                        tx.free(node);
                        tx.commit();
                    }
                    assertFalse(shm.pool().isLive(node));
                    shm.switchModel(ConsistencyModel.CAUSAL);
                    long seen = shm.readOnly(tx -> tx.getLong(to, 0));
                    assertEquals(30, seen);
                    assertEquals(ConsistencyModel.CAUSAL, shm.stats().model());
                    shm.switchModel(ConsistencyModel.RELEASE);
                }
            }
        }
    }
}
