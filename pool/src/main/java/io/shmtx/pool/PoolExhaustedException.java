package io.shmtx.pool;

import java.nio.file.Path;

/**
 * No block could be handed out for a request: its tier (and, unless strict, every larger tier)
 * is exhausted. Immutable.
 */
public class PoolExhaustedException extends PoolException
{
    private static final long serialVersionUID = 1L;

    /** Tier that fits the request. */
    private final int tier;
    /** Requested size in bytes. */
    private final int size;

    /**
     * The request of {@code size} bytes for {@code tier} failed.
     *
     * @param file      region file.
     * @param tier      tier that fits the size.
     * @param blockSize that tier's block size.
     * @param size      requested size.
     * @param detail    what was tried.
     */
    public PoolExhaustedException(final Path file, final int tier, final int blockSize, final int size, final String detail)
    {
        super(file, "pool exhausted: size=" + size + " tier=" + tier + " (blockSize=" + blockSize + "): " + detail);
        this.tier = tier;
        this.size = size;
    }

    /**
     * The tier that fits the request.
     *
     * @return tier index.
     */
    public int tier()
    {
        return tier;
    }

    /**
     * The requested size.
     *
     * @return bytes.
     */
    public int size()
    {
        return size;
    }
}
