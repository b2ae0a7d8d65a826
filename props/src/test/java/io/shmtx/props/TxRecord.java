package io.shmtx.props;

import java.util.ArrayList;
import java.util.List;

/**
 * One committed transaction of a history: its program and every value it read, in order.
 * Immutable (the arrays are not copied: do not change them).
 *
 * @param id      a name for messages, unique in the history.
 * @param program what it ran.
 * @param reads   the words of each read, in the order {@link Program#run} made them.
 */
record TxRecord(String id, Program program, List<long[]> reads)
{
    TxRecord
    {
        reads = List.copyOf(reads);
    }

    /**
     * One line: {@code id|program|read;read;...}, each read its words joined by commas.
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
        return line.toString();
    }

    static TxRecord decode(final String line)
    {
        final String[] parts = line.split("\\|", -1);
        if (parts.length != 3)
        {
            throw new IllegalArgumentException("history line '" + line + "' is not id|program|reads");
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
        return new TxRecord(parts[0], Program.decode(parts[1]), reads);
    }

    @Override
    public String toString()
    {
        return encode();
    }
}
