package io.shmtx.pool.readme;

import io.shmtx.pool.*;
import io.shmtx.region.*;
import java.nio.file.Path;

/**
 * The README's "Using the pool" example, word for word between the markers, with exactly its
 * imports (see {@code io.shmtx.testkit.ReadmeExamples}); its first line, the region file, is the
 * parameter. Written as the README shows it, not in the project's brace style.
 *
 * <p>Not threadsafe: one run at a time.
 */
public final class PoolExample
{
    private PoolExample()
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
        PoolConfig poolConfig = PoolConfig.builder()
                .tier(64, 100_000)           // block size, block count (default: 9 tiers, 32 B .. 64 KiB)
                .tier(4096, 1_000)
                .emergencyReserve(16)        // blocks per tier only Priority.CRITICAL may take
                .thresholds(75, 90)          // LOW and CRITICAL utilisation, percent
                .build();
        RegionConfig config = RegionConfig.builder()
                .processSlots(16)
                .section(TieredPool.section(poolConfig, 16))   // formatted while the region is created
                .build();

        try (Region region = Region.openOrCreate(file, config);
             TieredPool pool = TieredPool.open(region)) {      // registers the pool's recovery step
            pool.addThresholdListener((tier, size, before, now, percent) ->   // before the allocations it is to see
                    System.out.println("tier " + tier + ": " + before + " -> " + now + " at " + percent + "%"));
            region.attach();
            long handle = pool.allocate(48);                   // smallest tier that fits: 64 B
            pool.putLong(handle, 0, 123L);                     // bounds-checked against the block
            long value = pool.getLong(handle, 0);
            pool.free(handle);                                 // a second free: DoubleFreeException

            long maybe = pool.tryAllocate(48);                 // 0 instead of PoolExhaustedException
            if (maybe != 0) pool.free(maybe);

            try (PooledBlock block = pool.allocateBlock(100)) { // freed by try-with-resources
                block.putLong(0, 7L);
            }
            PoolStats stats = pool.stats();                    // summed over every process
            System.out.println(pool.validate().valid());       // every block accounted for exactly once
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
        Region.delete(file);                                   // once no process needs it: the file and its lock file
        // README end
    }
}
