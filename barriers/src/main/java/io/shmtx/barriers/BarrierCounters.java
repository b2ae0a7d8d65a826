package io.shmtx.barriers;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Optional counters of fences and ordered accesses issued by this JVM, for diagnosis.
 *
 * <p>This class is threadsafe. Counting is switched on with the system property
 * {@code shmtx.barriers.count=true}, read once when the class loads; {@link #ENABLED} is a
 * {@code static final} constant, so when it is {@code false} every {@code if (ENABLED)} guard
 * is folded away by the JIT and counting costs nothing.
 */
public final class BarrierCounters
{
    /** Name of the system property that switches counting on. */
    public static final String PROPERTY = "shmtx.barriers.count";

    /** Whether counting is on for this JVM (fixed at class load). */
    public static final boolean ENABLED = Boolean.getBoolean(PROPERTY);

    /** What is counted. */
    public enum Kind
    {
        /** {@link Barriers#acquire()}. */
        ACQUIRE,
        /** {@link Barriers#release()}. */
        RELEASE,
        /** {@link Barriers#full()}. */
        FULL,
        /** {@link Barriers#loadLoad()}. */
        LOAD_LOAD,
        /** {@link Barriers#storeStore()}. */
        STORE_STORE,
        /** An {@link OrderedAccess} load. */
        ORDERED_LOAD,
        /** An {@link OrderedAccess} store. */
        ORDERED_STORE,
        /** An {@link OrderedAccess} compare-and-set or get-and-add. */
        ORDERED_RMW
    }

    private static final LongAdder[] COUNTS = new LongAdder[Kind.values().length];

    static
    {
        for (int i = 0; i < COUNTS.length; i++)
        {
            COUNTS[i] = new LongAdder();
        }
    }

    private BarrierCounters()
    {
    }

    static void count(final Kind kind)
    {
        COUNTS[kind.ordinal()].increment();
    }

    /**
     * The number of times {@code kind} was issued since start or the last {@link #reset()}.
     *
     * @param kind what to read.
     * @return the count, always 0 when counting is off.
     */
    public static long get(final Kind kind)
    {
        return COUNTS[kind.ordinal()].sum();
    }

    /**
     * All counts at once.
     *
     * @return a new map from kind to count.
     */
    public static Map<Kind, Long> snapshot()
    {
        final Map<Kind, Long> result = new EnumMap<>(Kind.class);
        for (final Kind kind : Kind.values())
        {
            result.put(kind, get(kind));
        }
        return result;
    }

    /** Sets every count back to 0. */
    public static void reset()
    {
        for (final LongAdder adder : COUNTS)
        {
            adder.reset();
        }
    }
}
