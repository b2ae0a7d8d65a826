package io.shmtx.consistency;

import static io.shmtx.consistency.ConsistencyDescriptor.*;
import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.pool.InvalidHandleException;
import io.shmtx.pool.PoolConfig;
import io.shmtx.pool.StaleHandleException;
import io.shmtx.region.Region;
import io.shmtx.region.RegionConfig;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

@ParameterizedClass(name = "{0}")
@MethodSource("io.shmtx.consistency.Models#implemented")
class SharedMemoryTest
{
    /** The model every test of this suite runs under. */
    @Parameter
    ConsistencyModel model;

    static final PoolConfig POOL = PoolConfig.builder().tier(64, 512).tier(256, 128).tier(4096, 16).build();

    private final TempRegions temp = new TempRegions();

    static SharedMemoryConfig.Builder config()
    {
        return SharedMemoryConfig.builder().processSlots(4).logsPerProcess(4).pool(POOL);
    }

    /** The suite's configuration under {@link #model}. */
    SharedMemoryConfig.Builder modelConfig()
    {
        return config().model(model);
    }

    @AfterEach
    void cleanUp() throws Exception
    {
        temp.close();
    }

    @Test
    void transactionsCommitReadAndReturn()
    {
        try (SharedMemory shm = SharedMemory.open(temp.newPath("basic"), modelConfig().build()))
        {
            assertEquals(model, shm.model());
            assertEquals(1, shm.epoch());
            final long a = shm.allocate(16);
            final long b = shm.allocate(100);
            assertEquals(0L, (long)shm.readOnly(tx -> tx.getLong(a, 8)), "allocate zero-fills");
            shm.transact(tx ->
            {
                tx.putLong(a, 0, 41);
                tx.putLong(a, 0, tx.getLong(a, 0) + 1); // reads see this transaction's writes
                tx.putInt(a, 8, 7);
                tx.putBytes(b, 90, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0, 10);
                assertEquals(42, tx.getLong(a, 0));
                assertEquals(7, tx.getInt(a, 8));
                final byte[] part = new byte[4];
                tx.getBytes(b, 92, part, 0, 4);
                assertArrayEquals(new byte[] {3, 4, 5, 6}, part);
            });
            final long sum = shm.transactAndGet(tx -> tx.getLong(a, 0) + tx.getInt(a, 8));
            assertEquals(49, sum);
            final byte[] all = new byte[10];
            shm.readOnly(tx ->
            {
                tx.getBytes(b, 90, all, 0, 10);
                return null;
            });
            assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, all);
            assertFalse(isLocked(shm.versionWord(a)));
            assertEquals(16, (int)shm.readOnly(tx -> tx.size(a)));
        }
    }

    @Test
    void aWriteOverlappingAnEarlierOneIsSeenByteByByte()
    {
        try (SharedMemory shm = SharedMemory.open(temp.newPath("overlap"), modelConfig().build()))
        {
            final long a = shm.allocate(16);
            shm.transact(tx -> tx.putLong(a, 0, 0x1111111111111111L));
            shm.transact(tx ->
            {
                tx.putInt(a, 4, 0x22222222);
                tx.putBytes(a, 0, new byte[] {0x33}, 0, 1);
                assertEquals(0x2222222211111133L, tx.getLong(a, 0));
            });
            assertEquals(0x2222222211111133L, (long)shm.readOnly(tx -> tx.getLong(a, 0)));
        }
    }

    @Test
    void aThrowingBodyLeavesNothingVisibleAndItsExceptionPassesUnchanged()
    {
        try (SharedMemory shm = SharedMemory.open(temp.newPath("throw"), modelConfig().build()))
        {
            final long a = shm.allocate(8);
            final long before = shm.pool().stats().tiers().get(0).inUse();
            final IllegalStateException mine = new IllegalStateException("mine");
            final AtomicReference<Long> made = new AtomicReference<>();
            final IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> shm.transact(tx ->
            {
                tx.putLong(a, 0, 99);
                made.set(tx.allocate(8));
                throw mine;
            }));
            assertSame(mine, thrown);
            assertEquals(0L, (long)shm.readOnly(tx -> tx.getLong(a, 0)));
            assertFalse(shm.pool().isLive(made.get()), "an allocation of an aborted transaction is freed");
            assertEquals(before, shm.pool().stats().tiers().get(0).inUse());
            assertFalse(isLocked(shm.versionWord(a)));
        }
    }

    @Test
    void allocateInATransactionPublishesAndFreeTakesEffectAtCommit()
    {
        try (SharedMemory shm = SharedMemory.open(temp.newPath("alloc"), modelConfig().build()))
        {
            final long root = shm.allocate(8);
            final long node = shm.transactAndGet(tx ->
            {
                final long n = tx.allocate(24);
                tx.putLong(n, 16, 5);
                assertEquals(5, tx.getLong(n, 16));
                tx.putLong(root, 0, n);
                return n;
            });
            assertEquals(-1, shm.pool().ownerSlot(node), "published at commit");
            assertEquals(5L, (long)shm.readOnly(tx -> tx.getLong(tx.getLong(root, 0), 16)));
            shm.transact(tx ->
            {
                tx.free(tx.getLong(root, 0));
                tx.putLong(root, 0, 0);
                assertThrows(IllegalStateException.class, () -> tx.getLong(node, 0), "freed earlier in this transaction");
            });
            assertFalse(shm.pool().isLive(node));
            assertThrows(StaleHandleException.class, () -> shm.readOnly(tx -> tx.getLong(node, 0)));
            final ConsistencyException counted = assertThrows(ConsistencyException.class, () -> shm.transact(tx -> tx.free(root)));
            assertTrue(counted.getMessage().contains("reference-counted"), counted.getMessage());
        }
    }

    @Test
    void badHandlesOffsetsAndLengthsAreRefusedByName()
    {
        try (SharedMemory shm = SharedMemory.open(temp.newPath("bad"), modelConfig().build()))
        {
            final long a = shm.allocate(16);
            assertThrows(InvalidHandleException.class, () -> shm.readOnly(tx -> tx.getLong(0, 0)));
            assertThrows(InvalidHandleException.class, () -> shm.readOnly(tx -> tx.getLong(0x7F00_0000_0000_0001L, 0)));
            final long plain = shm.pool().allocate(64);
            shm.pool().putInt(plain, 20, 0x12345678);
            final ConsistencyException forged = assertThrows(ConsistencyException.class, () -> shm.readOnly(tx -> tx.getLong(plain, 0)));
            assertTrue(forged.getMessage().contains("not a transactional object"), forged.getMessage());
            final IndexOutOfBoundsException out = assertThrows(IndexOutOfBoundsException.class,
                () -> shm.transact(tx -> tx.putLong(a, 9, 1)));
            assertTrue(out.getMessage().contains("16-byte object"), out.getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> shm.readOnly(tx -> tx.getInt(a, -1)));
            assertThrows(IndexOutOfBoundsException.class, () -> shm.readOnly(tx ->
            {
                tx.getBytes(a, 8, new byte[16], 0, 9);
                return null;
            }));
            assertThrows(IndexOutOfBoundsException.class, () -> shm.transact(tx -> tx.putBytes(a, 0, new byte[4], 2, 4)));
            assertThrows(IllegalStateException.class, () -> shm.readOnly(tx ->
            {
                tx.putLong(a, 0, 1);
                return null;
            }));
            final long stale = shm.allocate(8);
            assertTrue(shm.release(stale));
            assertThrows(StaleHandleException.class, () -> shm.transact(tx -> tx.putLong(stale, 0, 1)));
            assertEquals(0L, (long)shm.readOnly(tx -> tx.getLong(a, 0)), "nothing changed");
            assertThrows(IllegalArgumentException.class, () -> shm.allocate(-1));
        }
    }

    @Test
    void aTxIsRefusedAfterItEndsFromAnotherThreadAndWhenNested() throws Exception
    {
        try (SharedMemory shm = SharedMemory.open(temp.newPath("misuse"), modelConfig().build()))
        {
            final long a = shm.allocate(8);
            final AtomicReference<Tx> kept = new AtomicReference<>();
            shm.transact(tx -> kept.set(tx));
            assertThrows(IllegalStateException.class, () -> kept.get().getLong(a, 0), "used after it ended");
            final IllegalStateException nested = assertThrows(IllegalStateException.class,
                () -> shm.transact(tx -> shm.transact(inner -> inner.putLong(a, 0, 1))));
            assertTrue(nested.getMessage().contains("nested"), nested.getMessage());
            try (Tx tx = shm.begin())
            {
                tx.putLong(a, 0, 5);
                final AtomicReference<Throwable> other = new AtomicReference<>();
                final Thread thread = new Thread(() ->
                {
                    try
                    {
                        tx.getLong(a, 0);
                    }
                    catch (final Throwable ex)
                    {
                        other.set(ex);
                    }
                });
                thread.start();
                thread.join();
                assertTrue(other.get() instanceof IllegalStateException, String.valueOf(other.get()));
                assertTrue(other.get().getMessage().contains("belongs to the thread"), other.get().getMessage());
            } // closed without commit: aborted
            assertEquals(0L, (long)shm.readOnly(tx -> tx.getLong(a, 0)));
            try (Tx tx = shm.begin())
            {
                tx.putLong(a, 0, 6);
                tx.commit();
                assertThrows(IllegalStateException.class, tx::commit);
            }
            assertEquals(6L, (long)shm.readOnly(tx -> tx.getLong(a, 0)));
        }
    }

    @Test
    void aManualTransactionThatConflictsIsAbortedWithItsReason() throws Exception
    {
        try (SharedMemory shm = SharedMemory.open(temp.newPath("conflict"), modelConfig().build()))
        {
            final long a = shm.allocate(8);
            final Thread writer;
            try (Tx tx = shm.begin())
            {
                final long value = tx.getLong(a, 0);
                writer = new Thread(() -> shm.transact(other -> other.putLong(a, 0, 100)));
                writer.start();
                if (model == ConsistencyModel.SEQUENTIAL)
                {
                    writer.join(50); // it waits for this transaction's shared lock (younger: dies and retries)
                    assertTrue(writer.isAlive(), "the writer waits");
                    tx.putLong(a, 0, value + 1);
                    tx.commit(); // no conflict: the writer goes after it
                }
                else
                {
                    writer.join();
                    tx.putLong(a, 0, value + 1);
                    final TransactionAbortedException ex = assertThrows(TransactionAbortedException.class, tx::commit);
                    assertEquals(AbortReason.CONFLICT, ex.reason());
                    assertTrue(ex.getMessage().contains("object"), ex.getMessage());
                }
            }
            writer.join();
            assertEquals(100L, (long)shm.readOnly(tx -> tx.getLong(a, 0)));
        }
    }

    @Test
    void theRetryLimitNamesTheLastReason() throws Exception
    {
        final SharedMemoryConfig config = modelConfig().retry(3, Duration.ZERO, Duration.ZERO)
            .lockPolicy(io.shmtx.deadlock.LockPolicy.NO_WAIT).build();
        try (SharedMemory shm = SharedMemory.open(temp.newPath("limit"), config))
        {
            final long a = shm.allocate(8);
            final int[] attempts = {0};
            final java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
            final java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
            final Thread holder = new Thread(() ->
            {
                if (model == ConsistencyModel.SEQUENTIAL)
                {
                    try (Tx tx = shm.begin())
                    {
                        tx.putLong(a, 0, 7); // its exclusive lock, held while the other transaction tries
                        held.countDown();
                        done.await();
                    }
                    catch (final InterruptedException e)
                    {
                        throw new IllegalStateException(e);
                    }
                }
                held.countDown();
            });
            holder.start();
            held.await();
            final RetryLimitExceededException ex = assertThrows(RetryLimitExceededException.class, () -> shm.transact(tx ->
            {
                attempts[0]++;
                final long v = tx.getLong(a, 0); // SEQUENTIAL: NO_WAIT meets the holder's lock
                final Thread writer = new Thread(() -> shm.transact(other -> other.putLong(a, 0, other.getLong(a, 0) + 1)));
                writer.start();
                try
                {
                    writer.join();
                }
                catch (final InterruptedException e)
                {
                    throw new IllegalStateException(e);
                }
                tx.getLong(a, 0); // RELEASE: changed since the first read: CONFLICT
                tx.putLong(a, 0, v + 10); // CAUSAL: a write-write conflict at commit
            }));
            done.countDown();
            holder.join();
            final AbortReason expected = model == ConsistencyModel.SEQUENTIAL ? AbortReason.NO_WAIT : AbortReason.CONFLICT;
            assertEquals(3, attempts[0]);
            assertEquals(3, ex.attempts());
            assertEquals(expected, ex.reason());
            assertTrue(ex.getMessage().contains(expected.name()), ex.getMessage());
            assertEquals(model == ConsistencyModel.SEQUENTIAL ? 0L : 3L, (long)shm.readOnly(tx -> tx.getLong(a, 0)));
        }
    }

    @Test
    void aTransactionLargerThanItsLogIsRefusedAndRolledBack()
    {
        final SharedMemoryConfig config = modelConfig().maxObjectsPerTransaction(2).redoCapacity(64).build();
        try (SharedMemory shm = SharedMemory.open(temp.newPath("large"), config))
        {
            final long a = shm.allocate(256);
            final long b = shm.allocate(8);
            final long c = shm.allocate(8);
            final TransactionTooLargeException bytes = assertThrows(TransactionTooLargeException.class,
                () -> shm.transact(tx -> tx.putBytes(a, 0, new byte[100], 0, 100)));
            assertTrue(bytes.getMessage().contains("64-byte record capacity"), bytes.getMessage());
            final TransactionTooLargeException objects = assertThrows(TransactionTooLargeException.class, () -> shm.transact(tx ->
            {
                tx.putLong(a, 0, 1);
                tx.putLong(b, 0, 1);
                tx.putLong(c, 0, 1);
            }));
            assertTrue(objects.getMessage().contains("more than 2 objects"), objects.getMessage());
            assertEquals(0L, (long)shm.readOnly(tx -> tx.getLong(a, 0) + tx.getLong(b, 0)));
            shm.transact(tx -> tx.putLong(a, 0, 1)); // the log is usable again
            assertEquals(1L, (long)shm.readOnly(tx -> tx.getLong(a, 0)));
        }
    }

    @Test
    void aRegionWithoutTheConsistencySectionIsRefused()
    {
        final Path file = temp.newPath("nosection");
        try (Region region = Region.create(file, RegionConfig.builder().processSlots(4).build()))
        {
            assertNotNull(region);
        }
        final RuntimeException ex = assertThrows(RuntimeException.class, () -> SharedMemory.open(file, modelConfig().build()));
        assertTrue(ex.getMessage().contains("pool") || ex.getMessage().contains("ledgers") || ex.getMessage().contains("section"),
            ex.getMessage());
    }

    @Test
    void theBuilderRefusesBadValues()
    {
        assertThrows(IllegalArgumentException.class, () -> SharedMemoryConfig.builder().processSlots(0).build());
        assertThrows(IllegalArgumentException.class, () -> SharedMemoryConfig.builder().logsPerProcess(0).build());
        assertThrows(IllegalArgumentException.class, () -> SharedMemoryConfig.builder().processSlots(4096).logsPerProcess(16).build());
        assertThrows(IllegalArgumentException.class, () -> SharedMemoryConfig.builder().redoCapacity(8).build());
        assertThrows(IllegalArgumentException.class, () -> SharedMemoryConfig.builder().maxObjectsPerTransaction(0).build());
        assertThrows(IllegalArgumentException.class, () -> SharedMemoryConfig.builder().retry(0, Duration.ZERO, Duration.ZERO).build());
        assertThrows(IllegalArgumentException.class,
            () -> SharedMemoryConfig.builder().retry(5, Duration.ofMillis(2), Duration.ofMillis(1)).build());
        assertThrows(IllegalArgumentException.class, () -> SharedMemoryConfig.builder().regionSize(-1).build());
        assertThrows(IllegalArgumentException.class, () -> SharedMemoryConfig.builder().switchTimeout(Duration.ZERO).build());
        assertThrows(NullPointerException.class, () -> SharedMemoryConfig.builder().model(null));
        assertThrows(NullPointerException.class, () -> SharedMemoryConfig.builder().pool(null));
        assertEquals(ConsistencyModel.RELEASE, SharedMemoryConfig.defaults().model());
    }
}
