package io.shmtx.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * {@link TextTable} and {@link Text}: nothing printed is wider than {@link Text#WIDTH} (but a single
 * cell or word that is), and nothing is lost when a table or a list has to be broken.
 */
class TextTableTest
{
    private static String print(final java.util.function.Consumer<PrintWriter> printer)
    {
        final StringWriter text = new StringWriter();
        try (PrintWriter out = new PrintWriter(text))
        {
            printer.accept(out);
        }
        return text.toString();
    }

    @Test
    void aNarrowTableIsOneTableAlignedByColumn()
    {
        final String out = print(o -> new TextTable("SLOT", "STATE", "LOCKS").left(1).row(0, "attached", 4)
            .row(12, "dead", 1).print(o, "  "));

        assertEquals("  SLOT STATE    LOCKS\n"
            + "     0 attached     4\n"
            + "    12 dead         1\n", out);
    }

    /** Thirteen columns of 19-digit counters: as several tables, each with the key column, every cell kept. */
    @Test
    void aWideTableIsSplitIntoTablesThatFitRepeatingTheKeyColumn()
    {
        final String[] headers = new String[13];
        final Object[] row = new Object[13];
        headers[0] = "TIER";
        row[0] = 7;
        for (int c = 1; c < headers.length; c++)
        {
            headers[c] = "C" + c;
            row[c] = Long.MAX_VALUE - c;
        }

        final String out = print(o -> new TextTable(headers).row(row).print(o, "  "));

        final String[] lines = out.split("\n");
        assertTrue(lines.length >= 6 && lines.length % 2 == 0, out);
        for (int i = 0; i < lines.length; i++)
        {
            assertTrue(lines[i].length() <= Text.WIDTH, () -> "wider than " + Text.WIDTH + ":\n" + out);
            assertTrue(lines[i].startsWith(i % 2 == 0 ? "  TIER " : "     7 "), out);
        }
        for (int c = 1; c < headers.length; c++)
        {
            assertEquals(1, count(out, " C" + c + " ") + count(out, " C" + c + "\n"), "header C" + c + " once: " + out);
            assertEquals(1, count(out, Long.toString(Long.MAX_VALUE - c)), "value of C" + c + " once: " + out);
        }
    }

    private static int count(final String text, final String part)
    {
        int n = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1))
        {
            n++;
        }
        return n;
    }

    @Test
    void aLongListBreaksBetweenItemsOnly()
    {
        final List<String> items = new ArrayList<>();
        for (int i = 0; i < 40; i++)
        {
            items.add("REASON_" + i + " " + (1000L * i));
        }

        final String out = print(o -> Text.list(o, "  ", "aborts: ", items));

        final String[] lines = out.split("\n");
        assertTrue(lines.length > 1, out);
        assertTrue(lines[0].startsWith("  aborts: REASON_0 0, REASON_1 1000,"), out);
        for (int i = 1; i < lines.length; i++)
        {
            assertTrue(lines[i].startsWith("      REASON_"), out);
        }
        for (final String line : lines)
        {
            assertTrue(line.length() <= Text.WIDTH, out);
        }
        assertEquals("aborts: " + String.join(", ", items), out.replaceAll("\\s*\n\\s*", " ").strip());
    }
}
