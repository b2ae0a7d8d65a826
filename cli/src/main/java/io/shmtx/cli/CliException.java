package io.shmtx.cli;

/**
 * An expected failure of a command (a child JVM that did not start, a timeout): {@link Main}
 * prints its message on one line, without a stack trace, and exits with {@link Main#EXIT_ERROR}.
 *
 * <p>Instances are immutable and threadsafe.
 */
final class CliException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    CliException(final String message)
    {
        super(message);
    }

    CliException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
