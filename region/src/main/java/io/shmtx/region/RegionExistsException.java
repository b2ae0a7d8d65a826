package io.shmtx.region;

import java.nio.file.Path;

/**
 * {@link Region#create(Path, RegionConfig)} found a ready region at the path. Use
 * {@link Region#open(Path)} or {@link Region#openOrCreate(Path, RegionConfig)} to share it.
 *
 * <p>Instances are immutable and threadsafe.
 */
public class RegionExistsException extends RegionException
{
    private static final long serialVersionUID = 1L;

    /**
     * A ready region already exists at {@code file}.
     *
     * @param file the region file.
     */
    public RegionExistsException(final Path file)
    {
        super(file, "a ready region already exists; open it instead of creating it");
    }
}
