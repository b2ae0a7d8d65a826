package io.shmtx.region;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.testkit.ChildJvm;
import io.shmtx.testkit.TempRegions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Real child JVMs on one region file, killed with {@code destroyForcibly()}.
 */
class MultiProcessTest
{
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final TempRegions temp = new TempRegions();
    private final List<ChildJvm> children = new ArrayList<>();

    @AfterEach
    void cleanUp() throws IOException
    {
        children.forEach(ChildJvm::close);
        temp.close();
    }

    private ChildJvm child(final String... args) throws IOException
    {
        final ChildJvm child = ChildJvm.start(RegionChild.class, args);
        children.add(child);
        return child;
    }

    private static int slotOf(final String attachedLine)
    {
        return Integer.parseInt(attachedLine.replaceAll(".*slot=(\\d+).*", "$1"));
    }

    private Path newRegion()
    {
        final Path file = temp.newPath("mp");
        Region.create(file, RegionChild.config()).close();
        return file;
    }

    @Test
    void twoProcessesSeeEachOtherAndASurvivorRecoversTheKilledOne() throws Exception
    {
        final Path file = newRegion();
        // no watchdog: it would race this test's own recoverDeadSlots() call for the dead slot
        try (Region parent = Region.open(file, Duration.ZERO))
        {
            final int parentSlot = parent.attach();
            final ChildJvm child = child("attach", file.toString());
            final int childSlot = slotOf(child.awaitLine("ATTACHED", WAIT));

            final Optional<ProcessSlotInfo> seen = parent.processes().stream().filter(p -> p.slot() == childSlot).findFirst();
            assertTrue(seen.isPresent());
            assertEquals(child.pid(), seen.get().pid());
            assertTrue(seen.get().alive());
            child.send("alive " + parentSlot);
            assertEquals("ALIVE " + parentSlot + " true", child.awaitLine("ALIVE", WAIT));

            final List<OwnerDeathReport> heard = new ArrayList<>();
            parent.addOwnerDeathListener(heard::add);
            child.kill();
            assertFalse(parent.isAlive(childSlot), "the kernel dropped the killed child's slot lock");
            final List<OwnerDeathReport> reports = parent.recoverDeadSlots();
            assertEquals(1, reports.size());
            final OwnerDeathReport report = reports.get(0);
            assertEquals(childSlot, report.dead().slot());
            assertEquals(child.pid(), report.dead().pid());
            assertEquals(ProcessHandle.current().pid(), report.recovererPid());
            assertTrue(report.completed());
            assertEquals(reports, heard);
            assertTrue(parent.processes().stream().noneMatch(p -> p.slot() == childSlot), "the slot is free again");
            assertTrue(parent.isAlive(parentSlot));
        }
    }

    @Test
    void watchdogNoticesADeathWithoutBeingAsked() throws Exception
    {
        final Path file = newRegion();
        final CountDownLatch recovered = new CountDownLatch(1);
        final long[] deadPid = new long[1];
        try (Region parent = Region.openOrCreate(file, RegionConfig.builder().processSlots(8).rootSlots(8)
            .heartbeatInterval(Duration.ofMillis(50)).watchdogInterval(Duration.ofMillis(50)).build()))
        {
            parent.addOwnerDeathListener(report ->
            {
                deadPid[0] = report.dead().pid();
                recovered.countDown();
            });
            parent.attach();
            final ChildJvm child = child("attach", file.toString());
            child.awaitLine("ATTACHED", WAIT);
            child.kill();
            assertTrue(recovered.await(WAIT.toSeconds(), TimeUnit.SECONDS), "the watchdog recovered the dead child");
            assertEquals(child.pid(), deadPid[0]);
        }
    }

    @Test
    void aStoppedProcessIsStalledButNeverDeclaredDead() throws Exception
    {
        final Path file = newRegion();
        try (Region parent = Region.open(file))
        {
            parent.attach();
            final ChildJvm child = child("attach", file.toString());
            final int childSlot = slotOf(child.awaitLine("ATTACHED", WAIT));
            child.signal("STOP");
            try
            {
                // 20 heartbeat intervals: a timeout-based detector would have declared it dead
                Thread.sleep(1_000);
                assertTrue(parent.isAlive(childSlot));
                final ProcessSlotInfo info = parent.processes().stream().filter(p -> p.slot() == childSlot).findFirst().orElseThrow();
                assertTrue(info.alive());
                assertTrue(info.stalled(), "a stopped process is reported as stalled");
                assertTrue(parent.recoverDeadSlots().isEmpty(), "a stalled process is not recovered");
            }
            finally
            {
                child.signal("CONT");
            }
            child.send("ping");
            child.awaitLine("PONG", WAIT);
            assertTrue(parent.isAlive(childSlot));
            child.send("exit");
            assertEquals(0, child.waitForExit(WAIT));
            assertFalse(parent.isAlive(childSlot), "a clean exit frees the slot");
        }
    }

    @Test
    void twoProcessesRacingToOpenOrCreateShareOneRegion() throws Exception
    {
        for (int round = 0; round < 3; round++)
        {
            final Path file = temp.newPath("race");
            final Path go = temp.newPath("go");
            final ChildJvm a = child("race", file.toString(), go.toString());
            final ChildJvm b = child("race", file.toString(), go.toString());
            a.awaitLine("READY", WAIT);
            b.awaitLine("READY", WAIT);
            Files.createFile(go);
            final String lineA = a.awaitLine("RACED", WAIT);
            final String lineB = b.awaitLine("RACED", WAIT);
            assertNotEquals(slotOf(lineA), slotOf(lineB));
            assertEquals(lineA.replaceAll(".*created=", ""), lineB.replaceAll(".*created=", ""),
                "both use the one region the winner created");
            try (Region region = Region.open(file))
            {
                assertEquals(2, region.processes().stream().filter(ProcessSlotInfo::alive).count());
            }
            a.send("exit");
            b.send("exit");
            a.waitForExit(WAIT);
            b.waitForExit(WAIT);
        }
    }

    @Test
    void twoProcessesRacingToCreateGiveOneRegionAndOneClearRefusal() throws Exception
    {
        final Path file = temp.newPath("create-race");
        final Path go = temp.newPath("go");
        final ChildJvm a = child("create-race", file.toString(), go.toString());
        final ChildJvm b = child("create-race", file.toString(), go.toString());
        a.awaitLine("READY", WAIT);
        b.awaitLine("READY", WAIT);
        Files.createFile(go);
        final String lineA = a.awaitLine(l -> l.startsWith("RACED") || l.startsWith("EXISTS"), WAIT);
        final String lineB = b.awaitLine(l -> l.startsWith("RACED") || l.startsWith("EXISTS"), WAIT);
        assertEquals(1, (lineA.startsWith("RACED") ? 1 : 0) + (lineB.startsWith("RACED") ? 1 : 0), lineA + " / " + lineB);
        assertTrue((lineA + lineB).contains("already exists"));
        try (Region region = Region.open(file))
        {
            assertEquals(1, region.processes().size());
        }
    }

    @Test
    void aCreatorKilledDuringInitialisationLeavesOnlyItsPrivateFileWhichTheNextCreatorRemoves() throws Exception
    {
        final Path file = temp.newPath("killed-creator");
        final ChildJvm creator = child("slow-create", file.toString());
        creator.awaitLine("INITIALISING", WAIT);
        assertFalse(Files.exists(file), "nothing is published under the region's name before it is ready");

        // an opener meanwhile waits (bounded) for the creator instead of giving up or reading a half-written header
        final CompletableFuture<Throwable> opener = CompletableFuture.supplyAsync(() ->
        {
            try (Region region = Region.open(file))
            {
                return null;
            }
            catch (final Throwable ex)
            {
                return ex;
            }
        });
        Thread.sleep(200);
        assertFalse(opener.isDone(), "the opener waits while the creator lives");
        creator.kill();
        final Throwable refused = opener.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertInstanceOf(RegionException.class, refused);
        assertTrue(refused.getMessage().contains("does not exist") && refused.getMessage().contains("died during initialisation")
            && refused.getMessage().contains("pid " + creator.pid()), refused.getMessage());
        assertFalse(Files.exists(file));
        assertEquals(1, RegionFiles.temps(file).size(), "the dead creator's private file");

        try (Region region = Region.openOrCreate(file, RegionChild.config()))
        {
            region.attach();
            region.bindRoot("after", 5);
            assertEquals(5, region.root("after"));
        }
        assertEquals(List.of(), RegionFiles.temps(file), "the next creator removed the dead one's private file");
    }

    @Test
    void aRecovererKilledMidRecoveryLeavesTheSlotClaimable() throws Exception
    {
        final Path file = newRegion();
        final ChildJvm victim = child("attach", file.toString());
        final int deadSlot = slotOf(victim.awaitLine("ATTACHED", WAIT));
        victim.kill();

        final ChildJvm recoverer = child("slow-recover", file.toString());
        assertEquals("RECOVERING slot=" + deadSlot + " pid=" + victim.pid(), recoverer.awaitLine("RECOVERING", WAIT));
        try (Region parent = Region.open(file))
        {
            assertTrue(parent.recoverDeadSlots().isEmpty(), "a live recoverer's claim is respected");
            recoverer.kill();
            final ProcessSlotInfo info = parent.processes().get(0);
            assertEquals("RECOVERING", info.state());
            assertFalse(info.alive());
            final List<OwnerDeathReport> reports = parent.recoverDeadSlots();
            assertEquals(1, reports.size());
            assertEquals(victim.pid(), reports.get(0).dead().pid());
            assertTrue(reports.get(0).completed());
            assertTrue(parent.processes().isEmpty());
        }
    }

    @Test
    void rootsAreSharedAndALockLeftByADeadProcessIsTakenOver() throws Exception
    {
        final Path file = newRegion();
        // no watchdog: this test, not a background recovery, must be the one that meets the dead lock
        try (Region parent = Region.open(file, Duration.ZERO))
        {
            parent.attach();
            final ChildJvm child = child("attach", file.toString());
            final int childSlot = slotOf(child.awaitLine("ATTACHED", WAIT));
            child.send("bind shared 77");
            child.awaitLine("BOUND", WAIT);
            assertEquals(77, parent.root("shared"));
            parent.bindRoot("fromParent", 88);
            child.send("root fromParent");
            assertEquals("ROOT fromParent 88", child.awaitLine("ROOT", WAIT));

            // leave what a child killed in the middle of a bind leaves: the roots lock held by it
            // and a root slot with an odd version
            final long sequence = ProcessTableDescriptor.sequence(parent.slotStateWord(childSlot));
            child.kill();
            final var buffer = parent.buffer();
            buffer.putLongVolatile(RegionDescriptor.ROOTS_LOCK_OFFSET, Roots.lockWord(childSlot, sequence));
            final int base = (int)parent.section(SectionSpec.ROOTS).offset();
            int torn = -1;
            for (int i = 0; i < 8 && torn < 0; i++)
            {
                if (buffer.getLong(base + i * RootsDescriptor.SLOT_SIZE + RootsDescriptor.HANDLE_OFFSET) == 0)
                {
                    torn = base + i * RootsDescriptor.SLOT_SIZE;
                }
            }
            buffer.putLongVolatile(torn + RootsDescriptor.VERSION_OFFSET, buffer.getLong(torn) + 1);
            buffer.putLong(torn + RootsDescriptor.HANDLE_OFFSET, 99);

            parent.bindRoot("afterCrash", 5);
            assertEquals(5, parent.root("afterCrash"));
            assertEquals(0, buffer.getLongVolatile(RegionDescriptor.ROOTS_LOCK_OFFSET));
            assertEquals(0, buffer.getLongVolatile(torn + RootsDescriptor.VERSION_OFFSET) & 1, "the torn slot was repaired");
            assertEquals(77, parent.root("shared"));
        }
    }

    @Test
    void clockIsUniqueAcrossProcesses() throws Exception
    {
        final Path file = newRegion();
        final ChildJvm a = child("attach", file.toString());
        final ChildJvm b = child("attach", file.toString());
        a.awaitLine("ATTACHED", WAIT);
        b.awaitLine("ATTACHED", WAIT);
        a.send("tick 100000");
        b.send("tick 100000");
        final long lastA = Long.parseLong(a.awaitLine("TICKED", WAIT).split(" ")[1]);
        final long lastB = Long.parseLong(b.awaitLine("TICKED", WAIT).split(" ")[1]);
        assertEquals(200_000, Math.max(lastA, lastB), "no tick was lost between processes");
        try (Region region = Region.open(file))
        {
            assertEquals(200_000, region.currentTimestamp());
        }
    }
}
