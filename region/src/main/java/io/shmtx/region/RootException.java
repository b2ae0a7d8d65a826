package io.shmtx.region;

import java.nio.file.Path;

/**
 * A named-root operation failed: the name is already bound, is not bound, or the roots table is
 * full. The message names the root.
 *
 * <p>Instances are immutable and threadsafe.
 */
public class RootException extends RegionException
{
    private static final long serialVersionUID = 1L;

    /** Root name concerned. */
    private final String name;

    /**
     * A root operation on {@code name} failed.
     *
     * @param file    region file.
     * @param name    root name.
     * @param message what went wrong.
     */
    public RootException(final Path file, final String name, final String message)
    {
        super(file, "root '" + name + "': " + message);
        this.name = name;
    }

    /**
     * The root name concerned.
     *
     * @return the name.
     */
    public String name()
    {
        return name;
    }
}
