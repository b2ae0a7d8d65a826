package io.shmtx.region;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.testkit.TempRegions;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ProcessTableTest
{
    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws IOException
    {
        temp.close();
    }

    private Path newRegion(final int slots)
    {
        final Path file = temp.newPath("table");
        Region.create(file, RegionConfig.builder().processSlots(slots).rootSlots(4)
            .watchdogInterval(Duration.ZERO).build()).close();
        return file;
    }

    @Test
    void maintenanceTasksRunEachHeartbeatWhileAttachedAndAFailingOneStopsNoOther() throws Exception
    {
        final Path file = temp.newPath("maintenance");
        Region.create(file, RegionConfig.builder().processSlots(2).heartbeatInterval(Duration.ofMillis(10))
            .watchdogInterval(Duration.ZERO).build()).close();
        try (Region region = Region.open(file))
        {
            final java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();
            final java.util.concurrent.atomic.AtomicInteger ticks = new java.util.concurrent.atomic.AtomicInteger();
            region.addMaintenanceTask(() ->
            {
                throw new IllegalStateException("a failing task");
            });
            final Runnable counting = runs::incrementAndGet;
            region.addMaintenanceTask(counting);
            region.addMaintenanceTask(ticks::incrementAndGet); // runs after counting in every tick
            assertEquals(0, runs.get(), "not attached: no region thread");
            region.attach();
            awaitTicks(ticks, 3);
            assertTrue(runs.get() >= 3, "runs: " + runs.get());
            assertNotNull(region.lastWatchdogError());
            assertEquals("a failing task", region.lastWatchdogError().getMessage());
            region.removeMaintenanceTask(counting);
            awaitTicks(ticks, ticks.get() + 2); // the second of them is from a tick begun after the removal
            final int after = runs.get();
            awaitTicks(ticks, ticks.get() + 3);
            assertEquals(after, runs.get(), "removed: no longer run");
        }
    }

    /** Waits (bounded, 60 s) until {@code ticks} reaches {@code target}. */
    private static void awaitTicks(final java.util.concurrent.atomic.AtomicInteger ticks, final int target) throws InterruptedException
    {
        final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (ticks.get() < target)
        {
            assertTrue(System.nanoTime() < deadline, "the region thread ran " + ticks.get() + " ticks, not " + target);
            Thread.sleep(2);
        }
    }

    @Test
    void attachClaimsAFreeSlotAndDetachFreesIt()
    {
        final Path file = newRegion(4);
        try (Region a = Region.open(file); Region b = Region.open(file))
        {
            final int slotA = a.attach();
            final int slotB = b.attach();
            assertNotEquals(slotA, slotB);
            assertTrue(a.isAlive(slotB));
            assertTrue(b.isAlive(slotA));
            final List<ProcessSlotInfo> processes = a.processes();
            assertEquals(2, processes.size());
            for (final ProcessSlotInfo info : processes)
            {
                assertEquals("ATTACHED", info.state());
                assertEquals(ProcessHandle.current().pid(), info.pid());
                assertTrue(info.alive());
                assertFalse(info.stalled());
            }
            assertFalse(a.inspect().cleanClose());
            b.detach();
            assertFalse(a.isAlive(slotB));
            assertEquals(1, a.processes().size());
            assertThrows(IllegalStateException.class, a::attach, "attaching twice is refused");
        }
        try (Region c = Region.open(file))
        {
            assertTrue(c.inspect().cleanClose(), "the last detach marks a clean close");
            assertEquals(0, c.processes().size());
        }
    }

    /**
     * A module whose detach hook fails must not keep the process attached: the other hooks run,
     * the slot is freed, the failure is reported, and close() completes.
     */
    @Test
    void aFailingDetachHookStillFreesTheSlotAndCloseCompletes()
    {
        final Path file = newRegion(4);
        try (Region watcher = Region.open(file))
        {
            final Region a = Region.open(file);
            final List<String> ran = new java.util.ArrayList<>();
            a.registerDetachHook(() -> ran.add("first registered"));
            a.registerDetachHook(() ->
            {
                throw new IllegalStateException("module X cannot give back handle 7");
            });
            a.registerDetachHook(() -> ran.add("last registered"));
            final int slot = a.attach();
            final RegionException ex = assertThrows(RegionException.class, a::close);
            assertTrue(ex.getMessage().contains("module X cannot give back handle 7") && ex.getMessage().contains(file.toString()),
                ex.getMessage());
            assertEquals(List.of("last registered", "first registered"), ran, "every hook ran, in reverse order");
            assertTrue(a.isClosed());
            assertEquals(-1, a.slot());
            assertFalse(watcher.isAlive(slot), "the slot's lock is dropped");
            assertEquals(0, watcher.processes().size(), "the slot is free");
            a.close(); // idempotent, quiet
            try (Region b = Region.open(file))
            {
                b.attach(); // the table has room again for a fresh attachment
                assertEquals(1, watcher.processes().size());
            }
        }
    }

    /** Two names of one file would mean two lock files, and each process would see the other dead. */
    @Test
    void aRegionWithAHardLinkIsRefusedByEitherName() throws IOException
    {
        final Path file = newRegion(4);
        final Path link = temp.newPath("hard-link");
        java.nio.file.Files.createLink(link, file);
        for (final Path name : List.of(file, link))
        {
            final RegionException ex = assertThrows(RegionException.class, () -> Region.open(name).close());
            assertTrue(ex.getMessage().contains("2 hard links") && ex.getMessage().contains(name.toString()), ex.getMessage());
        }
        java.nio.file.Files.delete(link);
        try (Region region = Region.open(file))
        {
            assertTrue(region.attach() >= 0, "one name again: opens");
        }
    }

    @Test
    void deleteRefusesAFileThatIsNotARegionAndDeletesRegions() throws IOException
    {
        final Path notRegion = temp.newPath("not-a-region");
        final byte[] bytes = new byte[100_000];
        new java.util.Random(7).nextBytes(bytes);
        java.nio.file.Files.write(notRegion, bytes);
        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> Region.delete(notRegion));
        assertTrue(ex.getMessage().contains(notRegion.toString()) && ex.getMessage().contains("not a shmtx region"), ex.getMessage());
        assertArrayEquals(bytes, java.nio.file.Files.readAllBytes(notRegion), "left as it was");

        final Path dir = temp.newPath("a-directory");
        java.nio.file.Files.createDirectory(dir);
        assertThrows(RegionFormatException.class, () -> Region.delete(dir));
        assertTrue(java.nio.file.Files.isDirectory(dir));
        java.nio.file.Files.delete(dir);

        final Path truncated = newRegion(4);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(truncated, java.nio.file.StandardOpenOption.WRITE))
        {
            ch.truncate(100);
        }
        assertTrue(Region.delete(truncated), "a truncated region is still a region");
        assertFalse(java.nio.file.Files.exists(truncated));

        final Path region = newRegion(4);
        assertTrue(Region.delete(region));
        assertFalse(java.nio.file.Files.exists(region));
        assertFalse(java.nio.file.Files.exists(Region.lockFilePath(region)));
        assertFalse(Region.delete(region), "already gone");
    }

    @Test
    void closingOneAttachmentKeepsTheOthersLockInTheSameJvm()
    {
        final Path file = newRegion(4);
        try (Region a = Region.open(file); Region b = Region.open(file); Region probe = Region.open(file))
        {
            a.attach();
            final int slotB = b.attach();
            a.close();
            assertTrue(probe.isAlive(slotB), "closing a must not drop b's slot lock");
            assertTrue(probe.recoverDeadSlots().isEmpty());
            assertEquals(1, probe.processes().size());
        }
    }

    @Test
    void fullTableNamesItsCapacity()
    {
        final Path file = newRegion(2);
        final List<Region> regions = new ArrayList<>();
        try
        {
            for (int i = 0; i < 2; i++)
            {
                final Region r = Region.open(file);
                regions.add(r);
                r.attach();
            }
            final Region extra = Region.open(file);
            regions.add(extra);
            final ProcessTableFullException ex = assertThrows(ProcessTableFullException.class, extra::attach);
            assertEquals(2, ex.capacity());
            assertTrue(ex.getMessage().contains("capacity=2") && ex.getMessage().contains(file.toString()));
            regions.get(0).detach();
            assertTrue(extra.attach() >= 0, "a freed slot can be claimed again");
        }
        finally
        {
            regions.forEach(Region::close);
        }
    }

    @Test
    void slotArgumentsAreRangeChecked()
    {
        final Path file = newRegion(2);
        try (Region region = Region.open(file))
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> region.isAlive(2));
            assertTrue(ex.getMessage().contains("slot=2"));
            assertThrows(IllegalArgumentException.class, () -> region.isAlive(-1));
            assertFalse(region.isAlive(0), "a free slot is not alive");
        }
    }

    @Test
    void recoveryStepsRunInOrderAndAFailingStepLeavesTheSlotClaimable()
    {
        final Path file = newRegion(4);
        try (Region survivor = Region.open(file))
        {
            // a slot marked ATTACHED whose lock nobody holds: what a killed process leaves
            final int deadSlot = 3;
            final int offset = (int)survivor.section(SectionSpec.PROCESS_TABLE).offset() + deadSlot * ProcessTableDescriptor.SLOT_SIZE;
            survivor.buffer().putLong(offset + ProcessTableDescriptor.PID_OFFSET, 424242);
            survivor.buffer().putLongVolatile(offset, ProcessTableDescriptor.stateWord(ProcessTableDescriptor.STATE_ATTACHED, 7));
            final List<String> calls = new ArrayList<>();
            final boolean[] fail = {true};
            survivor.registerRecoveryStep(step("second", 2, () ->
            {
                calls.add("second");
                if (fail[0])
                {
                    throw new IllegalStateException("boom");
                }
            }));
            survivor.registerRecoveryStep(step("first", 1, () -> calls.add("first")));
            final List<OwnerDeathReport> seen = new ArrayList<>();
            survivor.addOwnerDeathListener(seen::add);

            final List<OwnerDeathReport> failed = survivor.recoverDeadSlots();
            assertEquals(1, failed.size());
            assertFalse(failed.get(0).completed());
            assertEquals(424242, failed.get(0).dead().pid());
            assertEquals(List.of("first", "second"), calls);
            assertTrue(failed.get(0).stepResults().get(1).contains("FAILED"), failed.get(0).stepResults().toString());
            assertEquals("RECOVERING", survivor.processes().get(0).state());

            fail[0] = false;
            calls.clear();
            final List<OwnerDeathReport> done = survivor.recoverDeadSlots();
            assertEquals(1, done.size());
            assertTrue(done.get(0).completed());
            assertEquals(deadSlot, done.get(0).dead().slot());
            assertEquals(List.of("first", "second"), calls, "a retried recovery runs every step again");
            assertTrue(survivor.processes().isEmpty());
            assertEquals(2, seen.size(), "listeners hear of every attempt");
            assertTrue(survivor.recoverDeadSlots().isEmpty(), "a freed slot is not recovered twice");
        }
    }

    /** A table full of dead slots this process cannot recover says so, not "all owned by live processes". */
    @Test
    void aTableFullOfDeadSlotsThisProcessCannotRecoverSaysWhy()
    {
        final Path file = temp.newPath("full-of-dead");
        Region.create(file, RegionConfig.builder().processSlots(2).watchdogInterval(Duration.ZERO)
            .section(new SectionSpec(SectionSpec.FIRST_USER_ID, 100, true)).build()).close();
        for (int i = 0; i < 2; i++)
        {
            final Region killed = Region.open(file, Duration.ZERO);
            killed.attach();
            killed.abandon();
        }
        try (Region late = Region.open(file, Duration.ZERO))
        {
            final ProcessTableFullException ex = assertThrows(ProcessTableFullException.class, late::attach);
            assertTrue(ex.getMessage().contains("2 of them held by dead processes") && ex.getMessage().contains("section-16"),
                ex.getMessage());
        }
    }

    /**
     * A newcomer on a table full of dead slots recovers one in the name of its claim (it is not
     * attached yet: the step sees no slot of its own, and a recovery token every process sees
     * held), takes it, then recovers the others. The dead attachments' tokens are gone from the
     * claim on, and the recovery's token once the slot is taken.
     */
    @Test
    void aNewcomerOnATableFullOfDeadSlotsRecoversOneInItsClaimsNameAndTakesIt()
    {
        final Path file = temp.newPath("takeover");
        Region.create(file, RegionConfig.builder().processSlots(2).watchdogInterval(Duration.ZERO)
            .section(new SectionSpec(SectionSpec.FIRST_USER_ID, 100, true)).build()).close();
        final List<Long> deadTokens = new ArrayList<>();
        for (int i = 0; i < 2; i++)
        {
            final Region killed = Region.open(file, Duration.ZERO);
            killed.attach();
            deadTokens.add(killed.ownerToken());
            killed.abandon();
        }
        try (Region watcher = Region.open(file, Duration.ZERO); Region late = Region.open(file, Duration.ZERO))
        {
            final List<String> seen = new ArrayList<>();
            final List<Long> recoveryTokens = new ArrayList<>();
            late.registerRecoveryStep(userStep((region, dead) ->
            {
                final long token = region.recoveryToken(dead.slot());
                recoveryTokens.add(token);
                seen.add("slot " + dead.slot() + " by slot " + region.slot() + ", held " + !watcher.isOwnerGone(token)
                    + ", dead gone " + watcher.isOwnerGone(deadTokens.get(dead.slot())));
                assertThrows(IllegalStateException.class, () -> region.recoveryToken(1 - dead.slot()),
                    "a slot this process is not recovering has no recovery token");
                return "done";
            }));
            final int slot = late.attach();
            assertEquals(0, slot, "the first dead slot, recovered and taken");
            assertEquals(List.of("slot 0 by slot -1, held true, dead gone true", "slot 1 by slot 0, held true, dead gone true"), seen);
            assertEquals(1, late.processes().size());
            assertEquals("ATTACHED", late.processes().get(0).state());
            assertEquals(ProcessHandle.current().pid(), late.processes().get(0).pid());
            for (final long token : recoveryTokens)
            {
                assertTrue(watcher.isOwnerGone(token), "a finished recovery's token is gone");
            }
            assertFalse(watcher.isOwnerGone(late.ownerToken()));
            assertNotEquals(recoveryTokens.get(0), late.ownerToken(), "the attachment has a name of its own");
        }
    }

    /** A full table with a slot a live recoverer is working on: attach waits for it instead of failing. */
    @Test
    void attachWaitsForARecoveryUnderWayOnAFullTable() throws Exception
    {
        final Path file = temp.newPath("wait-for-recovery");
        Region.create(file, RegionConfig.builder().processSlots(1).watchdogInterval(Duration.ZERO).build()).close();
        final Region killed = Region.open(file, Duration.ZERO);
        killed.attach();
        killed.abandon();
        final java.util.concurrent.CountDownLatch inStep = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.CountDownLatch finish = new java.util.concurrent.CountDownLatch(1);
        try (Region recoverer = Region.open(file, Duration.ZERO); Region late = Region.open(file, Duration.ZERO))
        {
            recoverer.registerRecoveryStep(step("slow", 1, () ->
            {
                inStep.countDown();
                try
                {
                    finish.await();
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }));
            final ExecutorService threads = Executors.newFixedThreadPool(2);
            try
            {
                final Future<List<OwnerDeathReport>> recovery = threads.submit(recoverer::recoverDeadSlots);
                assertTrue(inStep.await(10, java.util.concurrent.TimeUnit.SECONDS));
                final Future<Integer> attached = threads.submit(late::attach);
                Thread.sleep(50); // let it find the table full with the slot under recovery
                finish.countDown();
                assertEquals(0, attached.get(30, java.util.concurrent.TimeUnit.SECONDS));
                assertTrue(recovery.get(30, java.util.concurrent.TimeUnit.SECONDS).get(0).completed());
            }
            finally
            {
                threads.shutdownNow();
            }
        }
    }

    @Test
    void deadSlotWaitsForAProcessWithTheNeededStep()
    {
        final Path file = temp.newPath("needs");
        Region.create(file, RegionConfig.builder().processSlots(2).watchdogInterval(Duration.ZERO)
            .section(new SectionSpec(SectionSpec.FIRST_USER_ID, 100, true)).build()).close();
        try (Region survivor = Region.open(file))
        {
            final int offset = (int)survivor.section(SectionSpec.PROCESS_TABLE).offset();
            survivor.buffer().putLongVolatile(offset, ProcessTableDescriptor.stateWord(ProcessTableDescriptor.STATE_ATTACHED, 1));
            final List<OwnerDeathReport> deferred = survivor.recoverDeadSlots();
            assertEquals(1, deferred.size());
            assertFalse(deferred.get(0).completed());
            assertTrue(deferred.get(0).stepResults().get(0).contains("section-16"), deferred.toString());
            assertEquals("ATTACHED", survivor.processes().get(0).state(), "the dead slot is left for a capable process");
            assertTrue(survivor.recoverDeadSlots().isEmpty(), "a deferral is reported once");

            survivor.registerRecoveryStep(userStep((region, dead) -> "done"));
            assertTrue(survivor.recoverDeadSlots().get(0).completed());
        }
    }

    @Test
    void clockIsUniqueAndIncreasingAcrossThreads() throws Exception
    {
        final Path file = newRegion(2);
        try (Region region = Region.open(file))
        {
            final Set<Long> seen = ConcurrentHashMap.newKeySet();
            final ExecutorService pool = Executors.newFixedThreadPool(4);
            try
            {
                final List<Future<Boolean>> results = new ArrayList<>();
                for (int t = 0; t < 4; t++)
                {
                    results.add(pool.submit(() ->
                    {
                        long last = 0;
                        for (int i = 0; i < 20_000; i++)
                        {
                            final long now = region.nextTimestamp();
                            if (now <= last || !seen.add(now))
                            {
                                return false;
                            }
                            last = now;
                        }
                        return true;
                    }));
                }
                for (final Future<Boolean> result : results)
                {
                    assertTrue(result.get());
                }
            }
            finally
            {
                pool.shutdownNow();
            }
            assertEquals(80_000, seen.size());
            assertEquals(80_000, region.currentTimestamp());
        }
    }

    private static RecoveryStep step(final String name, final int order, final Runnable body)
    {
        return new RecoveryStep()
        {
            public String name()
            {
                return name;
            }

            public int order()
            {
                return order;
            }

            public String recover(final Region region, final DeadProcess dead)
            {
                body.run();
                return "ok";
            }
        };
    }

    /** A step recovering the user section {@link SectionSpec#FIRST_USER_ID}. */
    private static RecoveryStep userStep(final java.util.function.BiFunction<Region, DeadProcess, String> body)
    {
        return Steps.step("user", SectionSpec.FIRST_USER_ID, body);
    }

    static Set<Integer> slotsOf(final List<ProcessSlotInfo> infos)
    {
        final Set<Integer> slots = new HashSet<>();
        infos.forEach(i -> slots.add(i.slot()));
        return slots;
    }
}
