package io.shmtx.deadlock;

import io.shmtx.region.RegionException;

import java.nio.file.Path;

/**
 * The lock table holds a value no lock manager writes: a transaction cell whose id names another
 * cell, an id beyond the table's cells, or a reader lane that no longer holds the id its
 * transaction claimed it with. Thrown where it is met, naming the file, the cell or entry and the
 * value; what is corrupt is left as found, and nothing is decided on it. Immutable.
 */
public class LockTableCorruptException extends RegionException
{
    private static final long serialVersionUID = 1L;

    /** Transaction cell concerned, or -1. */
    private final int cell;
    /** Lock entry concerned, or -1. */
    private final int entry;

    /**
     * A corrupt value in the lock table of {@code file}.
     *
     * @param file    region file.
     * @param cell    transaction cell concerned, or -1.
     * @param entry   lock entry concerned, or -1.
     * @param message what is corrupt: where, and the value found.
     */
    public LockTableCorruptException(final Path file, final int cell, final int entry, final String message)
    {
        super(file, message);
        this.cell = cell;
        this.entry = entry;
    }

    /**
     * The transaction cell concerned.
     *
     * @return the cell index, or -1 when the fault is in a lock entry only.
     */
    public int cell()
    {
        return cell;
    }

    /**
     * The lock entry concerned.
     *
     * @return the entry index, or -1 when the fault is in a transaction cell only.
     */
    public int entry()
    {
        return entry;
    }
}
