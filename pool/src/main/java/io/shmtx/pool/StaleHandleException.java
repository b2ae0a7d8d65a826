package io.shmtx.pool;

import java.nio.file.Path;

/**
 * A handle whose block was freed (and perhaps handed out again) since the handle was made: its generation does not match the block's. Nothing in the region changed. Immutable.
 */
public class StaleHandleException extends HandleException
{
    private static final long serialVersionUID = 1L;

    /**
     * The handle was refused.
     *
     * @param file    region file.
     * @param handle  the handle.
     * @param message details.
     */
    public StaleHandleException(final Path file, final long handle, final String message)
    {
        super(file, handle, message);
    }
}
