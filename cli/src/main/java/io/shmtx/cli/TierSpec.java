package io.shmtx.cli;

import io.shmtx.pool.TierConfig;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * One pool tier on the command line: {@code BLOCKSIZE:COUNT[:RESERVE]}, the block size in bytes
 * or with k, m, g ({@code 64:8192}, {@code 4k:256}, {@code 64:8192:16}).
 *
 * <p>This class is threadsafe (it has no state).
 */
final class TierSpec implements ITypeConverter<TierConfig>
{
    @Override
    public TierConfig convert(final String value)
    {
        return parse(value);
    }

    /**
     * Parses a tier.
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
