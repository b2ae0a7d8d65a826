package io.shmtx.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A table printed as text within {@link Text#WIDTH} columns: each column as wide as its widest
 * cell (header included), numbers right-aligned, chosen columns left-aligned, one space between
 * columns, no trailing spaces. A table wider than the width is printed as several tables, one
 * under the other, each repeating the first (key) column, so that no line is longer than the
 * width unless a single cell is.
 *
 * <p>Not threadsafe: fill and print it in one thread.
 */
final class TextTable
{
    private static final String GAP = " ";

    private final String[] headers;
    private final boolean[] left;
    private final List<String[]> rows = new ArrayList<>();

    /**
     * A table with these column headers, every column right-aligned until {@link #left} says otherwise.
     *
     * @param headers column headers.
     */
    TextTable(final String... headers)
    {
        this.headers = headers.clone();
        this.left = new boolean[headers.length];
    }

    /**
     * Left-aligns columns (text rather than numbers).
     *
     * @param columns column indexes.
     * @return this table.
     */
    TextTable left(final int... columns)
    {
        for (final int column : columns)
        {
            left[column] = true;
        }
        return this;
    }

    /**
     * Adds a row.
     *
     * @param cells one value per column, printed with {@link String#valueOf(Object)}.
     * @return this table.
     * @throws IllegalArgumentException when the row has another number of cells than the headers.
     */
    TextTable row(final Object... cells)
    {
        if (cells.length != headers.length)
        {
            throw new IllegalArgumentException(cells.length + " cells for " + headers.length + " columns: "
                + Arrays.toString(cells));
        }
        final String[] row = new String[cells.length];
        for (int c = 0; c < cells.length; c++)
        {
            row[c] = String.valueOf(cells[c]);
        }
        rows.add(row);
        return this;
    }

    /**
     * Prints the header line and the rows, each line after {@code indent}; as several tables when
     * one would be wider than {@link Text#WIDTH}.
     *
     * @param out    where to print.
     * @param indent prefix of every line.
     */
    void print(final PrintWriter out, final String indent)
    {
        final int[] widths = widths();
        int from = 1;
        do
        {
            int to = from;
            int used = indent.length() + widths[0];
            while (to < headers.length && (to == from || used + GAP.length() + widths[to] <= Text.WIDTH))
            {
                used += GAP.length() + widths[to];
                to++;
            }
            printColumns(out, indent, widths, from, to);
            from = to;
        }
        while (from < headers.length);
    }

    private void printColumns(final PrintWriter out, final String indent, final int[] widths, final int from,
        final int to)
    {
        out.println(line(indent, headers, widths, from, to));
        for (final String[] row : rows)
        {
            out.println(line(indent, row, widths, from, to));
        }
    }

    /** The key column, then columns {@code from} (inclusive) to {@code to} (exclusive). */
    private String line(final String indent, final String[] cells, final int[] widths, final int from, final int to)
    {
        final StringBuilder line = new StringBuilder(indent);
        cell(line, cells, widths, 0);
        for (int c = from; c < to; c++)
        {
            line.append(GAP);
            cell(line, cells, widths, c);
        }
        return line.toString().stripTrailing();
    }

    private void cell(final StringBuilder line, final String[] cells, final int[] widths, final int c)
    {
        final String pad = " ".repeat(widths[c] - cells[c].length());
        if (left[c])
        {
            line.append(cells[c]).append(pad);
        }
        else
        {
            line.append(pad).append(cells[c]);
        }
    }

    private int[] widths()
    {
        final int[] widths = new int[headers.length];
        for (int c = 0; c < headers.length; c++)
        {
            widths[c] = headers[c].length();
            for (final String[] row : rows)
            {
                widths[c] = Math.max(widths[c], row[c].length());
            }
        }
        return widths;
    }
}
