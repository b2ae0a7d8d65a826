package io.shmtx.refcount;

import io.shmtx.region.RegionException;

import java.nio.file.Path;

/**
 * A reference-count operation was refused (nothing changed), or could not finish waiting for
 * another process. The message names the region file, the handle and the slot concerned.
 * Immutable.
 */
public class RefCountException extends RegionException
{
    private static final long serialVersionUID = 1L;

    /**
     * A refused operation.
     *
     * @param file    region file.
     * @param message what and why.
     */
    public RefCountException(final Path file, final String message)
    {
        super(file, message);
    }
}
