package io.shmtx.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Sizes on the command line and in output: {@code 4096}, {@code 64k}, {@code 64m}, {@code 1g}
 * (binary units; an optional {@code b} or {@code ib} may follow: {@code 64MiB}, {@code 64mb}).
 *
 * <p>This class is threadsafe (it has no state).
 */
final class ByteSize implements ITypeConverter<Long>
{
    private static final Pattern SIZE = Pattern.compile("(\\d{1,19})\\s*([kmg]?)(i?b)?");

    @Override
    public Long convert(final String value)
    {
        return parse(value);
    }

    /**
     * Parses a size.
     *
     * @param value text such as {@code 64m}.
     * @return bytes.
     * @throws TypeConversionException naming the value when it is not a size.
     */
    static long parse(final String value)
    {
        final Matcher matcher = SIZE.matcher(value.strip().toLowerCase(Locale.ROOT));
        if (!matcher.matches() || (matcher.group(2).isEmpty() && "ib".equals(matcher.group(3))))
        {
            throw new TypeConversionException("'" + value + "' is not a size: give bytes or a number with k, m or g"
                + " (e.g. 4096, 64k, 64m, 1g)");
        }
        final int shift;
        switch (matcher.group(2))
        {
            case "k": shift = 10; break;
            case "m": shift = 20; break;
            case "g": shift = 30; break;
            default: shift = 0; break;
        }
        try
        {
            final long number = Long.parseLong(matcher.group(1));
            if (number > (Long.MAX_VALUE >> shift))
            {
                throw new NumberFormatException();
            }
            return number << shift;
        }
        catch (final NumberFormatException ex)
        {
            throw new TypeConversionException("'" + value + "' is too large a size");
        }
    }

    /**
     * A size for people: {@code 64 MiB}, {@code 1.5 GiB}, {@code 512 bytes}.
     *
     * @param bytes size in bytes.
     * @return text.
     */
    static String format(final long bytes)
    {
        final String[] units = {"KiB", "MiB", "GiB", "TiB"};
        if (bytes < 1024)
        {
            return bytes + " bytes";
        }
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1)
        {
            value /= 1024;
            unit++;
        }
        final String number = value == Math.rint(value)
            ? String.valueOf((long)value) : String.format(Locale.ROOT, "%.1f", value);
        return number + " " + units[unit];
    }
}
