package io.shmtx.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;

/**
 * Text that fits in {@link #WIDTH} columns: lists and sentences broken between their items or
 * words, continuation lines indented further.
 *
 * <p>This class is threadsafe (it has no state).
 */
final class Text
{
    /** The widest line the views print (a path longer than that is printed whole). */
    static final int WIDTH = 100;
    /** How much further than the first line a continuation line is indented. */
    static final String CONTINUATION = "    ";

    private Text()
    {
    }

    /**
     * Prints {@code head} followed by the items separated by ", ", on as many lines as needed,
     * breaking only between items.
     *
     * @param out    where to print.
     * @param indent prefix of the first line (continuation lines get {@link #CONTINUATION} more).
     * @param head   text before the first item, e.g. {@code "counters: "}.
     * @param items  the items.
     */
    static void list(final PrintWriter out, final String indent, final String head, final List<String> items)
    {
        fill(out, indent, head, items, ", ");
    }

    /**
     * Prints a sentence on as many lines as needed, breaking only between words.
     *
     * @param out    where to print.
     * @param indent prefix of the first line (continuation lines get {@link #CONTINUATION} more).
     * @param text   the sentence.
     */
    static void sentence(final PrintWriter out, final String indent, final String text)
    {
        fill(out, indent, "", Arrays.asList(text.split(" ")), " ");
    }

    private static void fill(final PrintWriter out, final String indent, final String head, final List<String> pieces,
        final String separator)
    {
        final String more = indent + CONTINUATION;
        final StringBuilder line = new StringBuilder(indent).append(head);
        boolean lineHasPiece = false;
        for (int i = 0; i < pieces.size(); i++)
        {
            final String piece = pieces.get(i) + (i < pieces.size() - 1 ? separator.stripTrailing() : "");
            final int needed = (lineHasPiece ? 1 : 0) + piece.length();
            if (lineHasPiece && line.length() + needed > WIDTH)
            {
                out.println(line);
                line.setLength(0);
                line.append(more);
                lineHasPiece = false;
            }
            line.append(lineHasPiece ? " " : "").append(piece);
            lineHasPiece = true;
        }
        out.println(line);
    }
}
