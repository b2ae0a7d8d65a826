package io.shmtx.consistency;

import java.nio.file.Path;

/**
 * {@link Tx#retry(java.time.Duration)} waited its whole timeout and none of the objects the
 * transaction read was changed; the transaction was rolled back (nothing it wrote is visible).
 *
 * <p>Instances are immutable and threadsafe.
 */
public class RetryTimeoutException extends ConsistencyException
{
    private static final long serialVersionUID = 1L;

    /**
     * A retry that timed out.
     *
     * @param file    region file.
     * @param message what was waited for.
     */
    public RetryTimeoutException(final Path file, final String message)
    {
        super(file, message);
    }
}
