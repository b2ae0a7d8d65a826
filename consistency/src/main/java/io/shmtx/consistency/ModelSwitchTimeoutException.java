package io.shmtx.consistency;

import java.nio.file.Path;

/**
 * A model switch could not complete in the configured {@link SharedMemoryConfig#switchTimeout()}:
 * a transaction of the old epoch was still running (the message names its log and process slot),
 * or another switch held the switch for the whole time. The old model stays in force. Also thrown
 * to a transaction that waited at its begin for a switch whose process neither finished nor died.
 *
 * <p>Instances are immutable and threadsafe.
 */
public class ModelSwitchTimeoutException extends ConsistencyException
{
    private static final long serialVersionUID = 1L;

    /**
     * A switch that timed out.
     *
     * @param file    region file.
     * @param message what was waited for.
     */
    public ModelSwitchTimeoutException(final Path file, final String message)
    {
        super(file, message);
    }
}
