package io.shmtx.pool;

/**
 * A block with a single owner, freed when closed: use it with try-with-resources.
 *
 * <p>Not threadsafe: one owner.
 *
 * <pre>{@code
 * try (PooledBlock block = pool.allocateBlock(100))
 * {
 *     block.putLong(0, 7L);
 * }
 * }</pre>
 */
public final class PooledBlock implements AutoCloseable
{
    private final TieredPool pool;
    private final long handle;
    private boolean closed;

    PooledBlock(final TieredPool pool, final long handle)
    {
        this.pool = pool;
        this.handle = handle;
    }

    /**
     * The block's handle.
     *
     * @return the handle.
     */
    public long handle()
    {
        return handle;
    }

    /**
     * Payload size.
     *
     * @return bytes.
     */
    public int size()
    {
        return pool.blockSize(handle);
    }

    /**
     * Writes a long.
     *
     * @param offset byte offset in the payload.
     * @param value  value.
     */
    public void putLong(final int offset, final long value)
    {
        pool.putLong(handle, offset, value);
    }

    /**
     * Reads a long.
     *
     * @param offset byte offset in the payload.
     * @return value.
     */
    public long getLong(final int offset)
    {
        return pool.getLong(handle, offset);
    }

    /**
     * Frees the block; later calls do nothing.
     */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            pool.free(handle);
        }
    }
}
