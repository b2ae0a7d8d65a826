package io.shmtx.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code shmtx demo} end to end: it starts two real child JVMs, kills one, recovers its slot.
 */
class DemoTest
{
    private static final Pattern ATTACHED = Pattern.compile("\\[child (\\d)] ATTACHED slot=(\\d+) pid=(\\d+)");

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void twoChildrenAttachOneIsKilledAndRecoveredAndEverythingIsCleanedUp()
    {
        final long started = System.nanoTime();
        final Cli.Result result = Cli.run("demo");
        final long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        final String out = result.out();

        assertEquals(0, result.exitCode(), result::toString);
        assertEquals("", result.err(), result::toString);
        assertTrue(seconds <= 30, "the demo took " + seconds + " s");

        final List<long[]> children = new ArrayList<>(); // {child, slot, pid}
        final Matcher attached = ATTACHED.matcher(out);
        while (attached.find())
        {
            children.add(new long[] {Long.parseLong(attached.group(1)), Long.parseLong(attached.group(2)),
                Long.parseLong(attached.group(3))});
        }
        assertEquals(2, children.size(), out);
        assertEquals(1, children.get(0)[0], out);
        assertEquals(2, children.get(1)[0], out);
        assertNotEquals(children.get(0)[1], children.get(1)[1], "two children in one slot: " + out);
        final long me = ProcessHandle.current().pid();
        assertNotEquals(me, children.get(0)[2], out);

        assertTrue(out.contains("processes (3 of 8 slots in use)"), out);
        for (final long[] child : children)
        {
            assertTrue(out.matches("(?s).*\n +" + child[1] + " +ATTACHED +" + child[2] + " +alive .*"), out);
        }
        final long killedSlot = children.get(0)[1];
        final long killedPid = children.get(0)[2];
        assertTrue(out.contains("exited with code 137"), out);
        assertTrue(out.matches("(?s).*\n +" + killedSlot + " +ATTACHED +" + killedPid + " +dead .*"), out);
        assertTrue(out.contains("death report: slot=" + killedSlot + " pid=" + killedPid + " "), out);
        assertTrue(out.contains("recoverer=" + me + " completed=true"), out);
        assertTrue(out.contains("step: region: roots lock not held, slot freed"), out);
        assertTrue(out.contains("processes (2 of 8 slots in use)"), out);
        assertTrue(out.contains("[child 2] DETACHING slot=" + children.get(1)[1]), out);
        assertTrue(out.contains("child 2 exited with code 0"), out);
        assertTrue(out.trim().endsWith("demo done"), out);

        final Matcher dir = Pattern.compile("shmtx demo in (\\S+) ").matcher(out);
        assertTrue(dir.find(), out);
        assertFalse(Files.exists(Path.of(dir.group(1))), "the demo left " + dir.group(1));
        assertTrue(out.contains("deleted " + dir.group(1)), out);
        for (final long[] child : children)
        {
            assertFalse(ProcessHandle.of(child[2]).map(ProcessHandle::isAlive).orElse(false),
                "child " + child[0] + " (pid " + child[2] + ") still runs");
        }
    }
}
