package io.shmtx.consistency;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * CAUSAL specifics: a transaction reads one snapshot fixed at its begin, whatever commits after;
 * a write-write conflict aborts the later committer; history is kept only while a snapshot may
 * need it, and returns to nothing once no snapshot does.
 */
class CausalTest
{
    private static final int OBJECTS = 8;

    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws Exception
    {
        temp.close();
    }

    private static SharedMemoryConfig config()
    {
        return SharedMemoryTest.config().model(ConsistencyModel.CAUSAL).build();
    }

    @Test
    void aSnapshotHeldWhileThousandsCommitKeepsOneVersionPerObjectAndDroppingItFreesThem() throws Exception
    {
        final Path file = temp.newPath("history");
        try (SharedMemory writer = SharedMemory.open(file, config()); SharedMemory reader = SharedMemory.open(file, config()))
        {
            final long[] objects = new long[OBJECTS];
            for (int k = 0; k < OBJECTS; k++)
            {
                objects[k] = writer.allocate(16);
            }
            writer.transact(tx ->
            {
                for (final long h : objects)
                {
                    tx.putLong(h, 8, 1);
                }
            });
            final CountDownLatch pinned = new CountDownLatch(1);
            final CountDownLatch written = new CountDownLatch(1);
            final AtomicReference<String> seen = new AtomicReference<>();
            final Thread old = new Thread(() ->
            {
                try (Tx tx = reader.begin())
                {
                    final long first = tx.getLong(objects[0], 0);
                    pinned.countDown();
                    written.await();
                    final StringBuilder values = new StringBuilder().append(first);
                    for (final long h : objects)
                    {
                        values.append(',').append(tx.getLong(h, 0)).append('/').append(tx.getLong(h, 8));
                    }
                    seen.set(values.toString());
                    tx.commit(); // read-only: never aborts
                }
                catch (final Throwable ex)
                {
                    seen.set(ex.toString());
                }
            }, "old snapshot");
            old.start();
            assertTrue(pinned.await(10, TimeUnit.SECONDS));
            long maxAlive = 0;
            for (int round = 1; round <= 2_000; round++)
            {
                final long value = round;
                writer.transact(tx ->
                {
                    for (final long h : objects)
                    {
                        tx.putLong(h, 0, value);
                        tx.putLong(h, 8, tx.getLong(h, 8) + 1);
                    }
                });
                maxAlive = Math.max(maxAlive, writer.versionsAlive());
            }
            assertEquals(OBJECTS, maxAlive, "one kept version per object for the old snapshot, not one per commit");
            written.countDown();
            old.join();
            final StringBuilder expected = new StringBuilder("0");
            for (int k = 0; k < OBJECTS; k++)
            {
                expected.append(",0/1");
            }
            assertEquals(expected.toString(), seen.get(), "the old snapshot saw the values of its begin");
            writer.transact(tx ->
            {
                for (final long h : objects)
                {
                    tx.putLong(h, 0, tx.getLong(h, 0) + 1); // the next write of each object frees what no snapshot needs
                }
            });
            assertEquals(0, writer.versionsAlive(), "history returns to nothing");
            assertEquals(2_001L, (long)writer.readOnly(tx -> tx.getLong(objects[OBJECTS - 1], 0)));
            assertEquals(OBJECTS, writer.pool().stats().tiers().get(0).inUse(), "only the objects' blocks are in use");
        }
    }

    @Test
    void aWriteWriteConflictAbortsTheLaterCommitter() throws Exception
    {
        final Path file = temp.newPath("ww");
        try (SharedMemory a = SharedMemory.open(file, config()); SharedMemory b = SharedMemory.open(file, config()))
        {
            final long x = a.allocate(8);
            final CountDownLatch begun = new CountDownLatch(1);
            final CountDownLatch committed = new CountDownLatch(1);
            final AtomicReference<Throwable> outcome = new AtomicReference<>();
            final Thread later = new Thread(() ->
            {
                try (Tx tx = b.begin())
                {
                    final long v = tx.getLong(x, 0);
                    begun.countDown();
                    committed.await();
                    assertEquals(0, tx.getLong(x, 0), "still its snapshot");
                    tx.putLong(x, 0, v + 100);
                    tx.commit();
                }
                catch (final Throwable ex)
                {
                    outcome.set(ex);
                }
            }, "later committer");
            later.start();
            assertTrue(begun.await(10, TimeUnit.SECONDS));
            a.transact(tx -> tx.putLong(x, 0, tx.getLong(x, 0) + 1));
            committed.countDown();
            later.join();
            assertInstanceOf(TransactionAbortedException.class, outcome.get());
            assertEquals(AbortReason.CONFLICT, ((TransactionAbortedException)outcome.get()).reason());
            assertEquals(1L, (long)a.readOnly(tx -> tx.getLong(x, 0)), "no lost update");
        }
    }

    @Test
    void anObjectReleasedToZeroTakesItsHistoryWithItWhenALiveProcessReleasesIt() throws Exception
    {
        releasedToZeroFreesItsHistory(false);
    }

    @Test
    void anObjectReleasedToZeroTakesItsHistoryWithItWhenTheRecoveryOfADeadHolderReleasesIt() throws Exception
    {
        releasedToZeroFreesItsHistory(true);
    }

    @Test
    void aHistoryChainLinkedIntoACycleIsNamedCorruptNotWalkedForever() throws Exception
    {
        final Path file = temp.newPath("history-cycle");
        try (SharedMemory a = SharedMemory.open(file, config()); SharedMemory b = SharedMemory.open(file, config()))
        {
            final long object = a.allocate(16);
            final Tx old = a.begin();
            assertEquals(0L, old.getLong(object, 0)); // pins a snapshot that needs the first value
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread writer = new Thread(() ->
            {
                try
                {
                    b.transact(tx -> tx.putLong(object, 0, 1)); // keeps value 0 in a history block for the pin
                    final io.shmtx.pool.TieredPool pool = b.pool();
                    final org.agrona.concurrent.AtomicBuffer buffer = b.region().buffer();
                    final long block = buffer.getLongVolatile(pool.payloadOffset(object) + ConsistencyDescriptor.OBJECT_HISTORY_OFFSET);
                    assertNotEquals(0L, block, "a version kept for the pin");
                    buffer.putLongVolatile(pool.payloadOffset(block) + ConsistencyDescriptor.HISTORY_NEXT_OFFSET, block); // a cycle
                    b.transact(tx -> tx.putLong(object, 0, 2)); // its commit trims the chain: walks it
                }
                catch (final Throwable ex)
                {
                    failure.set(ex);
                }
            });
            writer.setDaemon(true);
            writer.start();
            writer.join(TimeUnit.SECONDS.toMillis(60));
            assertFalse(writer.isAlive(), "the walk ended");
            assertInstanceOf(ConsistencyException.class, failure.get(), () -> String.valueOf(failure.get()));
            assertTrue(failure.get().getMessage().contains("perhaps a cycle"), failure.get().getMessage());
            old.close();
            // mend the link so the objects' release at close frees the chain (it would name the cycle again)
            final org.agrona.concurrent.AtomicBuffer buffer = a.region().buffer();
            final long block = buffer.getLongVolatile(a.pool().payloadOffset(object) + ConsistencyDescriptor.OBJECT_HISTORY_OFFSET);
            buffer.putLongVolatile(a.pool().payloadOffset(block) + ConsistencyDescriptor.HISTORY_NEXT_OFFSET, 0);
        }
    }

    /**
     * An object whose last reference goes while an old snapshot keeps one of its versions: the
     * version goes with it (the snapshot may no longer read it: released objects are not for
     * transactions that still use them), and the pool gets every block back.
     */
    private void releasedToZeroFreesItsHistory(final boolean holderDies) throws Exception
    {
        final Path file = temp.newPath(holderDies ? "released-dead" : "released-live");
        try (SharedMemory a = SharedMemory.open(file, config()))
        {
            final SharedMemory b = SharedMemory.open(file, config());
            final long keep = a.allocate(16); // stays: the pool's baseline is not empty
            final long baseline = a.pool().stats().tiers().get(0).inUse();
            final long object = a.allocate(16);
            b.retain(object);
            a.release(object); // b holds the only reference now
            final Tx old = a.begin();
            assertEquals(0L, old.getLong(object, 0)); // pins a snapshot that needs the first value
            final Thread writer = new Thread(() ->
            {
                for (int k = 1; k <= 3; k++)
                {
                    final long value = k;
                    b.transact(tx -> tx.putLong(object, 0, value));
                }
            });
            writer.start();
            writer.join();
            assertEquals(1, a.versionsAlive(), "the old snapshot keeps one version");
            assertEquals(baseline + 2, a.pool().stats().tiers().get(0).inUse(), "the object and its kept version");
            if (holderDies)
            {
                b.region().abandon(); // as the kernel drops a killed process's slot lock
                assertFalse(a.region().recoverDeadSlots().isEmpty(), "b's slot recovered");
            }
            else
            {
                assertTrue(b.release(object), "the last reference");
                b.close();
            }
            assertFalse(a.pool().isLive(object), "the object is freed");
            assertEquals(0, a.versionsAlive(), "and its history with it");
            assertEquals(baseline, a.pool().stats().tiers().get(0).inUse(), "every block back in the pool");
            old.close();
            assertTrue(a.pool().validate().valid(), a.pool().validate().toString());
            a.release(keep);
        }
    }
}
