package io.shmtx.region;

import java.nio.file.Path;

/**
 * {@link Region#attach()} found no process slot it could take: every one owned by a live process,
 * or by dead ones this process cannot recover (the message says which).
 *
 * <p>Instances are immutable and threadsafe.
 */
public class ProcessTableFullException extends RegionException
{
    private static final long serialVersionUID = 1L;

    /** Number of process slots of the region. */
    private final int capacity;

    /**
     * The process table of {@code file} is full.
     *
     * @param file     region file.
     * @param capacity number of process slots.
     */
    public ProcessTableFullException(final Path file, final int capacity)
    {
        this(file, capacity, "all owned by live processes (create the region with more processSlots)");
    }

    /**
     * The process table of {@code file} is full, for the reason given.
     *
     * @param file     region file.
     * @param capacity number of process slots.
     * @param why      why no slot could be had, e.g. dead slots this process cannot recover.
     */
    public ProcessTableFullException(final Path file, final int capacity, final String why)
    {
        super(file, "process table is full: capacity=" + capacity + " slots, " + why);
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
