package io.shmtx.region.readme;

import io.shmtx.region.*;
import java.nio.file.Path;

/**
 * The README's "Using the region" example, word for word between the markers, with exactly its
 * imports (see {@code io.shmtx.testkit.ReadmeExamples}); its first line, the region file, is the
 * parameter. Written as the README shows it, not in the project's brace style.
 *
 * <p>Not threadsafe: one run at a time.
 */
public final class RegionExample
{
    private RegionExample()
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
                .processSlots(16)            // how many processes may attach at once (default 64)
                .rootSlots(64)               // named roots (default 64)
                .permissions("rw-rw----")    // default rw------- (0600)
                .build();

        try (Region region = Region.openOrCreate(file, config)) {   // race-safe: one creates, the others open
            region.addOwnerDeathListener(report ->      // before attach(), which recovers the dead it finds
                    System.out.println("process " + report.dead().pid() + " in slot " + report.dead().slot()
                            + " died; recovery: " + report.stepResults()));
            int slot = region.attach();                 // claims a process slot; close() detaches
            if (region.findRoot("book") == 0) {         // roots persist in the file: bind once
                region.bindRoot("book", 42L);           // name -> handle, visible to every process
            }
            long book = region.root("book");
            long ts = region.nextTimestamp();           // unique, increasing across all processes
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
