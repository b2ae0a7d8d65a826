package io.shmtx.pool;

import io.shmtx.region.RegionException;

import java.nio.file.Path;

/**
 * Base of the pool's exceptions; the message names the region file and the tier, handle or
 * value at fault. Immutable.
 */
public class PoolException extends RegionException
{
    private static final long serialVersionUID = 1L;

    /**
     * A pool error in {@code file}.
     *
     * @param file    region file.
     * @param message what went wrong.
     */
    public PoolException(final Path file, final String message)
    {
        super(file, message);
    }
}
