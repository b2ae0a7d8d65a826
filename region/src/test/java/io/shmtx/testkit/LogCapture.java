package io.shmtx.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects what one logger logs, through {@code java.util.logging} (the backend of
 * {@link System.Logger} when no other is installed): a handler on the named logger, at every
 * level while open; {@link #close()} removes it and restores the level.
 *
 * <p>Threadsafe: records are added by whichever thread logs them.
 */
public final class LogCapture implements AutoCloseable
{
    private final Logger logger;
    private final Level level;
    private final List<LogRecord> records = new ArrayList<>();
    private final Handler handler = new Handler()
    {
        @Override
        public void publish(final LogRecord record)
        {
            synchronized (records)
            {
                records.add(record);
                records.notifyAll();
            }
        }

        @Override
        public void flush()
        {
        }

        @Override
        public void close()
        {
        }
    };

    /**
     * Starts collecting what {@code name} logs, at every level.
     *
     * @param name the logger's name, e.g. {@code "io.shmtx.region"}.
     */
    public LogCapture(final String name)
    {
        logger = Logger.getLogger(name); // held here: java.util.logging keeps loggers only weakly
        level = logger.getLevel();
        handler.setLevel(Level.ALL);
        logger.setLevel(Level.ALL);
        logger.addHandler(handler);
    }

    /**
     * Everything collected so far.
     *
     * @return the records, oldest first.
     */
    public List<LogRecord> records()
    {
        synchronized (records)
        {
            return new ArrayList<>(records);
        }
    }

    /**
     * The records at {@code level} or above, as {@code LEVEL message} lines.
     *
     * @param atLeast the lowest level kept.
     * @return the lines.
     */
    public List<String> lines(final Level atLeast)
    {
        final List<String> lines = new ArrayList<>();
        for (final LogRecord record : records())
        {
            if (record.getLevel().intValue() >= atLeast.intValue())
            {
                lines.add(record.getLevel() + " " + record.getMessage());
            }
        }
        return lines;
    }

    /**
     * Waits for a record matching {@code match}.
     *
     * @param match   what to wait for.
     * @param timeout how long at most.
     * @return the record.
     * @throws AssertionError with every record collected when none matches in time.
     */
    public LogRecord await(final Predicate<LogRecord> match, final Duration timeout)
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (records)
        {
            while (true)
            {
                for (final LogRecord record : records)
                {
                    if (match.test(record))
                    {
                        return record;
                    }
                }
                final long left = deadline - System.nanoTime();
                if (left <= 0)
                {
                    throw new AssertionError("no matching record from " + logger.getName() + " within " + timeout + "; got "
                        + lines(Level.ALL));
                }
                try
                {
                    records.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted", ex);
                }
            }
        }
    }

    @Override
    public void close()
    {
        logger.removeHandler(handler);
        logger.setLevel(level);
    }
}
