package io.shmtx.consistency;

import java.nio.file.Path;

/**
 * {@link SharedMemory#transact} aborted as many times as the retry policy allows
 * ({@link SharedMemoryConfig.Builder#retry}); the message names the attempts and the last abort
 * reason. Nothing of the transaction is visible.
 *
 * <p>Instances are immutable and threadsafe.
 */
public final class RetryLimitExceededException extends TransactionAbortedException
{
    private static final long serialVersionUID = 1L;

    /** Attempts made before the limit was reached. */
    private final int attempts;

    /**
     * The retry limit was reached.
     *
     * @param file     region file.
     * @param reason   last abort reason.
     * @param attempts attempts made.
     * @param detail   what the last abort met.
     */
    public RetryLimitExceededException(final Path file, final AbortReason reason, final int attempts, final String detail)
    {
        super(file, reason, "transaction aborted " + attempts + " times (the retry policy's limit); last reason " + reason
            + ": " + detail);
        this.attempts = attempts;
    }

    /**
     * Attempts made.
     *
     * @return the count.
     */
    public int attempts()
    {
        return attempts;
    }
}
