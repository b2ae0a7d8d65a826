package io.shmtx.cli;

import java.util.List;
import java.util.Locale;

/**
 * The command name nearest to a mistyped one: by edit distance (insertions, deletions,
 * substitutions and swaps of two adjacent letters each count one), at most {@link #MAX_DISTANCE},
 * or a name the typed word begins (two letters or more); ties go to the earlier name.
 *
 * <p>This class is threadsafe (it has no state).
 */
final class Nearest
{
    /** Farthest a suggestion may be from what was typed. */
    static final int MAX_DISTANCE = 2;

    private Nearest()
    {
    }

    /**
     * The nearest name.
     *
     * @param typed what was typed.
     * @param names the names, in the order to prefer on a tie.
     * @return the nearest name, or null when none is near.
     */
    static String name(final String typed, final List<String> names)
    {
        final String word = typed.toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (final String name : names)
        {
            final int distance = word.length() >= 2 && name.startsWith(word) ? 1 : distance(word, name);
            if (distance <= MAX_DISTANCE && distance < bestDistance)
            {
                best = name;
                bestDistance = distance;
            }
        }
        return best;
    }

    /** Optimal string alignment distance. */
    static int distance(final String a, final String b)
    {
        final int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++)
        {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++)
        {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++)
        {
            for (int j = 1; j <= b.length(); j++)
            {
                final int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1))
                {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
