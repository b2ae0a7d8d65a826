package io.shmtx.refcount.readme;

import io.shmtx.pool.*;
import io.shmtx.refcount.*;
import io.shmtx.region.*;
import java.nio.file.Path;

/**
 * The README's "Using reference counts" example, word for word between the markers, with exactly
 * its imports (see {@code io.shmtx.testkit.ReadmeExamples}); its first line, the region file, is
 * the parameter. Written as the README shows it, not in the project's brace style.
 *
 * <p>Not threadsafe: one run at a time.
 */
public final class RefCountExample
{
    private RefCountExample()
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
        PoolConfig poolConfig = PoolConfig.defaults();
        RegionConfig config = RegionConfig.builder()
                .processSlots(16)
                .section(TieredPool.section(poolConfig, 16))
                .section(RefCounts.section(poolConfig, RefCountConfig.defaults(), 16))  // ledgers: 1024 handles per process
                .build();

        try (Region region = Region.openOrCreate(file, config)) {
            TieredPool pool = TieredPool.open(region);      // open modules before attach: they register recovery
            RefCounts refs = RefCounts.open(region, pool);
            refs.onZero(handle -> System.out.println("last reference to " + Handles.toString(handle) + " gone"));
            region.attach();                                // recovers dead holders: onZero runs for blocks only they held
            long handle = refs.allocate(64);                // count 1, held by this process, published
            region.bindRoot("shared-object", handle);       // others: refs.retain(region.root("shared-object"))
            refs.retain(handle);                            // any process may retain it: count 2
            refs.release(handle);                           // count 1
            region.unbindRoot("shared-object");             // before the last release: no root may name a freed block
            boolean freed = refs.release(handle);           // count 0: the block goes back to the pool exactly once
        }   // close() releases whatever this process still holds
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
        Region.delete(file);                                // once no process needs it: the file and its lock file
        // README end
    }
}
