package io.shmtx.deadlock;

import io.shmtx.region.RegionException;

import java.nio.file.Path;

/**
 * A transaction was aborted by the lock manager; it holds no lock any more and may be retried
 * with {@link Txn#restart()} (keeping its age). Immutable.
 */
public class TxAbortedException extends RegionException
{
    private static final long serialVersionUID = 1L;

    /** Why the transaction was aborted. */
    private final AbortReason reason;

    /**
     * An abort.
     *
     * @param file    region file.
     * @param reason  why.
     * @param message details: the transaction, the lock and the holder.
     */
    public TxAbortedException(final Path file, final AbortReason reason, final String message)
    {
        super(file, "transaction aborted (" + reason + "): " + message);
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
