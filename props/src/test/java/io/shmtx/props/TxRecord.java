package io.shmtx.props;

import java.util.ArrayList;
import java.util.List;

/**
 * One committed transaction of a history: its program, every value it read, in order, how many
 * attempts it took and when it ran. Immutable (the arrays are not copied: do not change them).
 *
 * <p>{@code begin} and {@code end} are {@link System#nanoTime()} readings taken before the first
 * attempt began and after the commit returned. On Linux that clock is CLOCK_MONOTONIC, one
 * clock for every process of the host, so records of different JVMs compare: when one
 * transaction's {@code end} is below another's {@code begin}, the first committed before the
 * second began ({@link SnapshotChecker} uses it).
 *
 * @param id       a name for messages, unique in the history.
 * @param program  what it ran.
 * @param reads    the words of each read of the attempt that committed, in the order {@link Program#run} made them.
 * @param attempts attempts it took (1: it never aborted).
 * @param begin    nanoTime before it began.
 * @param end      nanoTime after it committed, at least {@code begin}.
 */
record TxRecord(String id, Program program, List<long[]> reads, int attempts, long begin, long end)
{
    TxRecord
    {
        reads = List.copyOf(reads);
        if (attempts < 1 || end < begin)
        {
            throw new IllegalArgumentException(id + ": attempts " + attempts + " and times " + begin + ".." + end
                + " must be at least 1 and in order");
        }
    }

    /**
     * A record of one attempt with no times (all 0: no record is known to come before another).
     *
     * @param id      a name for messages.
     * @param program what it ran.
     * @param reads   the words of each read.
     */
    TxRecord(final String id, final Program program, final List<long[]> reads)
    {
        this(id, program, reads, 1, 0, 0);
    }

    /**
     * One line: {@code id|program|read;read;...|attempts|begin|end}, each read its words joined by commas.
     *
     * @return the line.
     */
    String encode()
    {
        final StringBuilder line = new StringBuilder(id).append('|').append(program.encode()).append('|');
        for (int r = 0; r < reads.size(); r++)
        {
            if (r > 0)
            {
                line.append(';');
            }
            final long[] words = reads.get(r);
            for (int w = 0; w < words.length; w++)
            {
                if (w > 0)
                {
                    line.append(',');
                }
                line.append(words[w]);
            }
        }
        return line.append('|').append(attempts).append('|').append(begin).append('|').append(end).toString();
    }

    static TxRecord decode(final String line)
    {
        final String[] parts = line.split("\\|", -1);
        if (parts.length != 6)
        {
            throw new IllegalArgumentException("history line '" + line + "' is not id|program|reads|attempts|begin|end");
        }
        final List<long[]> reads = new ArrayList<>();
        if (!parts[2].isEmpty())
        {
            for (final String read : parts[2].split(";"))
            {
                final String[] words = read.split(",");
                final long[] values = new long[words.length];
                for (int w = 0; w < words.length; w++)
                {
                    values[w] = Long.parseLong(words[w]);
                }
                reads.add(values);
            }
        }
        return new TxRecord(parts[0], Program.decode(parts[1]), reads, Integer.parseInt(parts[3]), Long.parseLong(parts[4]),
            Long.parseLong(parts[5]));
    }

    @Override
    public String toString()
    {
        return encode();
    }
}
