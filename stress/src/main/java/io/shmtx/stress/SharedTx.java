package io.shmtx.stress;

import io.shmtx.consistency.SharedMemory;
import io.shmtx.consistency.SharedMemoryConfig;
import io.shmtx.pool.PoolConfig;
import io.shmtx.region.Region;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A JVM-wide {@link SharedMemory} (model RELEASE, the region's initial one) that the jcstress
 * states of the transaction tests share, created, attached and unlinked once per JVM on first
 * use, with {@value #OBJECTS} transactional objects of {@value #OBJECT_SIZE} bytes made up front.
 *
 * <p>This class is threadsafe: the holder is initialised once by the JVM, objects are handed out
 * with one atomic increment, and {@link SharedMemory} is threadsafe (each thread leases a
 * transaction log; the log of a thread that has ended is reused, so jcstress's ~500 threads a
 * fork need only as many logs as threads alive at once).
 *
 * <p><b>Objects.</b> jcstress creates state objects by the thousand (an epoch of quick mode holds
 * at most 10,240 of them, each taking one or two objects) and never says when one is dropped, so
 * {@link #nextObject()} hands the objects out round-robin, over three times more than an epoch
 * takes: by the time an object comes round again its previous state has long been dropped. A
 * state zeroes its objects in a transaction of its own ({@link #zero}) before jcstress publishes
 * it to the actors.
 *
 * <p>The region file is created in {@code /dev/shm} (or the temporary folder) under a unique
 * name and deleted as soon as this process has attached, as in {@link SharedPools}.
 */
final class SharedTx
{
    /** Objects made up front: 2^16 of 64-byte blocks, 4 MiB. */
    static final int OBJECTS = 1 << 16;

    /** Payload bytes of an object: two longs. */
    static final int OBJECT_SIZE = 16;

    /** Objects allocated per set-up transaction (at most maxObjectsPerTransaction). */
    private static final int BATCH = 32;

    /**
     * Two process slots (only this JVM attaches); 256 logs, far more than the threads alive at
     * once; small logs (these transactions touch at most two objects).
     */
    static final SharedMemoryConfig CONFIG = SharedMemoryConfig.builder()
        .processSlots(2)
        .logsPerProcess(256)
        .maxObjectsPerTransaction(BATCH)
        .redoCapacity(1024)
        .pool(PoolConfig.builder().tier(64, OBJECTS).build())
        .build();

    private static final AtomicInteger NEXT = new AtomicInteger();

    private SharedTx()
    {
    }

    /**
     * The shared memory.
     *
     * @return it, created and attached on first use.
     */
    static SharedMemory shm()
    {
        return Holder.SHM;
    }

    /**
     * An object no other live state uses; zero it before use ({@link #zero}).
     *
     * @return its handle.
     */
    static long nextObject()
    {
        return Holder.HANDLES[NEXT.getAndIncrement() & (OBJECTS - 1)];
    }

    /**
     * Zeroes both longs of each object in one committed transaction.
     *
     * @param handles the objects.
     */
    static void zero(final long... handles)
    {
        Holder.SHM.transact(tx ->
        {
            for (final long handle : handles)
            {
                tx.putLong(handle, 0, 0);
                tx.putLong(handle, Long.BYTES, 0);
            }
        });
    }

    private static final class Holder
    {
        static final SharedMemory SHM;
        static final long[] HANDLES = new long[OBJECTS];

        static
        {
            final Path file = SharedPools.newRegionFile("tx"); // a unique name, nothing there yet
            SHM = SharedMemory.open(file, CONFIG);
            Region.delete(file);
            for (int from = 0; from < OBJECTS; from += BATCH)
            {
                final int start = from;
                SHM.transact(tx ->
                {
                    for (int i = start; i < start + BATCH; i++)
                    {
                        HANDLES[i] = tx.allocate(OBJECT_SIZE);
                    }
                });
            }
        }
    }
}
