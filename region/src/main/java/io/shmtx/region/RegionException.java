package io.shmtx.region;

import java.nio.file.Path;

/**
 * Base of the exceptions thrown by the region module. Each names the region file at fault.
 *
 * <p>Instances are immutable and threadsafe.
 */
public class RegionException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /**
     * An error about {@code file}.
     *
     * @param file    region file concerned, may be {@code null} when none is.
     * @param message what went wrong; the file is prefixed to it.
     */
    public RegionException(final Path file, final String message)
    {
        this(file, message, null);
    }

    /**
     * An error about {@code file} with a cause.
     *
     * @param file    region file concerned, may be {@code null} when none is.
     * @param message what went wrong; the file is prefixed to it.
     * @param cause   underlying error.
     */
    public RegionException(final Path file, final String message, final Throwable cause)
    {
        super(file == null ? message : "region " + file + ": " + message, cause);
        this.file = file;
    }

    /**
     * The region file concerned.
     *
     * @return the path, or {@code null}.
     */
    public Path file()
    {
        return file;
    }
}
