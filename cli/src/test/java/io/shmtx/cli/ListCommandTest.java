package io.shmtx.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.shmtx.region.Region;
import io.shmtx.region.RegionDescriptor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code shmtx list}: real regions (one with a live process attached, one whose process died
 * attached) among foreign entries (text, empty and zero-filled files, a directory, a FIFO, a link
 * to it, a dangling link), none of which is opened for writing or blocks the listing.
 */
class ListCommandTest
{
    private static final String SECTIONS = "pool,refcount,lock-table";

    @TempDir
    Path dir;

    private Path create(final String name, final String... options)
    {
        final Path file = dir.resolve(name);
        final String[] args = Stream.concat(Stream.of("create", file.toString(), "--process-slots", "4"),
            Stream.of(options)).toArray(String[]::new);
        final Cli.Result created = Cli.run(args);
        assertEquals(0, created.exitCode(), created::toString);
        return file;
    }

    private static void mkfifo(final Path path) throws IOException, InterruptedException
    {
        final Process mkfifo = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
        assumeTrue(mkfifo.waitFor(30, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "no mkfifo on this machine");
    }

    /**
     * Every entry's name and kind, with the bytes of each regular file nobody attached to writes:
     * to show that listing changed and created nothing.
     */
    private Map<String, String> snapshot() throws IOException
    {
        final Map<String, String> entries = new TreeMap<>();
        try (Stream<Path> listed = Files.list(dir))
        {
            for (final Path path : (Iterable<Path>)listed::iterator)
            {
                final boolean regular = Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS);
                final String name = path.getFileName().toString();
                final boolean stable = regular && !name.endsWith(".lock") && !List.of("alive", "dead").contains(name);
                entries.put(name, stable ? new String(Files.readAllBytes(path), StandardCharsets.ISO_8859_1)
                    : Files.isSymbolicLink(path) ? "link" : regular ? "file" : "other");
            }
        }
        return entries;
    }

    private static void assertRow(final String out, final String name, final Path file, final int attached,
        final int live, final String sections) throws IOException
    {
        final String row = "^" + Pattern.quote(name) + " +" + Pattern.quote(ByteSize.format(Files.size(file)))
            + " +\\S+ +4 +" + attached + " +" + live + " +[0-9.]+ (s|min|h|d) +" + Pattern.quote(sections) + "$";
        assertTrue(Pattern.compile(row, Pattern.MULTILINE).matcher(out).find(), () -> "no /" + row + "/ in:\n" + out);
    }

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a FIFO opened would block for ever
    void listsTheRegionsWithTheirProcessesAndNamesWhatElseIsThere() throws Exception
    {
        final Path pool = create("pool", "--pool", "--refcounts", "--locks");
        final Path alive = create("alive");
        final Path dead = create("dead");
        Files.writeString(dir.resolve("notes.txt"), "not a region\n".repeat(100), StandardCharsets.US_ASCII);
        Files.createFile(dir.resolve("empty"));
        Files.write(dir.resolve("zeros"), new byte[64 * 1024]);
        Files.createDirectory(dir.resolve("subdir"));
        mkfifo(dir.resolve("fifo"));
        Files.createSymbolicLink(dir.resolve("fifo-link"), dir.resolve("fifo"));
        Files.createSymbolicLink(dir.resolve("dangling"), dir.resolve("nowhere"));
        Files.createSymbolicLink(dir.resolve("link"), pool);
        try (Region attached = Region.open(alive, Duration.ZERO); Region died = Region.open(dead, Duration.ZERO))
        {
            attached.attach();
            died.attach();
            died.abandon(); // as if killed: the slot stays in use, its process no longer holds it
            final Map<String, String> before = snapshot();

            final Cli.Result list = Cli.run("list", dir.toString());
            final Cli.Result all = Cli.run("list", dir.toString(), "--all");

            assertEquals(before, snapshot(), "listing changed or created an entry");
            for (final Cli.Result result : List.of(list, all))
            {
                assertEquals(0, result.exitCode(), result::toString);
                assertEquals("", result.err(), result::toString);
                final String out = result.out();
                assertTrue(out.startsWith("REGION "), out);
                assertRow(out, "alive", alive, 1, 1, "-");
                assertRow(out, "dead", dead, 1, 0, "-");
                assertRow(out, "pool", pool, 0, 0, SECTIONS);
                assertRow(out, "link -> pool", pool, 0, 0, SECTIONS);
                assertFalse(out.contains(".lock"), "a region's lock file was listed: " + out);
                assertTrue(out.contains("\n4 regions in " + dir + "; 7 other entries are not regions"), out);
            }
            assertTrue(list.out().endsWith("not regions (--all names them)\n"), list::toString);
            assertFalse(list.out().contains("fifo"), list::toString);
            final String[] others = {
                "  dangling: a dangling symbolic link (to " + dir.resolve("nowhere") + ")\n",
                "  empty: an empty file\n",
                "  fifo: a FIFO (not opened)\n",
                "  fifo-link -> fifo: a FIFO (not opened)\n",
                "  notes.txt: not a region (magic 0x",
                "  subdir: a directory\n",
                "  zeros: not a region (magic 0x0 (the first 4096 bytes are zeros",
            };
            for (final String line : others)
            {
                assertTrue(all.out().contains(line), () -> "no '" + line + "' in:\n" + all.out());
            }
        }
    }

    @Test
    void aDamagedRegionIsNamedAndMakesTheExitCodeOne() throws IOException
    {
        final Path good = create("good");
        final Path damaged = create("damaged");
        try (FileChannel channel = FileChannel.open(damaged, StandardOpenOption.WRITE))
        {
            channel.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}), RegionDescriptor.CREATOR_PID_OFFSET);
        }

        final Cli.Result result = Cli.run("list", dir.toString());

        assertEquals(Main.EXIT_ERROR, result.exitCode(), result::toString);
        assertRow(result.out(), "good", good, 0, 0, "-");
        assertTrue(result.out().contains("\ndamaged: DAMAGED region: "), result::toString);
        assertTrue(result.out().endsWith("\n1 region, 1 damaged in " + dir + "\n"), result::toString);
    }

    @Test
    void anEmptyDirectoryHasNoTableAndAMissingOneIsNamed() throws IOException
    {
        final Cli.Result empty = Cli.run("list", dir.toString());

        assertEquals(0, empty.exitCode(), empty::toString);
        assertEquals("no regions in " + dir + "\n", empty.out(), "a heading with nothing under it: " + empty);

        final Path missing = dir.resolve("missing").resolve("deeper");
        final Path file = Files.createFile(dir.resolve("file"));
        for (final Map.Entry<Path, String> bad : Map.of(missing, " does not exist (" + dir.resolve("missing")
            + " is missing already)", file, " is not a directory").entrySet())
        {
            final Cli.Result result = Cli.run("list", bad.getKey().toString());

            assertEquals(Main.EXIT_ERROR, result.exitCode(), result::toString);
            assertEquals("", result.out(), result::toString);
            assertEquals("shmtx list: directory " + bad.getKey() + bad.getValue() + "\n", result.err(), result::toString);
        }
    }

    @Test
    void theDefaultDirectoryIsDevShm()
    {
        final Cli.Result help = Cli.run("help", "list");

        assertEquals(0, help.exitCode(), help::toString);
        assertTrue(help.out().contains("Default: /dev/shm."), help::toString);
        if (Files.isDirectory(Path.of("/dev/shm")))
        {
            final Cli.Result list = Cli.run("list");
            // other programs' files and regions may be there, even damaged ones: only the summary is certain
            assertTrue(list.out().contains(" in /dev/shm"), list::toString);
        }
    }
}
