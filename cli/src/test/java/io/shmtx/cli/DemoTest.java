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
 * {@code shmtx demo} end to end: it starts two real child JVMs that allocate pool blocks, kills
 * one, recovers its slot and its blocks.
 */
class DemoTest
{
    private static final Pattern ATTACHED = Pattern.compile("\\[child (\\d)] ATTACHED slot=(\\d+) pid=(\\d+)");
    private static final Pattern POOL_STEP = Pattern.compile(
        "\n +step: pool: return owned and in-flight blocks: returned (\\d+) owned and (\\d+) in-flight blocks\n");
    /** The 64-byte tier's row of a stat view: tier 1, then block size, capacity, reserve, in use, outstanding. */
    private static final Pattern TIER_64 = Pattern.compile("\n +1 +64 +256 +0 +(\\d+) +(\\d+) ");

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
        assertPoolShown(out, children);
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

    /**
     * The children allocated, the stat view before the kill lists the victim's blocks, the pool
     * step returned them, the view after does not list them, and the survivor freed its own.
     */
    private static void assertPoolShown(final String out, final List<long[]> children)
    {
        final int blocks = DemoCommand.CHILD_BLOCKS;
        for (final long[] child : children)
        {
            assertTrue(out.contains("[child " + child[0] + "] ALLOCATED " + blocks + " blocks of 64 bytes\n"), out);
        }
        assertTrue(out.contains("[child 2] FREED " + blocks + "\n"), out);
        final int myBlocks = 3;
        assertTrue(out.contains("exited with code 0\n   blocks allocated now: " + myBlocks + ", " + myBlocks
            + " of them by this process\n"), "child 2 did not free its blocks: " + out);
        assertTrue(out.contains("region\n   blocks allocated now: 0, 0 of them by this process\n"), out);
        assertFalse(out.contains("[child 1] FREED"), "the killed child freed its blocks: " + out);

        final int before = out.indexOf("   the pool, as shmtx stat ");
        final int kill = out.indexOf("\n4. kill ");
        final int after = out.indexOf("   the pool after recovery (shmtx stat):");
        final int survivorDetaches = out.indexOf("\n6. ");
        assertTrue(before > 0 && kill > before && after > kill && survivorDetaches > after, out);
        final String viewBefore = out.substring(before, kill);
        final String viewAfter = out.substring(after, survivorDetaches);
        assertTrue(viewBefore.contains(": attached processes: 3 of 8 slots\n"), viewBefore);
        assertTrue(viewAfter.contains(": attached processes: 2 of 8 slots\n"), viewAfter);
        assertEquals(blocks, heldBy(viewBefore, children.get(0)), viewBefore);
        assertEquals(blocks, heldBy(viewBefore, children.get(1)), viewBefore);
        assertEquals(0, heldBy(viewAfter, children.get(0)), "the killed child's blocks are still listed: " + viewAfter);
        assertEquals(blocks, heldBy(viewAfter, children.get(1)), viewAfter);

        final Matcher step = POOL_STEP.matcher(out);
        assertTrue(step.find(), "no pool step in the death report: " + out);
        final int returned = Integer.parseInt(step.group(1));
        assertTrue(returned >= blocks, "returned " + returned + " of the victim's " + blocks + "+ blocks: " + out);
        final Matcher tierBefore = TIER_64.matcher(viewBefore);
        final Matcher tierAfter = TIER_64.matcher(viewAfter);
        assertTrue(tierBefore.find() && tierAfter.find(), out);
        final long outstandingBefore = Long.parseLong(tierBefore.group(2));
        final long outstandingAfter = Long.parseLong(tierAfter.group(2));
        assertTrue(outstandingBefore >= 2L * blocks + 1, "outstanding 64-byte blocks before: " + viewBefore);
        assertEquals(outstandingBefore - returned, outstandingAfter,
            "the 64-byte tier's outstanding blocks did not drop by the returned ones:\n" + viewBefore + viewAfter);
    }

    /** Rows of a view's leak report owned by {@code child} ({child, slot, pid}). */
    private static int heldBy(final String view, final long[] child)
    {
        final Matcher row = Pattern.compile("\n +0x[0-9a-f]{16} +" + child[1] + " +" + child[2] + " +[0-9.]+ s +64\n")
            .matcher(view);
        int n = 0;
        int from = 0;
        while (row.find(from))
        {
            n++;
            from = row.end() - 1;
        }
        return n;
    }
}
