package io.shmtx.consistency;

import java.nio.file.Path;

/**
 * {@link Tx#commit()} of a manual transaction (or a read in it) found a conflict: the
 * transaction was rolled back (nothing it wrote is visible, its allocations are freed). Begin a
 * new one to try again, or use {@link SharedMemory#transact}, which retries by itself.
 *
 * <p>Instances are immutable and threadsafe.
 */
public class TransactionAbortedException extends ConsistencyException
{
    private static final long serialVersionUID = 1L;

    /** Why the transaction was aborted. */
    private final AbortReason reason;

    /**
     * An aborted transaction.
     *
     * @param file    region file.
     * @param reason  why.
     * @param message details.
     */
    public TransactionAbortedException(final Path file, final AbortReason reason, final String message)
    {
        super(file, message);
        this.reason = reason;
    }

    /**
     * Why the transaction was aborted.
     *
     * @return the reason.
     */
    public AbortReason reason()
    {
        return reason;
    }
}
