package io.shmtx.pool;

import java.nio.file.Path;

/**
 * A free of a block that was already freed through the same handle. Nothing in the region changed. Immutable.
 */
public class DoubleFreeException extends HandleException
{
    private static final long serialVersionUID = 1L;

    /**
     * The handle was refused.
     *
     * @param file    region file.
     * @param handle  the handle.
     * @param message details.
     */
    public DoubleFreeException(final Path file, final long handle, final String message)
    {
        super(file, handle, message);
    }
}
