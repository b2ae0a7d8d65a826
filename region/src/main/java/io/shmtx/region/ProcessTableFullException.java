package io.shmtx.region;

import java.nio.file.Path;

/**
 * {@link Region#attach()} found every process slot owned by a live process.
 *
 * <p>Instances are immutable and threadsafe.
 */
public class ProcessTableFullException extends RegionException
{
    private static final long serialVersionUID = 1L;

    private final int capacity;

    /**
     * The process table of {@code file} is full.
     *
     * @param file     region file.
     * @param capacity number of process slots.
     */
    public ProcessTableFullException(final Path file, final int capacity)
    {
        super(file, "process table is full: capacity=" + capacity
            + " slots, all owned by live processes (create the region with more processSlots)");
        this.capacity = capacity;
    }

    /**
     * Number of process slots of the region.
     *
     * @return the capacity.
     */
    public int capacity()
    {
        return capacity;
    }
}
