package io.shmtx.consistency;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.deadlock.LockPolicy;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * SEQUENTIAL specifics: writes in place under exclusive locks are undone before the locks go,
 * even when the lock table aborts the transaction (a wound found at commit); readers block
 * writers; a retried transaction keeps its age.
 */
class SequentialTest
{
    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws Exception
    {
        temp.close();
    }

    private static SharedMemoryConfig config(final LockPolicy policy)
    {
        return SharedMemoryTest.config().model(ConsistencyModel.SEQUENTIAL).lockPolicy(policy).build();
    }

    @Test
    void aWoundedTransactionUndoesItsWritesInPlaceBeforeItsLocksGo() throws Exception
    {
        final Path file = temp.newPath("wound");
        try (SharedMemory older = SharedMemory.open(file, config(LockPolicy.WOUND_WAIT));
            SharedMemory younger = SharedMemory.open(file, config(LockPolicy.WOUND_WAIT)))
        {
            final long x = older.allocate(8);
            older.transact(tx -> tx.putLong(x, 0, 5));
            final int youngerSlot = younger.region().slot();
            final List<String> atUndo = new CopyOnWriteArrayList<>();
            younger.hook = step ->
            {
                if (step == SharedMemory.HOOK_UNDONE)
                {
                    atUndo.add("locks held by the younger while its before-image goes back: "
                        + older.lockManager().locksHeldPerSlot().getOrDefault(youngerSlot, 0));
                }
            };
            final CountDownLatch olderBegun = new CountDownLatch(1);
            final CountDownLatch youngerWrote = new CountDownLatch(1);
            final AtomicLong olderRead = new AtomicLong(-1);
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread olderThread = new Thread(() ->
            {
                try (Tx tx = older.begin())
                {
                    olderBegun.countDown();
                    youngerWrote.await();
                    olderRead.set(tx.getLong(x, 0)); // wounds the younger holder, waits for it
                    tx.commit();
                }
                catch (final Throwable ex)
                {
                    failure.set(ex);
                }
            }, "older");
            olderThread.start();
            assertTrue(olderBegun.await(10, TimeUnit.SECONDS));
            final Tx tx = younger.begin();
            tx.putLong(x, 0, 99); // in place, under its exclusive lock
            youngerWrote.countDown();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (older.lockManager().stats().wounds() == 0)
            {
                assertTrue(System.nanoTime() < deadline, "the older transaction wounds the younger");
                Thread.sleep(1);
            }
            final TransactionAbortedException ex = assertThrows(TransactionAbortedException.class, tx::commit);
            assertEquals(AbortReason.WOUNDED, ex.reason());
            olderThread.join();
            assertNull(failure.get());
            assertEquals(List.of("locks held by the younger while its before-image goes back: 1"), atUndo);
            assertEquals(5, olderRead.get(), "the older never saw the wounded transaction's write");
            assertEquals(5L, (long)older.readOnly(t -> t.getLong(x, 0)));
        }
    }

    @Test
    void aReaderBlocksAWriterUntilItEnds() throws Exception
    {
        try (SharedMemory shm = SharedMemory.open(temp.newPath("block"), config(LockPolicy.WAIT_DIE)))
        {
            final long x = shm.allocate(8);
            final AtomicReference<String> order = new AtomicReference<>("");
            final CountDownLatch read = new CountDownLatch(1);
            final Thread writer;
            try (Tx reader = shm.begin()) // older: the writer (younger) dies and retries until the reader ends
            {
                assertEquals(0, reader.getLong(x, 0));
                writer = new Thread(() ->
                {
                    read.countDown();
                    shm.transact(tx -> tx.putLong(x, 0, 1));
                    order.accumulateAndGet("write;", String::concat);
                }, "writer");
                writer.start();
                assertTrue(read.await(10, TimeUnit.SECONDS));
                Thread.sleep(50);
                assertEquals(0, reader.getLong(x, 0), "repeatable: the writer waits");
                order.accumulateAndGet("reader ends;", String::concat);
                reader.commit();
            }
            writer.join();
            assertEquals("reader ends;write;", order.get());
            assertEquals(1L, (long)shm.readOnly(tx -> tx.getLong(x, 0)));
        }
    }
}
