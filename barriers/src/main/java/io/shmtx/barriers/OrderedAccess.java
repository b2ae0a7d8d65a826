package io.shmtx.barriers;

import org.agrona.concurrent.AtomicBuffer;

/**
 * Loads, stores, compare-and-set and get-and-add of {@code long} and {@code int} words in an
 * Agrona {@link AtomicBuffer}, with the {@link Ordering} passed as a value.
 *
 * <p>This class is threadsafe: it has no state. The ordering argument is usually a constant
 * or a field the JIT can fold, so the {@code switch} costs nothing on a hot path.
 *
 * <p>Read-modify-write operations (compare-and-set, get-and-add) are atomic whatever the
 * ordering; Agrona only offers them with volatile semantics, so they are always executed as
 * {@link Ordering#VOLATILE}, which is at least as strong as any ordering requested (on x86-64
 * every atomic read-modify-write is a locked instruction anyway).
 *
 * <p>Every index must be aligned to the word size ({@code 8} for long, {@code 4} for int): an
 * unaligned atomic access can straddle a cache line and lose atomicity. A misaligned index
 * fails with {@link IllegalArgumentException} naming it; an index outside the buffer fails
 * with {@link IndexOutOfBoundsException} (Agrona's bounds check, on unless the JVM runs with
 * {@code agrona.disable.bounds.checks=true}).
 */
public final class OrderedAccess
{
    private OrderedAccess()
    {
    }

    /**
     * Loads a long with the given ordering.
     *
     * @param buffer   buffer to read.
     * @param index    byte offset, a multiple of 8.
     * @param ordering PLAIN, OPAQUE, RELEASE_ACQUIRE (acquire load) or VOLATILE.
     * @return the value read.
     */
    public static long getLong(final AtomicBuffer buffer, final int index, final Ordering ordering)
    {
        checkAligned(index, Long.BYTES);
        if (BarrierCounters.ENABLED)
        {
            BarrierCounters.count(BarrierCounters.Kind.ORDERED_LOAD);
        }
        switch (ordering)
        {
            case PLAIN:
                return buffer.getLong(index);
            case OPAQUE:
                return buffer.getLongOpaque(index);
            case RELEASE_ACQUIRE:
                return buffer.getLongAcquire(index);
            default:
                return buffer.getLongVolatile(index);
        }
    }

    /**
     * Stores a long with the given ordering.
     *
     * @param buffer   buffer to write.
     * @param index    byte offset, a multiple of 8.
     * @param value    value to store.
     * @param ordering PLAIN, OPAQUE, RELEASE_ACQUIRE (release store) or VOLATILE.
     */
    public static void putLong(final AtomicBuffer buffer, final int index, final long value, final Ordering ordering)
    {
        checkAligned(index, Long.BYTES);
        if (BarrierCounters.ENABLED)
        {
            BarrierCounters.count(BarrierCounters.Kind.ORDERED_STORE);
        }
        switch (ordering)
        {
            case PLAIN:
                buffer.putLong(index, value);
                break;
            case OPAQUE:
                buffer.putLongOpaque(index, value);
                break;
            case RELEASE_ACQUIRE:
                buffer.putLongRelease(index, value);
                break;
            default:
                buffer.putLongVolatile(index, value);
                break;
        }
    }

    /**
     * Atomically sets a long to {@code update} if it holds {@code expected}.
     *
     * @param buffer   buffer to update.
     * @param index    byte offset, a multiple of 8.
     * @param expected value the word must hold.
     * @param update   value to store.
     * @param ordering requested ordering (executed as VOLATILE, see the class comment).
     * @return whether the word was updated.
     */
    public static boolean compareAndSetLong(
        final AtomicBuffer buffer, final int index, final long expected, final long update, final Ordering ordering)
    {
        checkAligned(index, Long.BYTES);
        countRmw(ordering);
        return buffer.compareAndSetLong(index, expected, update);
    }

    /**
     * Atomically adds {@code delta} to a long.
     *
     * @param buffer   buffer to update.
     * @param index    byte offset, a multiple of 8.
     * @param delta    amount to add.
     * @param ordering requested ordering (executed as VOLATILE, see the class comment).
     * @return the value before the addition.
     */
    public static long getAndAddLong(final AtomicBuffer buffer, final int index, final long delta, final Ordering ordering)
    {
        checkAligned(index, Long.BYTES);
        countRmw(ordering);
        return buffer.getAndAddLong(index, delta);
    }

    /**
     * Loads an int with the given ordering.
     *
     * @param buffer   buffer to read.
     * @param index    byte offset, a multiple of 4.
     * @param ordering PLAIN, OPAQUE, RELEASE_ACQUIRE (acquire load) or VOLATILE.
     * @return the value read.
     */
    public static int getInt(final AtomicBuffer buffer, final int index, final Ordering ordering)
    {
        checkAligned(index, Integer.BYTES);
        if (BarrierCounters.ENABLED)
        {
            BarrierCounters.count(BarrierCounters.Kind.ORDERED_LOAD);
        }
        switch (ordering)
        {
            case PLAIN:
                return buffer.getInt(index);
            case OPAQUE:
                return buffer.getIntOpaque(index);
            case RELEASE_ACQUIRE:
                return buffer.getIntAcquire(index);
            default:
                return buffer.getIntVolatile(index);
        }
    }

    /**
     * Stores an int with the given ordering.
     *
     * @param buffer   buffer to write.
     * @param index    byte offset, a multiple of 4.
     * @param value    value to store.
     * @param ordering PLAIN, OPAQUE, RELEASE_ACQUIRE (release store) or VOLATILE.
     */
    public static void putInt(final AtomicBuffer buffer, final int index, final int value, final Ordering ordering)
    {
        checkAligned(index, Integer.BYTES);
        if (BarrierCounters.ENABLED)
        {
            BarrierCounters.count(BarrierCounters.Kind.ORDERED_STORE);
        }
        switch (ordering)
        {
            case PLAIN:
                buffer.putInt(index, value);
                break;
            case OPAQUE:
                buffer.putIntOpaque(index, value);
                break;
            case RELEASE_ACQUIRE:
                buffer.putIntRelease(index, value);
                break;
            default:
                buffer.putIntVolatile(index, value);
                break;
        }
    }

    /**
     * Atomically sets an int to {@code update} if it holds {@code expected}.
     *
     * @param buffer   buffer to update.
     * @param index    byte offset, a multiple of 4.
     * @param expected value the word must hold.
     * @param update   value to store.
     * @param ordering requested ordering (executed as VOLATILE, see the class comment).
     * @return whether the word was updated.
     */
    public static boolean compareAndSetInt(
        final AtomicBuffer buffer, final int index, final int expected, final int update, final Ordering ordering)
    {
        checkAligned(index, Integer.BYTES);
        countRmw(ordering);
        return buffer.compareAndSetInt(index, expected, update);
    }

    /**
     * Atomically adds {@code delta} to an int.
     *
     * @param buffer   buffer to update.
     * @param index    byte offset, a multiple of 4.
     * @param delta    amount to add.
     * @param ordering requested ordering (executed as VOLATILE, see the class comment).
     * @return the value before the addition.
     */
    public static int getAndAddInt(final AtomicBuffer buffer, final int index, final int delta, final Ordering ordering)
    {
        checkAligned(index, Integer.BYTES);
        countRmw(ordering);
        return buffer.getAndAddInt(index, delta);
    }

    private static void countRmw(final Ordering ordering)
    {
        if (BarrierCounters.ENABLED)
        {
            BarrierCounters.count(BarrierCounters.Kind.ORDERED_RMW);
        }
        if (ordering == null)
        {
            throw new NullPointerException("ordering");
        }
    }

    private static void checkAligned(final int index, final int size)
    {
        if ((index & (size - 1)) != 0)
        {
            throw new IllegalArgumentException("index=" + index + " is not aligned to " + size + " bytes");
        }
    }
}
