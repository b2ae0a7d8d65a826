package io.shmtx.region;

import java.nio.file.Path;

/**
 * This JVM lacks an option shmtx needs, found before any file was touched: nothing was created,
 * opened or deleted. The message names the option and where to add it.
 *
 * <p>Instances are immutable and threadsafe.
 */
public class MissingJvmOptionException extends RegionException
{
    private static final long serialVersionUID = 1L;

    /** The missing option, as written on a java command line. */
    private final String option;

    /**
     * The JVM that tried to use {@code file} was started without {@code option}.
     *
     * @param file   region file the call was about, may be {@code null}.
     * @param option the missing option, as it is written on a java command line.
     * @param why    what needs it.
     * @param how    where to add it.
     */
    public MissingJvmOptionException(final Path file, final String option, final String why, final String how)
    {
        super(file, "this JVM was started without " + option + ", which " + why + "; nothing was created, opened or deleted. "
            + how);
        this.option = option;
    }

    /**
     * The missing option, as written on a java command line.
     *
     * @return e.g. {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED}.
     */
    public String option()
    {
        return option;
    }
}
