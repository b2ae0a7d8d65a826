package io.shmtx.consistency;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.testkit.TempRegions;

import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A thread that ends inside a manual transaction ({@code begin()} never closed) does not keep
 * its log: the region thread's maintenance task undoes it within a heartbeat, so a model switch
 * completes, its locks and pin go and its writes are undone, while the process lives on and
 * no other thread leases that log.
 */
class EndedThreadTest
{
    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws Exception
    {
        temp.close();
    }

    /** Runs {@code body} in a thread that begins a manual transaction, calls it, and ends without closing it. */
    private static void endInside(final SharedMemory shm, final java.util.function.Consumer<Tx> body) throws InterruptedException
    {
        final Thread thread = new Thread(() -> body.accept(shm.begin()), "ends-inside-a-transaction");
        thread.start();
        thread.join();
        assertFalse(thread.isAlive());
    }

    @ParameterizedTest
    @MethodSource("io.shmtx.consistency.Models#implemented")
    void aSwitchCompletesAndTheWritesAreUndone(final ConsistencyModel model) throws Exception
    {
        final SharedMemoryConfig config = SharedMemoryTest.config().model(model).switchTimeout(Duration.ofSeconds(20)).build();
        try (SharedMemory shm = SharedMemory.open(temp.newPath("ended"), config))
        {
            final long object = shm.allocate(16);
            shm.transact(tx -> tx.putLong(object, 0, 7)); // this thread leases its log first
            endInside(shm, tx ->
            {
                tx.putLong(object, 0, tx.getLong(object, 0) + 1); // SEQUENTIAL: written in place under its exclusive lock
                tx.putLong(object, 8, 99);
            });
            final long epoch = shm.epoch();
            final ConsistencyModel other = model == ConsistencyModel.RELEASE ? ConsistencyModel.CAUSAL : ConsistencyModel.RELEASE;
            shm.switchModel(other); // waits for the ended thread's announcement until the maintenance task gives its log back
            assertEquals(other, shm.model());
            assertEquals(epoch + 1, shm.epoch());
            assertEquals(7L, (long)shm.transactAndGet(tx -> tx.getLong(object, 0)), "its writes are undone");
            assertEquals(0L, (long)shm.transactAndGet(tx -> tx.getLong(object, 8)));
            shm.transact(tx -> tx.putLong(object, 0, tx.getLong(object, 0) + 1)); // nothing is left locked
            assertEquals(8L, (long)shm.readOnly(tx -> tx.getLong(object, 0)));
            assertTrue(shm.pool().validate().valid(), () -> shm.pool().validate().toString());
        }
    }

    @ParameterizedTest
    @MethodSource("io.shmtx.consistency.Models#implemented")
    void itsLocksGoWithoutASwitch(final ConsistencyModel model) throws Exception
    {
        final SharedMemoryConfig config = SharedMemoryTest.config().model(model)
            .retry(2_000, Duration.ofNanos(1_000), Duration.ofMillis(10)).build(); // bounded: about 10 s of attempts
        try (SharedMemory shm = SharedMemory.open(temp.newPath("ended-locks"), config))
        {
            final long object = shm.allocate(16);
            shm.transact(tx -> tx.putLong(object, 0, 1));
            endInside(shm, tx -> tx.getForUpdate(object, 0)); // SEQUENTIAL: its exclusive lock
            shm.transact(tx -> tx.putLong(object, 0, tx.getLong(object, 0) + 1)); // waits until the lock goes, then commits
            assertEquals(2L, (long)shm.readOnly(tx -> tx.getLong(object, 0)));
            assertTrue(shm.stats().commits() >= 3);
        }
    }
}
