package io.shmtx.refcount;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.pool.InvalidHandleException;
import io.shmtx.pool.StaleHandleException;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RefCountsTest
{
    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws Exception
    {
        temp.close();
    }

    private Path region(final RefCountConfig config)
    {
        final Path file = temp.newPath("refs");
        RefFixture.create(file, config);
        return file;
    }

    @Test
    void lastReleaseFreesTheBlockExactlyOnce() throws Exception
    {
        final Path file = region(RefCountConfig.defaults());
        try (RefFixture a = new RefFixture(file); RefFixture b = new RefFixture(file))
        {
            final List<Long> zeroed = new ArrayList<>();
            a.refs.onZero(zeroed::add);
            b.refs.onZero(zeroed::add);
            final long h = a.refs.allocate(40);
            assertEquals(1, a.refs.count(h));
            assertEquals(-1, a.pool.ownerSlot(h), "a shared block is published");
            b.refs.retain(h);
            b.refs.retain(h);
            assertEquals(3, a.refs.count(h));
            assertEquals(2, b.refs.held(h));
            assertEquals(1, a.refs.held(h));
            assertFalse(a.refs.release(h));
            assertFalse(b.refs.release(h));
            assertTrue(a.pool.isLive(h));
            assertTrue(b.refs.release(h), "the last release reports the zero");
            assertFalse(a.pool.isLive(h), "freed to the pool");
            assertEquals(List.of(h), zeroed, "one callback, in the process that brought it to zero");
            assertEquals(0, a.refs.count(h));
            assertThrows(StaleHandleException.class, () -> a.refs.retain(h));
            assertThrows(StaleHandleException.class, () -> b.refs.release(h));
        }
    }

    /** close() gives back every entry, although each release that empties one shifts others back. */
    @Test
    void closeReleasesEveryLedgerEntryAndFreesWithoutWaitingForTheGrace() throws Exception
    {
        final Path file = region(RefCountConfig.builder().ledgerCapacity(16).gracePeriod(Duration.ofMinutes(10)).build());
        try (RefFixture b = new RefFixture(file))
        {
            final List<Long> handles = new ArrayList<>();
            final long onlyA;
            try (RefFixture a = new RefFixture(file))
            {
                for (int i = 0; i < 14; i++) // 14 entries in 16: probe runs, so removals shift entries
                {
                    final long h = a.refs.allocate(8);
                    a.refs.retain(h);
                    b.refs.retain(h);
                    handles.add(h);
                }
                onlyA = a.refs.allocate(8);
            }
            for (final long h : handles)
            {
                assertEquals(1, b.refs.count(h), "only b's reference is left on " + h);
            }
            assertFalse(b.pool.isLive(onlyA), "freed by close(), not left waiting for a 10-minute grace period");
        }
    }

    /** A dead slot whose ledger claims more references than the whole count: recovery frees nothing. */
    @Test
    void recoveryNeverFreesOnALedgerThatClaimsMoreThanTheCount() throws Exception
    {
        final Path file = region(RefCountConfig.defaults());
        try (RefFixture b = new RefFixture(file))
        {
            final RefFixture a = new RefFixture(file);
            final long h = a.refs.allocate(8);
            b.refs.retain(h);
            assertEquals(2, a.refs.count(h));
            final int entry = a.refs.findEntry(a.region.slot(), h, false);
            assertTrue(entry >= 0);
            a.region.buffer().putLongVolatile(entry + RefCountDescriptor.ENTRY_HELD_OFFSET, 5); // a buggy writer
            a.region.abandon(); // as if killed
            assertEquals(1, b.region.recoverDeadSlots().size());
            assertTrue(b.pool.isLive(h), "the block b still holds was not freed");
            assertEquals(2, b.refs.count(h), "the count is left as it was");
            assertFalse(b.refs.release(h));
            assertEquals(1, b.refs.count(h));
            a.close();
        }
    }

    @Test
    void refusedOperationsChangeNothing() throws Exception
    {
        final Path file = region(RefCountConfig.defaults());
        try (RefFixture a = new RefFixture(file); RefFixture b = new RefFixture(file))
        {
            final long h = a.refs.allocate(8);
            final RefCountException below = assertThrows(RefCountException.class, () -> b.refs.release(h));
            assertTrue(below.getMessage().contains("below zero") && below.getMessage().contains("slot " + b.region.slot()),
                below.getMessage());
            assertEquals(1, a.refs.count(h));
            assertThrows(RefCountException.class, () -> a.refs.share(h), "already shared");
            final long raw = b.pool.allocate(8);
            assertThrows(RefCountException.class, () -> a.refs.share(raw), "not owned by a");
            assertThrows(StaleHandleException.class, () -> a.refs.retain(raw), "never shared");
            assertThrows(InvalidHandleException.class, () -> a.refs.retain(0));
            assertThrows(InvalidHandleException.class, () -> a.refs.retain(-1));
            assertEquals(1, a.refs.count(h));
            assertEquals(0, b.refs.held(h));
            b.refs.share(raw);
            assertEquals(1, b.refs.count(raw));
        }
    }

    @Test
    void ledgerCapacityIsEnforcedWithAClearError() throws Exception
    {
        final Path file = region(RefCountConfig.builder().ledgerCapacity(3).build());
        try (RefFixture a = new RefFixture(file))
        {
            a.refs.allocate(8);
            a.refs.allocate(8);
            final long third = a.refs.allocate(8);
            a.refs.retain(third); // same handle: no new entry
            final RefCountException full = assertThrows(RefCountException.class, () -> a.refs.allocate(8));
            assertTrue(full.getMessage().contains("capacity=3"), full.getMessage());
            assertEquals(2, a.refs.count(third));
            a.refs.release(third);
            a.refs.release(third);
            a.refs.allocate(8); // the freed entry is reused
        }
    }

    @Test
    void gracePeriodDelaysTheFree() throws Exception
    {
        final Path file = region(RefCountConfig.builder().gracePeriod(Duration.ofMillis(200)).build());
        try (RefFixture a = new RefFixture(file))
        {
            final CountDownLatch freed = new CountDownLatch(1);
            a.refs.onZero(handle -> freed.countDown());
            final long h = a.refs.allocate(8);
            a.pool.putLong(h, 0, 77);
            assertTrue(a.refs.release(h));
            assertTrue(a.pool.isLive(h), "still readable during the grace period");
            assertEquals(77, a.pool.getLong(h, 0));
            assertThrows(StaleHandleException.class, () -> a.refs.retain(h), "a zero count cannot be revived");
            assertTrue(freed.await(10, TimeUnit.SECONDS));
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (a.pool.isLive(h) && System.nanoTime() < deadline)
            {
                Thread.sleep(5);
            }
            assertFalse(a.pool.isLive(h));
        }
    }

    @Test
    void closeReleasesEverythingThisProcessHeld() throws Exception
    {
        final Path file = region(RefCountConfig.defaults());
        final long shared;
        final long alone;
        try (RefFixture b = new RefFixture(file))
        {
            try (RefFixture a = new RefFixture(file))
            {
                shared = a.refs.allocate(8);
                alone = a.refs.allocate(8);
                a.refs.retain(alone);
                b.refs.retain(shared);
                assertEquals(2, a.refs.references(a.region.slot()).size());
            }
            assertEquals(1, b.refs.count(shared), "a's reference was dropped at close");
            assertFalse(b.pool.isLive(alone), "a was the only holder");
            assertTrue(b.refs.orphanReport().isEmpty());
            assertTrue(b.pool.validate().valid());
        }
    }

    @Test
    void diagnosticsNameHoldersAndOrphans() throws Exception
    {
        final Path file = region(RefCountConfig.defaults());
        try (RefFixture a = new RefFixture(file))
        {
            final long h = a.refs.allocate(8);
            a.refs.retain(h);
            assertEquals(java.util.Map.of(h, 2L), a.refs.references(a.region.slot()));
            final List<RefCounts.HeldReference> leaks = a.refs.leakReport(0);
            assertEquals(1, leaks.size());
            assertEquals(a.region.slot(), leaks.get(0).slot());
            assertTrue(a.refs.leakReport(3_600_000).isEmpty());
            assertTrue(a.refs.orphanReport().isEmpty());
            assertThrows(IllegalArgumentException.class, () -> a.refs.references(99));
        }
    }

    @Test
    void concurrentRetainReleaseKeepsTheCountExact() throws Exception
    {
        final Path file = region(RefCountConfig.defaults());
        try (RefFixture a = new RefFixture(file))
        {
            final long h = a.refs.allocate(8);
            final Thread[] threads = new Thread[4];
            final List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            for (int t = 0; t < threads.length; t++)
            {
                threads[t] = new Thread(() ->
                {
                    for (int i = 0; i < 20_000; i++)
                    {
                        a.refs.retain(h);
                        a.refs.release(h);
                    }
                });
                threads[t].setUncaughtExceptionHandler((thread, ex) -> failures.add(ex));
                threads[t].start();
            }
            for (final Thread t : threads)
            {
                t.join();
            }
            assertEquals(List.of(), failures, "no retain or release failed");
            assertEquals(1, a.refs.count(h));
            assertEquals(1, a.refs.held(h));
            assertTrue(a.refs.release(h));
        }
    }
}
