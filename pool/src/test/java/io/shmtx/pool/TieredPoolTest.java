package io.shmtx.pool;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

class TieredPoolTest
{
    private static PoolConfig small()
    {
        return PoolConfig.builder().tier(32, 200).tier(64, 200).tier(256, 10).cacheSize(8).build();
    }

    @Test
    void allocatePicksTheSmallestTierThatFitsAndFreesRestoreCapacity() throws Exception
    {
        try (PoolFixture f = new PoolFixture(small()))
        {
            final TieredPool pool = f.pool;
            assertEquals(0, Handles.tier(pool.allocate(1)));
            assertEquals(0, Handles.tier(pool.allocate(32)));
            assertEquals(1, Handles.tier(pool.allocate(33)));
            assertEquals(2, Handles.tier(pool.allocate(256)));
            final IllegalArgumentException big = assertThrows(IllegalArgumentException.class, () -> pool.allocate(257));
            assertTrue(big.getMessage().contains("size=257"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> pool.allocate(0)).getMessage().contains("size=0"));
            assertThrows(IllegalArgumentException.class, () -> pool.allocate(-5));
        }
    }

    @Test
    void blocksDoNotOverlapAndHoldTheirData() throws Exception
    {
        try (PoolFixture f = new PoolFixture(small()))
        {
            final TieredPool pool = f.pool;
            final List<Long> handles = new ArrayList<>();
            for (int i = 0; i < 150; i++)
            {
                final long h = pool.allocate(24);
                pool.putLong(h, 0, i);
                pool.putLong(h, 24, -i);
                handles.add(h);
            }
            final Set<Integer> offsets = new HashSet<>();
            for (int i = 0; i < handles.size(); i++)
            {
                final long h = handles.get(i);
                assertEquals(i, pool.getLong(h, 0));
                assertEquals(-i, pool.getLong(h, 24));
                assertTrue(offsets.add(pool.payloadOffset(h)));
            }
            assertThrows(IndexOutOfBoundsException.class, () -> pool.putLong(handles.get(0), 25, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> pool.getLong(handles.get(0), -1));
            handles.forEach(pool::free);
            final TierStats tier0 = pool.stats().tiers().get(0);
            assertEquals(0, tier0.inUse());
            assertEquals(150, tier0.allocations());
            assertEquals(150, tier0.frees());
            assertTrue(pool.validate().valid(), pool.validate().problems().toString());
        }
    }

    @Test
    void badFreesAreRejectedAndChangeNothing() throws Exception
    {
        try (PoolFixture f = new PoolFixture(small()))
        {
            final TieredPool pool = f.pool;
            final long h = pool.allocate(10);
            pool.free(h);
            assertInstanceOf(DoubleFreeException.class, assertThrows(HandleException.class, () -> pool.free(h)));
            final long again = pool.allocate(10);
            assertEquals(Handles.index(h), Handles.index(again), "the cache hands the same block back");
            final StaleHandleException stale = assertThrows(StaleHandleException.class, () -> pool.free(h));
            assertTrue(stale.getMessage().contains(f.file.toString()));
            assertEquals(h, stale.handle());
            assertThrows(InvalidHandleException.class, () -> pool.free(0));
            assertThrows(InvalidHandleException.class, () -> pool.free(Handles.handle(7, 0, 0)));
            assertThrows(InvalidHandleException.class, () -> pool.free(Handles.handle(0, 0, 200)));
            assertThrows(InvalidHandleException.class, () -> pool.free(-1));
            assertThrows(StaleHandleException.class, () -> pool.getLong(h, 0));
            pool.putLong(again, 0, 5);
            assertEquals(5, pool.getLong(again, 0), "the rejected frees left the live block alone");
            pool.free(again);
            assertTrue(pool.validate().valid());
        }
    }

    @Test
    void theSignBitMakesAHandleInvalidNotAnAliasOfTheHandle() throws Exception
    {
        try (PoolFixture f = new PoolFixture(small()))
        {
            final TieredPool pool = f.pool;
            final long h = pool.allocate(10);
            final long signed = h | Long.MIN_VALUE;
            final InvalidHandleException ex = assertThrows(InvalidHandleException.class, () -> pool.free(signed));
            assertEquals(signed, ex.handle());
            assertTrue(ex.getMessage().contains("bit 63") && ex.getMessage().contains(f.file.toString()), ex.getMessage());
            assertTrue(pool.isLive(h), "the refused free left the block allocated");
            pool.free(h);
            assertInstanceOf(DoubleFreeException.class, assertThrows(HandleException.class, () -> pool.free(h)),
                "freed once, by its own handle");
            assertEquals(0, pool.stats().tiers().get(0).inUse());
            assertTrue(pool.validate().valid(), pool.validate().problems().toString());
        }
    }

    /**
     * A free of a block this process allocated takes one blind CAS; other blocks (freed by another
     * thread, allocated by another process slot, published) take the checked path (the reserve's
     * is in {@link #emergencyReserveServesOnlyCriticalRequests}). Both must end the same: block
     * reusable, counters exact, a second free refused.
     */
    @Test
    void blocksFreedAwayFromWhereTheyWereAllocatedAreTakenBackExactly() throws Exception
    {
        try (PoolFixture f = new PoolFixture(small());
            io.shmtx.region.Region other = io.shmtx.region.Region.open(f.file);
            TieredPool otherPool = TieredPool.open(other))
        {
            other.attach();
            final TieredPool pool = f.pool;
            final long mine = pool.allocate(8);
            final long fromOtherSlot = otherPool.allocate(8);
            assertEquals(other.slot(), pool.ownerSlot(fromOtherSlot));
            final long published = pool.allocate(8);
            pool.publish(published);
            final long freedElsewhere = pool.allocate(8);
            final long freedHereFromOther = otherPool.allocate(8);

            final Thread thread = new Thread(() -> pool.free(freedElsewhere));
            thread.start();
            thread.join();
            pool.free(fromOtherSlot);
            pool.free(published);
            pool.free(mine);
            otherPool.free(freedHereFromOther);

            for (final long h : new long[] {mine, fromOtherSlot, published, freedElsewhere, freedHereFromOther})
            {
                assertInstanceOf(DoubleFreeException.class, assertThrows(HandleException.class, () -> pool.free(h)),
                    Handles.toString(h));
                assertInstanceOf(DoubleFreeException.class, assertThrows(HandleException.class, () -> otherPool.free(h)),
                    Handles.toString(h));
            }
            final TierStats tier0 = pool.stats().tiers().get(0);
            assertEquals(0, tier0.inUse());
            assertEquals(5, tier0.allocations());
            assertEquals(5, tier0.frees());
            assertTrue(pool.validate().valid(), pool.validate().problems().toString());
            final long again = pool.allocate(8);
            assertEquals(Handles.index(mine), Handles.index(again), "the last block freed here is handed out first");
            pool.free(again);
        }
    }

    @Test
    void aClosedPoolRefusesEveryCallBeforeTouchingTheRegion() throws Exception
    {
        try (PoolFixture f = new PoolFixture(small()))
        {
            final long h = f.pool.allocate(8);
            f.region.close(); // closes the pool, then unmaps: the hot paths must not reach the memory
            final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> f.pool.allocate(8));
            assertTrue(ex.getMessage().contains(f.file.toString()), ex.getMessage());
            assertThrows(IllegalStateException.class, () -> f.pool.tryAllocate(8));
            assertThrows(IllegalStateException.class, () -> f.pool.free(h));
            // every other call names the closed region too (not a bare bounds error of a dead buffer)
            final List<org.junit.jupiter.api.function.Executable> calls = List.of(() -> f.pool.isLive(h), () -> f.pool.getLong(h, 0),
                () -> f.pool.putLong(h, 0, 1), () -> f.pool.payload(h), () -> f.pool.ownerSlot(h), () -> f.pool.publish(h),
                f.pool::stats, () -> f.pool.leakReport(0), f.pool::patternsReport, f.pool::status, f.pool::validate, f.pool::buffer);
            for (final org.junit.jupiter.api.function.Executable call : calls)
            {
                final IllegalStateException closed = assertThrows(IllegalStateException.class, call);
                assertTrue(closed.getMessage().contains(f.file.toString()) && closed.getMessage().contains("closed"), closed.getMessage());
            }
        }
        try (PoolFixture f = new PoolFixture(small()))
        {
            final long h = f.pool.allocate(8);
            f.pool.free(f.pool.allocate(8)); // this thread's cache is warm and memoised
            f.region.abandon(); // as if killed: no detach, but the mapping goes away all the same
            assertThrows(IllegalStateException.class, () -> f.pool.allocate(8));
            assertThrows(IllegalStateException.class, () -> f.pool.free(h));
        }
    }

    /**
     * A payload view kept past the region's close, and a thread still allocating while another
     * closes the region: misuse, but never a JVM crash (the mapping outlives close until nothing
     * refers to it), and close always completes.
     */
    @Test
    void useAcrossCloseNeverCrashesTheJvm() throws Exception
    {
        try (PoolFixture f = new PoolFixture(small()))
        {
            final long h = f.pool.allocate(16);
            final org.agrona.concurrent.AtomicBuffer view = f.pool.payload(h);
            view.putLong(0, 42);
            f.region.close();
            assertEquals(42, view.getLong(0), "still mapped memory, not a SIGSEGV");
        }
        for (int round = 0; round < 20; round++)
        {
            try (PoolFixture f = new PoolFixture(small()))
            {
                final java.util.concurrent.atomic.AtomicReference<Throwable> ended = new java.util.concurrent.atomic.AtomicReference<>();
                final java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
                final Thread user = new Thread(() ->
                {
                    try
                    {
                        for (long i = 0; ; i++)
                        {
                            f.pool.free(f.pool.allocate(8 + (int)(i % 200)));
                            if (i == 1000)
                            {
                                running.countDown();
                            }
                        }
                    }
                    catch (final Throwable ex)
                    {
                        running.countDown();
                        ended.set(ex);
                    }
                });
                user.start();
                assertTrue(running.await(30, java.util.concurrent.TimeUnit.SECONDS));
                Thread.sleep(round % 3);
                f.region.close();
                assertTrue(f.region.isClosed(), "close completed");
                user.join(30_000);
                assertFalse(user.isAlive());
                // refused once closed; an operation caught half-way may meet the dead buffer's bounds check instead
                final Throwable ex = ended.get();
                assertTrue(ex instanceof IllegalStateException || ex instanceof IndexOutOfBoundsException, String.valueOf(ex));
            }
        }
    }

    @Test
    void aNullPriorityIsRefused() throws Exception
    {
        try (PoolFixture f = new PoolFixture(small()))
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> f.pool.allocate(8, null));
            assertTrue(ex.getMessage().contains("priority=null"), ex.getMessage());
            assertThrows(IllegalArgumentException.class, () -> f.pool.tryAllocate(8, null));
            assertEquals(0, f.pool.stats().tiers().get(0).allocations(), "nothing taken");
        }
    }

    @Test
    void handlesAreBuiltOnlyFromPartsThatFit()
    {
        final long h = Handles.handle(126, 0xFF_FFFF, Integer.MAX_VALUE);
        assertEquals(126, Handles.tier(h));
        assertEquals(0xFF_FFFF, Handles.generation(h));
        assertEquals(Integer.MAX_VALUE, Handles.index(h));
        assertTrue(h > 0);
        for (final int[] bad : new int[][] {{127, 0, 0}, {200, 0, 0}, {-1, 0, 0}, {0, 1 << 24, 0}, {0, -1, 0}, {0, 0, -1}})
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> Handles.handle(bad[0], bad[1], bad[2]));
            assertTrue(ex.getMessage().contains("tier=" + bad[0]), ex.getMessage());
        }
    }

    /** A pool header value no configuration allows (a buggy writer) is reported as corruption naming the file. */
    @Test
    void anImpossibleConfigurationValueInThePoolHeaderIsCorruption() throws Exception
    {
        for (final int offset : new int[] {PoolDescriptor.LOW_PERCENT_OFFSET, PoolDescriptor.CRITICAL_PERCENT_OFFSET,
            PoolDescriptor.CACHE_SIZE_OFFSET, PoolDescriptor.CELLS_PER_SLOT_OFFSET})
        {
            try (io.shmtx.testkit.TempRegions temp = new io.shmtx.testkit.TempRegions())
            {
                final java.nio.file.Path file = temp.newPath("bad-config");
                io.shmtx.region.Region.create(file, PoolFixture.regionConfig(small())).close();
                try (io.shmtx.region.Region region = io.shmtx.region.Region.open(file))
                {
                    final int base = (int)region.section(io.shmtx.region.SectionSpec.POOL).offset();
                    region.buffer().putInt(base + offset, 0x43f0_0000);
                    final PoolCorruptException ex = assertThrows(PoolCorruptException.class, () -> TieredPool.open(region));
                    assertTrue(ex.getMessage().contains(file.toString()) && ex.getMessage().contains("pool."), ex.getMessage());
                }
            }
        }
    }

    /**
     * The pool section's slot count must be the region's: refused when impossible, refused by the
     * region configuration when it differs, and explained by open when a section made without its
     * settings (by hand) differs.
     */
    @Test
    void sectionSlotCountIsCheckedAndAMismatchIsExplained() throws Exception
    {
        for (final int bad : new int[] {0, -1, 4097})
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> TieredPool.section(small(), bad));
            assertTrue(ex.getMessage().contains("processSlots=" + bad), ex.getMessage());
        }
        final io.shmtx.region.SectionSpec forFour = TieredPool.section(small(), 4);
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
            () -> io.shmtx.region.RegionConfig.builder().processSlots(8).section(forFour).build());
        assertTrue(refused.getMessage().contains("section pool is laid out for 4 process slots but processSlots=8"),
            refused.getMessage());
        try (io.shmtx.testkit.TempRegions temp = new io.shmtx.testkit.TempRegions())
        {
            final java.nio.file.Path file = temp.newPath("slots");
            io.shmtx.region.Region.create(file, io.shmtx.region.RegionConfig.builder().processSlots(8)
                .section(new io.shmtx.region.SectionSpec(forFour.id(), forFour.length(), true, forFour.formatter())).build()).close();
            try (io.shmtx.region.Region region = io.shmtx.region.Region.open(file))
            {
                final PoolCorruptException ex = assertThrows(PoolCorruptException.class, () -> TieredPool.open(region));
                assertTrue(ex.getMessage().contains("TieredPool.section(config, 4)") && ex.getMessage().contains(file.toString()),
                    ex.getMessage());
            }
        }
    }

    /**
     * Another process truncates the region file under the mapping: operations fail (the JVM turns
     * the fault into an exception, delivered wherever it likes) and close() still completes, in a
     * child JVM so the late delivery cannot reach this test.
     */
    @Test
    void aFileTruncatedUnderTheMappingNeverKeepsCloseFromCompleting() throws Exception
    {
        try (io.shmtx.testkit.TempRegions temp = new io.shmtx.testkit.TempRegions())
        {
            final java.nio.file.Path file = temp.newPath("truncated");
            io.shmtx.region.Region.create(file, PoolFixture.regionConfig(small())).close();
            try (io.shmtx.testkit.ChildJvm child = io.shmtx.testkit.ChildJvm.start(TruncatingChild.class, file.toString()))
            {
                final int exit = child.waitForExit(java.time.Duration.ofSeconds(60));
                assertEquals(0, exit, "no JVM crash and close completed: " + child.transcript());
                assertTrue(child.transcript().contains("CLOSED true"), child.transcript().toString());
            }
        }
    }

    /** validate() names each kind of damage a buggy writer can leave, and never hangs on it. */
    @Test
    void validateReportsCorruptionWithoutHanging() throws Exception
    {
        // a cycle in a free list: the top block links back to itself
        try (PoolFixture f = new PoolFixture(small()))
        {
            final int top = PoolDescriptor.headIndex(f.pool.buffer().getLongVolatile(f.pool.tierHeader(0) + PoolDescriptor.MAIN_HEAD_OFFSET));
            f.pool.buffer().putLong(f.pool.blockHeader(0, top) + PoolDescriptor.BLOCK_AUX_OFFSET, top + 1);
            final ValidationReport report = f.pool.validate();
            assertFalse(report.valid());
            assertTrue(report.problems().toString().contains("cycle"), report.problems().toString());
        }
        // a listed block marked allocated
        try (PoolFixture f = new PoolFixture(small()))
        {
            final int top = PoolDescriptor.headIndex(f.pool.buffer().getLongVolatile(f.pool.tierHeader(1) + PoolDescriptor.MAIN_HEAD_OFFSET));
            f.pool.buffer().putLongVolatile(f.pool.blockHeader(1, top), PoolDescriptor.stateWord(PoolDescriptor.ALLOCATED, 0, 0, false));
            final ValidationReport report = f.pool.validate();
            assertTrue(report.problems().toString().contains("block " + top + ": both in a free list and allocated"),
                report.problems().toString());
        }
        // a counter that disagrees with the lists (no operation in flight)
        try (PoolFixture f = new PoolFixture(small()))
        {
            f.pool.free(f.pool.allocate(8));
            f.pool.buffer().getAndAddLong(f.pool.tierHeader(0) + PoolDescriptor.OUTSTANDING_OFFSET, 3);
            final ValidationReport report = f.pool.validate();
            assertTrue(report.problems().toString().contains("tier 0: outstanding counter is"), report.problems().toString());
        }
        // a head whose index field reads negative (0xFFFFFFFF - 1): corrupt, not an empty list
        try (PoolFixture f = new PoolFixture(small()))
        {
            final int head = f.pool.tierHeader(0) + PoolDescriptor.MAIN_HEAD_OFFSET;
            final long h = f.pool.buffer().getLongVolatile(head);
            f.pool.buffer().putLongVolatile(head, (h & ~0xFFFF_FFFFL) | 0xFFFF_FFFFL);
            final PoolCorruptException ex = assertThrows(PoolCorruptException.class, () -> f.pool.tryAllocate(8));
            assertTrue(ex.getMessage().contains(f.file.toString()), ex.getMessage());
            final ValidationReport report = f.pool.validate();
            assertTrue(report.problems().toString().contains("tier 0 main free list: index -2 is out of range"), report.problems().toString());
        }
        // a recovery-lock bit on a head with nobody holding the tier's lock: named by validate, and an
        // allocation clears it instead of waiting 10 s for a holder that does not exist
        try (PoolFixture f = new PoolFixture(small()))
        {
            final int head = f.pool.tierHeader(0) + PoolDescriptor.MAIN_HEAD_OFFSET;
            f.pool.buffer().putLongVolatile(head, f.pool.buffer().getLongVolatile(head) | PoolDescriptor.HEAD_LOCKED);
            final ValidationReport report = f.pool.validate();
            assertTrue(report.problems().toString().contains("tier 0 main free list: head is marked locked"), report.problems().toString());
            assertFalse(PoolDescriptor.isLocked(f.pool.buffer().getLongVolatile(head)), "validate cleared it");
            f.pool.buffer().putLongVolatile(head, f.pool.buffer().getLongVolatile(head) | PoolDescriptor.HEAD_LOCKED);
            final long handle = assertTimeoutPreemptively(java.time.Duration.ofSeconds(5), () -> f.pool.allocate(8));
            assertTrue(f.pool.isLive(handle));
            assertTrue(f.pool.validate().valid(), f.pool.validate().problems().toString());
        }
    }

    @Test
    void exhaustionFallsBackUnlessStrictAndNamesTheTier() throws Exception
    {
        try (PoolFixture f = new PoolFixture(PoolConfig.builder().tier(32, 4).tier(64, 4).build()))
        {
            for (int i = 0; i < 8; i++)
            {
                f.pool.allocate(8);
            }
            final PoolExhaustedException ex = assertThrows(PoolExhaustedException.class, () -> f.pool.allocate(8));
            assertEquals(0, ex.tier());
            assertTrue(ex.getMessage().contains("tier=0"), ex.getMessage());
            assertEquals(0, f.pool.tryAllocate(8));
            final TierStats t0 = f.pool.stats().tiers().get(0);
            assertEquals(4, t0.fallbacks());
            assertEquals(2, t0.failures());
            assertEquals(StrategyStatus.EXHAUSTED, f.pool.status());
        }
        try (PoolFixture f = new PoolFixture(PoolConfig.builder().tier(32, 4).tier(64, 4).strict(true).build()))
        {
            for (int i = 0; i < 4; i++)
            {
                f.pool.allocate(8);
            }
            final PoolExhaustedException ex = assertThrows(PoolExhaustedException.class, () -> f.pool.allocate(8));
            assertTrue(ex.getMessage().contains("strict"), ex.getMessage());
            assertEquals(1, Handles.tier(f.pool.allocate(40)), "the larger tier is untouched");
        }
    }

    @Test
    void emergencyReserveServesOnlyCriticalRequests() throws Exception
    {
        try (PoolFixture f = new PoolFixture(PoolConfig.builder().tier(32, 6).emergencyReserve(2).strict(true).build()))
        {
            final List<Long> normal = new ArrayList<>();
            for (int i = 0; i < 4; i++)
            {
                normal.add(f.pool.allocate(8));
            }
            assertEquals(0, f.pool.tryAllocate(8, Priority.NORMAL));
            final long c1 = f.pool.allocate(8, Priority.CRITICAL);
            final long c2 = f.pool.allocate(8, Priority.CRITICAL);
            assertEquals(0, f.pool.tryAllocate(8, Priority.CRITICAL));
            f.pool.free(c1);
            assertEquals(0, f.pool.tryAllocate(8, Priority.NORMAL), "a freed reserve block returns to the reserve");
            assertNotEquals(0, f.pool.tryAllocate(8, Priority.CRITICAL));
            f.pool.free(normal.get(0));
            assertNotEquals(0, f.pool.tryAllocate(8, Priority.NORMAL));
            assertTrue(f.pool.validate().valid(), f.pool.validate().problems().toString());
            assertNotEquals(0, c2);
        }
    }

    @Test
    void thresholdListenersHearEachCrossingOnce() throws Exception
    {
        try (PoolFixture f = new PoolFixture(PoolConfig.builder().tier(32, 10).thresholds(50, 80).cacheSize(0).build()))
        {
            final List<String> events = new ArrayList<>();
            f.pool.addThresholdListener((tier, size, previous, current, percent) -> events.add(previous + "->" + current + "@" + percent));
            final List<Long> held = new ArrayList<>();
            for (int i = 0; i < 9; i++)
            {
                held.add(f.pool.allocate(8));
            }
            assertEquals(List.of("NORMAL->LOW@50", "LOW->CRITICAL@80"), events);
            for (final long h : held)
            {
                f.pool.free(h);
            }
            assertEquals(List.of("NORMAL->LOW@50", "LOW->CRITICAL@80", "CRITICAL->LOW@70", "LOW->NORMAL@40"), events);
        }
    }

    @Test
    void statsPatternsAndLeaks() throws Exception
    {
        try (PoolFixture f = new PoolFixture(small()))
        {
            final long a = f.pool.allocate(20);
            f.pool.allocate(60);
            f.pool.free(f.pool.allocate(200));
            final TierStats t0 = f.pool.stats().tiers().get(0);
            assertEquals(1, t0.inUse());
            assertEquals(20, t0.bytesRequested());
            assertEquals(32, t0.bytesGranted());
            assertEquals(1.0 - 20.0 / 32, t0.fragmentation(), 1e-9);
            assertEquals(1, f.pool.stats().histogram()[5]); // 20 bytes: (16, 32]
            assertTrue(f.pool.patternsReport().contains("tier  0"), f.pool.patternsReport());
            final List<LeakEntry> leaks = f.pool.leakReport(0);
            assertEquals(2, leaks.size());
            assertTrue(leaks.stream().anyMatch(l -> l.handle() == a && l.ownerSlot() == f.region.slot()
                && l.ownerPid() == ProcessHandle.current().pid()));
            assertTrue(f.pool.leakReport(3_600_000).isEmpty());
        }
    }

    @Test
    void publishedBlocksHaveNoOwnerAndPooledBlocksFreeThemselves() throws Exception
    {
        try (PoolFixture f = new PoolFixture(small()))
        {
            final long h = f.pool.allocate(8);
            assertEquals(f.region.slot(), f.pool.ownerSlot(h));
            f.pool.publish(h);
            assertEquals(-1, f.pool.ownerSlot(h));
            final long handle;
            try (PooledBlock block = f.pool.allocateBlock(100))
            {
                handle = block.handle();
                block.putLong(8, 99);
                assertEquals(99, block.getLong(8));
                assertEquals(256, block.size());
            }
            assertThrows(StaleHandleException.class, () -> f.pool.getLong(handle, 0));
        }
    }

    @Test
    void strategyValidatorJudgesRequests() throws Exception
    {
        try (PoolFixture f = new PoolFixture(small()))
        {
            final MemoryStrategy strategy = f.pool;
            assertTrue(StrategyValidator.validateAllocation(strategy, 10).ok());
            assertFalse(StrategyValidator.validateAllocation(strategy, 0).ok());
            final long h = strategy.allocate(10);
            assertTrue(StrategyValidator.validateDeallocation(strategy, h).ok());
            strategy.deallocate(h);
            final StrategyValidator.Verdict verdict = StrategyValidator.validateDeallocation(strategy, h);
            assertFalse(verdict.ok());
            assertTrue(verdict.message().contains("freed"), verdict.message());
            assertTrue(StrategyValidator.validate(strategy).ok());
            assertEquals(StrategyStatus.HEALTHY, strategy.status());
        }
    }


}
