package io.shmtx.pool;

import io.shmtx.region.RegionFormatException;

import java.nio.file.Path;

/**
 * The pool section holds a value that no correct process writes: an index out of range, a state
 * that cannot be, a list that loops. The operation stopped before using the value. Immutable.
 */
public class PoolCorruptException extends RegionFormatException
{
    private static final long serialVersionUID = 1L;

    /**
     * A corrupt field.
     *
     * @param file     region file.
     * @param field    field at fault, e.g. {@code "tier[2].block[17].next"}.
     * @param found    value found.
     * @param required what a correct pool holds.
     */
    public PoolCorruptException(final Path file, final String field, final String found, final String required)
    {
        super(file, field, found, required);
    }
}
