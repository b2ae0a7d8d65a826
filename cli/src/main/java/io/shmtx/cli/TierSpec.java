package io.shmtx.cli;

import io.shmtx.pool.TierConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import picocli.CommandLine.TypeConversionException;

/**
 * Pool tiers on the command line: a comma-separated list of {@code BLOCKSIZE:COUNT[:RESERVE]},
 * the block size in bytes or with k, m, g ({@code 64:8192}, {@code 4k:256}, {@code 64:8192:16}).
 * Every element between commas must be a tier: an empty one ({@code ","}, {@code "64:10,"},
 * {@code "64:10,,4k:4"}) is refused, never skipped (picocli's own splitting drops trailing empty
 * elements, which turned {@code ","} into no tiers at all, i.e. the default pool).
 *
 * <p>This class is threadsafe (it has no state).
 */
final class TierSpec
{
    private TierSpec()
    {
    }

    /**
     * Parses a comma-separated list of tiers.
     *
     * @param value text such as {@code 64:8192,4k:256}.
     * @return the tiers, each validated, in the order given.
     * @throws TypeConversionException naming the value, the tier (by position, when there are
     *                                 several) and what is wrong with it.
     */
    static List<TierConfig> parseList(final String value)
    {
        final String[] elements = value.split(",", -1);
        if (elements.length == 1)
        {
            return List.of(parse(value));
        }
        final List<TierConfig> tiers = new ArrayList<>(elements.length);
        for (int i = 0; i < elements.length; i++)
        {
            try
            {
                tiers.add(parse(elements[i]));
            }
            catch (final TypeConversionException ex)
            {
                throw new TypeConversionException("'" + value + "': tier " + (i + 1) + " of " + elements.length + ": "
                    + ex.getMessage());
            }
        }
        return tiers;
    }

    /**
     * Parses one tier.
     *
     * @param value text such as {@code 64:8192}.
     * @return the tier, validated.
     * @throws TypeConversionException naming the value and what is wrong with it.
     */
    static TierConfig parse(final String value)
    {
        final String[] parts = value.strip().split(":", -1);
        if (parts.length < 2 || parts.length > 3)
        {
            throw new TypeConversionException("'" + value + "' is not BLOCKSIZE:COUNT or BLOCKSIZE:COUNT:RESERVE"
                + " (e.g. 64:8192, 4k:256)");
        }
        final long blockSize = ByteSize.parse(parts[0]);
        if (blockSize > TierConfig.MAX_BLOCK_SIZE)
        {
            throw new TypeConversionException("'" + value + "': blockSize=" + blockSize + " is larger than "
                + TierConfig.MAX_BLOCK_SIZE);
        }
        final int count = number(value, "count", parts[1]);
        final int reserve = parts.length == 3 ? number(value, "reserve", parts[2]) : 0;
        try
        {
            return new TierConfig((int)blockSize, count, reserve);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new TypeConversionException("'" + value + "': " + ex.getMessage());
        }
    }

    private static int number(final String value, final String name, final String text)
    {
        try
        {
            return Integer.parseInt(text.strip());
        }
        catch (final NumberFormatException ex)
        {
            throw new TypeConversionException("'" + value + "': " + name + " '" + text + "' is not a whole number");
        }
    }

    /**
     * Tiers as {@code --pool-tiers} takes them: {@code 32:8192,64:8192,...,64k:16}.
     *
     * @param tiers the tiers.
     * @return text.
     */
    static String format(final List<TierConfig> tiers)
    {
        return tiers.stream().map(TierSpec::format).collect(Collectors.joining(","));
    }

    private static String format(final TierConfig tier)
    {
        final int size = tier.blockSize();
        final String blockSize = size % (1 << 20) == 0 ? (size >> 20) + "m"
            : size % 1024 == 0 ? (size >> 10) + "k" : Integer.toString(size);
        return blockSize.toLowerCase(Locale.ROOT) + ":" + tier.blockCount()
            + (tier.reserve() == 0 ? "" : ":" + tier.reserve());
    }
}
