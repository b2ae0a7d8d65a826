package io.shmtx.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Durations on the command line: {@code 500ms}, {@code 90s}, {@code 5m}, {@code 1h} (a number and
 * a unit, no fraction), and ranges of them: {@code 200-800ms} (the unit after the second number
 * applies to a first number without one) or {@code 1s-2s}.
 *
 * <p>This class is threadsafe (it has no state).
 */
final class Durations implements ITypeConverter<Duration>
{
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})\\s*(ms|s|m|h)?");
    private static final Pattern RANGE = Pattern.compile("(\\d{1,9})\\s*(ms|s|m|h)?\\s*-\\s*(\\d{1,9})\\s*(ms|s|m|h)");
    private static final String EXAMPLES = " (e.g. 500ms, 90s, 5m, 1h)";

    @Override
    public Duration convert(final String value)
    {
        return parse(value);
    }

    /**
     * Parses a duration with a unit.
     *
     * @param value text such as {@code 5m}.
     * @return the duration.
     * @throws TypeConversionException naming the value when it is not a duration.
     */
    static Duration parse(final String value)
    {
        final Matcher matcher = DURATION.matcher(value.strip().toLowerCase(Locale.ROOT));
        if (!matcher.matches() || matcher.group(2) == null)
        {
            throw new TypeConversionException("'" + value + "' is not a duration: give a number and a unit, ms, s, m or h"
                + EXAMPLES);
        }
        return of(Long.parseLong(matcher.group(1)), matcher.group(2));
    }

    private static Duration of(final long amount, final String unit)
    {
        switch (unit)
        {
            case "ms": return Duration.ofMillis(amount);
            case "s": return Duration.ofSeconds(amount);
            case "m": return Duration.ofMinutes(amount);
            default: return Duration.ofHours(amount);
        }
    }

    /**
     * A range of durations, {@code min <= max}: {@code 200-800ms}, {@code 1s-2s}, or one duration
     * ({@code 500ms}: min = max).
     *
     * @param min shortest.
     * @param max longest.
     */
    record Range(Duration min, Duration max)
    {
        @Override
        public String toString()
        {
            return min.equals(max) ? text(min) : text(min) + "-" + text(max);
        }
    }

    /**
     * Converter of {@link Range}s for picocli.
     *
     * <p>This class is threadsafe (it has no state).
     */
    static final class RangeConverter implements ITypeConverter<Range>
    {
        @Override
        public Range convert(final String value)
        {
            return parseRange(value);
        }
    }

    /**
     * Parses a range.
     *
     * @param value text such as {@code 200-800ms}.
     * @return the range.
     * @throws TypeConversionException naming the value when it is not a range or min &gt; max.
     */
    static Range parseRange(final String value)
    {
        final String text = value.strip().toLowerCase(Locale.ROOT);
        final Matcher matcher = RANGE.matcher(text);
        if (!matcher.matches())
        {
            final Duration one = parse(value);
            return new Range(one, one);
        }
        final String maxUnit = matcher.group(4);
        final Duration min = of(Long.parseLong(matcher.group(1)), matcher.group(2) == null ? maxUnit : matcher.group(2));
        final Duration max = of(Long.parseLong(matcher.group(3)), maxUnit);
        if (min.compareTo(max) > 0)
        {
            throw new TypeConversionException("'" + value + "': the first duration (" + text(min)
                + ") is longer than the second (" + text(max) + ")");
        }
        return new Range(min, max);
    }

    /**
     * A duration as short text: {@code 500ms}, {@code 90s}, {@code 5m}, {@code 1h}, or
     * {@code 1m30s} when no single unit fits.
     *
     * @param duration the duration.
     * @return the text.
     */
    static String text(final Duration duration)
    {
        final long millis = duration.toMillis();
        if (millis % 1000 != 0 || millis == 0)
        {
            return millis + "ms";
        }
        final long seconds = millis / 1000;
        if (seconds % 3600 == 0)
        {
            return seconds / 3600 + "h";
        }
        if (seconds % 60 == 0)
        {
            return seconds / 60 + "m";
        }
        return seconds < 60 ? seconds + "s" : seconds / 60 + "m" + seconds % 60 + "s";
    }
}
