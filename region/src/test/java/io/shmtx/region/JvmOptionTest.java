package io.shmtx.region;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.testkit.ChildJvm;
import io.shmtx.testkit.TempRegions;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A JVM started without the option Agrona needs gets an exception naming it, from every entry
 * point, before any file is touched.
 */
class JvmOptionTest
{
    private static final String OPTION = "--add-exports java.base/jdk.internal.misc=ALL-UNNAMED";

    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws IOException
    {
        temp.close();
    }

    @Test
    void aJvmWithoutTheExportIsToldWhichOptionToAddAndNoFileIsTouched() throws Exception
    {
        final Path fresh = temp.newPath("no-exports-fresh");
        final Path existing = temp.newPath("no-exports-existing");
        Region.create(existing, RegionConfig.defaults()).close();
        final byte[] before = Files.readAllBytes(existing);
        final List<String> output;
        final int exit;
        try (ChildJvm child = ChildJvm.startWithoutAddExports(NoExportsChild.class, fresh.toString(), existing.toString()))
        {
            exit = child.waitForExit(Duration.ofSeconds(60));
            output = child.transcript();
        }
        final String all = String.join("\n", output);
        for (final String entryPoint : List.of("open", "open(watchdog)", "openReadOnly", "openOrCreate", "delete"))
        {
            final String line = output.stream().filter(l -> l.startsWith(entryPoint + ": ")).findFirst()
                .orElseThrow(() -> new AssertionError("no line for " + entryPoint + ":\n" + all));
            assertTrue(line.startsWith(entryPoint + ": " + MissingJvmOptionException.class.getName()), line);
            assertTrue(line.contains(OPTION), line);
        }
        assertEquals(1, exit, "an uncaught exception ends the JVM with status 1:\n" + all);
        assertTrue(all.contains("Exception in thread \"main\" " + MissingJvmOptionException.class.getName()), all);
        assertTrue(all.contains(OPTION) && all.contains("Add-Exports: java.base/jdk.internal.misc") && all.contains("<argLine>"), all);
        assertFalse(all.contains("created: no exception"), all);

        assertFalse(Files.exists(fresh), "no region file");
        assertFalse(Files.exists(Region.lockFilePath(fresh)), "no lock file");
        assertEquals(List.of(), privateFiles(fresh), "no creator's private file");
        assertArrayEquals(before, Files.readAllBytes(existing), "the existing region is untouched (not deleted)");
        try (Region region = Region.open(existing))
        {
            assertTrue(region.attach() >= 0, "and still usable");
        }
    }

    private static List<Path> privateFiles(final Path region) throws IOException
    {
        final List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(region.getParent(), "." + region.getFileName() + "*"))
        {
            files.forEach(found::add);
        }
        return found;
    }
}
