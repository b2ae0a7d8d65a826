package io.shmtx.pool;

import java.nio.file.Path;

/**
 * A handle that names no block: null, a tier or index out of range, a reserved bit set (a forged or corrupted handle). Nothing in the region changed. Immutable.
 */
public class InvalidHandleException extends HandleException
{
    private static final long serialVersionUID = 1L;

    /**
     * The handle was refused.
     *
     * @param file    region file.
     * @param handle  the handle.
     * @param message details.
     */
    public InvalidHandleException(final Path file, final long handle, final String message)
    {
        super(file, handle, message);
    }
}
