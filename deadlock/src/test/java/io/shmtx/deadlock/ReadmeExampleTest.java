package io.shmtx.deadlock;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.region.Region;
import io.shmtx.region.RegionConfig;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;

/**
 * The README's lock-table example, as written there (with a temporary path).
 */
class ReadmeExampleTest
{
    @Test
    void lockExample() throws Exception
    {
        try (TempRegions temp = new TempRegions())
        {
            RegionConfig config = RegionConfig.builder()
                .processSlots(16)
                .section(LockManager.section(LockManagerConfig.builder()
                    .policy(LockPolicy.WOUND_WAIT).maxWait(Duration.ofSeconds(2)).build(), 16))
                .build();
            try (Region region = Region.openOrCreate(temp.newPath("locks-demo"), config))
            {
                LockManager locks = LockManager.open(region);
                region.attach();
                int attempts = 0;
                try (Txn tx = locks.begin())
                {
                    while (true)
                    {
                        attempts++;
                        try
                        {
                            tx.lock(1001L, LockMode.EXCLUSIVE);
                            tx.lock(1002L, LockMode.SHARED);
                            tx.commit();
                            break;
                        }
                        catch (TxAbortedException e)
                        {
                            tx.restart();
                        }
                    }
                }
                locks.setPolicy(LockPolicy.DETECT);
                assertEquals("no waits\n", locks.waitForGraphText());
                assertEquals(1, attempts);
                assertEquals(LockPolicy.DETECT, locks.policy());
            }
        }
    }
}
