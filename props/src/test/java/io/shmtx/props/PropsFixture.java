package io.shmtx.props;

import io.shmtx.consistency.ConsistencyModel;
import io.shmtx.consistency.SharedMemory;
import io.shmtx.consistency.SharedMemoryConfig;
import io.shmtx.pool.PoolConfig;

/**
 * The objects the properties' programs run on: {@code n} (up to {@value #MAX_OBJECTS}) objects of {@link Program#WORDS} longs,
 * reference-counted and held by the process that made them, listed in a directory object bound
 * to the root {@value #ROOT} so that child JVMs find them.
 *
 * <p>Threadsafe: static methods over a threadsafe {@link SharedMemory}.
 */
final class PropsFixture
{
    /** Root naming the directory object. */
    static final String ROOT = "props";
    /** Most objects a run has (the directory's block holds their handles). */
    static final int MAX_OBJECTS = 32;
    /** Each object's balance at the start. */
    static final long INITIAL_BALANCE = 100;

    private PropsFixture()
    {
    }

    /**
     * The configuration of the properties' regions, the same in every process.
     *
     * @param model the model a new region starts with.
     * @return the configuration.
     */
    static SharedMemoryConfig config(final ConsistencyModel model)
    {
        return SharedMemoryConfig.builder()
            .model(model)
            .processSlots(8)
            .logsPerProcess(8)
            // objects and CAUSAL's history copies of them in the small tier, the directory in the large one
            .pool(PoolConfig.builder().tier(64, 1024).tier(512, 4).build())
            .build();
    }

    /**
     * The state every run starts from: counter 0, balance {@value #INITIAL_BALANCE}, other fields 0.
     *
     * @param objects how many.
     * @return words per object.
     */
    static long[][] initialState(final int objects)
    {
        final long[][] state = new long[objects][Program.WORDS];
        for (final long[] words : state)
        {
            words[Program.BALANCE] = INITIAL_BALANCE;
        }
        return state;
    }

    /**
     * Allocates the objects, writes {@code initial} into them in one transaction and binds the directory.
     *
     * @param shm     the shared memory.
     * @param initial words per object.
     * @return the handles.
     */
    static long[] create(final SharedMemory shm, final long[][] initial)
    {
        final long[] handles = new long[initial.length];
        final long directory = shm.allocate(handles.length * Long.BYTES);
        for (int o = 0; o < handles.length; o++)
        {
            handles[o] = shm.allocate(Program.WORDS * Long.BYTES);
        }
        shm.transact(tx ->
        {
            for (int o = 0; o < handles.length; o++)
            {
                tx.putLong(directory, o * Long.BYTES, handles[o]);
                for (int w = 0; w < Program.WORDS; w++)
                {
                    tx.putLong(handles[o], w * Long.BYTES, initial[o][w]);
                }
            }
        });
        shm.bindRoot(ROOT, directory);
        return handles;
    }

    /**
     * The handles listed by the directory (in a child JVM).
     *
     * @param shm the shared memory.
     * @return the handles.
     */
    static long[] handles(final SharedMemory shm)
    {
        final long directory = shm.root(ROOT);
        return shm.readOnly(tx ->
        {
            final long[] handles = new long[tx.size(directory) / Long.BYTES];
            for (int o = 0; o < handles.length; o++)
            {
                handles[o] = tx.getLong(directory, o * Long.BYTES);
            }
            return handles;
        });
    }

    /**
     * Every word of every object, read in one read-only transaction.
     *
     * @param shm     the shared memory.
     * @param handles the objects.
     * @return words per object.
     */
    static long[][] state(final SharedMemory shm, final long[] handles)
    {
        return shm.readOnly(tx ->
        {
            final long[][] state = new long[handles.length][Program.WORDS];
            for (int o = 0; o < handles.length; o++)
            {
                for (int w = 0; w < Program.WORDS; w++)
                {
                    state[o][w] = tx.getLong(handles[o], w * Long.BYTES);
                }
            }
            return state;
        });
    }
}
