package io.shmtx.consistency;

import io.shmtx.region.RegionException;

import java.nio.file.Path;

/**
 * A consistency-module operation was refused or met state it cannot use; the message names the
 * region file and the object, log or value at fault. Nothing was changed.
 *
 * <p>Instances are immutable and threadsafe.
 */
public class ConsistencyException extends RegionException
{
    private static final long serialVersionUID = 1L;

    /**
     * An error in {@code file}.
     *
     * @param file    region file.
     * @param message what went wrong.
     */
    public ConsistencyException(final Path file, final String message)
    {
        super(file, message);
    }
}
