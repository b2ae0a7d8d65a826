package io.shmtx.consistency;

import java.nio.file.Path;

/**
 * A transaction wrote (or allocated, or freed) more than its log holds: more objects than the
 * object table's capacity or more bytes than the redo capacity
 * ({@link SharedMemoryConfig.Builder#maxObjectsPerTransaction},
 * {@link SharedMemoryConfig.Builder#redoCapacity}). The transaction is aborted; nothing it
 * wrote is visible. Retrying does not help: split the transaction or create the region with
 * larger logs.
 *
 * <p>Instances are immutable and threadsafe.
 */
public final class TransactionTooLargeException extends ConsistencyException
{
    private static final long serialVersionUID = 1L;

    /**
     * The log is full.
     *
     * @param file    region file.
     * @param message which capacity and how much was asked.
     */
    public TransactionTooLargeException(final Path file, final String message)
    {
        super(file, message);
    }
}
