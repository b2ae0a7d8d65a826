package io.shmtx.pool;

import java.nio.file.Path;

/**
 * A handle was refused; nothing in the region changed. Subclasses say why. Immutable.
 */
public class HandleException extends PoolException
{
    private static final long serialVersionUID = 1L;

    /** The refused handle. */
    private final long handle;

    /**
     * {@code handle} was refused.
     *
     * @param file    region file.
     * @param handle  the handle.
     * @param message why.
     */
    public HandleException(final Path file, final long handle, final String message)
    {
        super(file, "handle " + Handles.toString(handle) + ": " + message);
        this.handle = handle;
    }

    /**
     * The refused handle.
     *
     * @return the handle.
     */
    public long handle()
    {
        return handle;
    }
}
