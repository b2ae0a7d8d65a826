package io.shmtx.barriers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.Tuple.Tuple2;
import org.agrona.BufferUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Properties of {@link OrderedAccess} on an {@link UnsafeBuffer} over a direct, 64-byte aligned
 * {@link java.nio.ByteBuffer}, for every {@link Ordering}.
 *
 * <p>Every try checks every ordering (and every operation, for the rejected indices), each on a
 * fresh buffer filled with {@link #FILL}; besides the value that an operation
 * returns, the properties check the word through Agrona's own plain accessors and that every
 * other byte of the buffer kept the fill, so an accessor that reads or writes the wrong place (or
 * too many bytes) fails even when it agrees with itself.
 */
class OrderedAccessProperties
{
    private static final int CAPACITY = 256;
    private static final byte FILL = (byte)0xA5;
    /** Two full-range words have ~225 edge-case combinations: give them room to run all. */
    private static final int TWO_WORD_TRIES = 500;

    /** A long operation, so one property can check all of them. */
    enum LongOp
    {
        GET, PUT, COMPARE_AND_SET, GET_AND_ADD
    }

    /** An int operation, so one property can check all of them. */
    enum IntOp
    {
        GET, PUT, COMPARE_AND_SET, GET_AND_ADD
    }

    // ---------------------------------------------------------------------------------------
    // round trips

    @Property
    void putLongThenGetLongRoundTrips(@ForAll("longIndices") final int index, @ForAll final long value)
    {
        for (final Ordering writeOrdering : Ordering.values())
        {
            final UnsafeBuffer buffer = newBuffer();

            OrderedAccess.putLong(buffer, index, value, writeOrdering);

            assertEquals(value, buffer.getLong(index), "word as Agrona reads it after a " + writeOrdering + " put");
            assertOnlyWordChanged(buffer, index, Long.BYTES);
            for (final Ordering readOrdering : Ordering.values())
            {
                assertEquals(value, OrderedAccess.getLong(buffer, index, readOrdering), readOrdering + " get");
            }
        }
    }

    @Property
    void putIntThenGetIntRoundTrips(@ForAll("intIndices") final int index, @ForAll final int value)
    {
        for (final Ordering writeOrdering : Ordering.values())
        {
            final UnsafeBuffer buffer = newBuffer();

            OrderedAccess.putInt(buffer, index, value, writeOrdering);

            assertEquals(value, buffer.getInt(index), "word as Agrona reads it after a " + writeOrdering + " put");
            assertOnlyWordChanged(buffer, index, Integer.BYTES);
            for (final Ordering readOrdering : Ordering.values())
            {
                assertEquals(value, OrderedAccess.getInt(buffer, index, readOrdering), readOrdering + " get");
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // compare-and-set

    @Property(tries = TWO_WORD_TRIES)
    void compareAndSetLongSucceedsOnTheExpectedValue(
        @ForAll("longIndices") final int index, @ForAll final long initial, @ForAll final long update)
    {
        for (final Ordering ordering : Ordering.values())
        {
            final UnsafeBuffer buffer = newBuffer();
            buffer.putLong(index, initial);

            assertTrue(OrderedAccess.compareAndSetLong(buffer, index, initial, update, ordering), ordering.name());

            assertEquals(update, buffer.getLong(index), ordering.name());
            assertOnlyWordChanged(buffer, index, Long.BYTES);
        }
    }

    @Property(tries = TWO_WORD_TRIES)
    void compareAndSetLongFailsAndChangesNothingOnAnyOtherValue(
        @ForAll("longIndices") final int index,
        @ForAll("wordAndOtherLong") final Tuple2<Long, Long> wordAndExpected,
        @ForAll("anyLong") final long update)
    {
        final long initial = wordAndExpected.get1();
        final long expected = wordAndExpected.get2();
        Assume.that(expected != initial);
        for (final Ordering ordering : Ordering.values())
        {
            final UnsafeBuffer buffer = newBuffer();
            buffer.putLong(index, initial);
            final byte[] before = contents(buffer);

            assertFalse(OrderedAccess.compareAndSetLong(buffer, index, expected, update, ordering), ordering.name());

            assertArrayEquals(before, contents(buffer), "buffer changed by a failed " + ordering + " compare-and-set");
        }
    }

    @Property(tries = TWO_WORD_TRIES)
    void compareAndSetIntSucceedsOnTheExpectedValue(
        @ForAll("intIndices") final int index, @ForAll final int initial, @ForAll final int update)
    {
        for (final Ordering ordering : Ordering.values())
        {
            final UnsafeBuffer buffer = newBuffer();
            buffer.putInt(index, initial);

            assertTrue(OrderedAccess.compareAndSetInt(buffer, index, initial, update, ordering), ordering.name());

            assertEquals(update, buffer.getInt(index), ordering.name());
            assertOnlyWordChanged(buffer, index, Integer.BYTES);
        }
    }

    @Property(tries = TWO_WORD_TRIES)
    void compareAndSetIntFailsAndChangesNothingOnAnyOtherValue(
        @ForAll("intIndices") final int index,
        @ForAll("wordAndOtherInt") final Tuple2<Integer, Integer> wordAndExpected,
        @ForAll("anyInt") final int update)
    {
        final int initial = wordAndExpected.get1();
        final int expected = wordAndExpected.get2();
        Assume.that(expected != initial);
        for (final Ordering ordering : Ordering.values())
        {
            final UnsafeBuffer buffer = newBuffer();
            buffer.putInt(index, initial);
            final byte[] before = contents(buffer);

            assertFalse(OrderedAccess.compareAndSetInt(buffer, index, expected, update, ordering), ordering.name());

            assertArrayEquals(before, contents(buffer), "buffer changed by a failed " + ordering + " compare-and-set");
        }
    }

    // ---------------------------------------------------------------------------------------
    // get-and-add

    @Property(tries = TWO_WORD_TRIES)
    void getAndAddLongReturnsTheOldValueAndStoresTheSum(
        @ForAll("longIndices") final int index, @ForAll final long initial, @ForAll final long delta)
    {
        for (final Ordering ordering : Ordering.values())
        {
            final UnsafeBuffer buffer = newBuffer();
            buffer.putLong(index, initial);

            assertEquals(initial, OrderedAccess.getAndAddLong(buffer, index, delta, ordering), ordering.name());

            assertEquals(initial + delta, buffer.getLong(index), "sum wraps like long arithmetic, " + ordering);
            assertOnlyWordChanged(buffer, index, Long.BYTES);
        }
    }

    @Property(tries = TWO_WORD_TRIES)
    void getAndAddIntReturnsTheOldValueAndStoresTheSum(
        @ForAll("intIndices") final int index, @ForAll final int initial, @ForAll final int delta)
    {
        for (final Ordering ordering : Ordering.values())
        {
            final UnsafeBuffer buffer = newBuffer();
            buffer.putInt(index, initial);

            assertEquals(initial, OrderedAccess.getAndAddInt(buffer, index, delta, ordering), ordering.name());

            assertEquals(initial + delta, buffer.getInt(index), "sum wraps like int arithmetic, " + ordering);
            assertOnlyWordChanged(buffer, index, Integer.BYTES);
        }
    }

    // ---------------------------------------------------------------------------------------
    // rejected indices: every operation, every ordering

    @Property
    void misalignedLongIndexIsRejectedNamingIt(@ForAll("misalignedLongIndices") final int index)
    {
        for (final LongOp op : LongOp.values())
        {
            for (final Ordering ordering : Ordering.values())
            {
                final UnsafeBuffer buffer = newBuffer();
                final byte[] before = contents(buffer);

                final IllegalArgumentException ex = assertThrows(
                    IllegalArgumentException.class, () -> apply(op, buffer, index, ordering), op + " " + ordering);

                assertTrue(ex.getMessage().contains("index=" + index), ex.getMessage());
                assertArrayEquals(before, contents(buffer), "buffer changed by a rejected " + op + " " + ordering);
            }
        }
    }

    @Property
    void misalignedIntIndexIsRejectedNamingIt(@ForAll("misalignedIntIndices") final int index)
    {
        for (final IntOp op : IntOp.values())
        {
            for (final Ordering ordering : Ordering.values())
            {
                final UnsafeBuffer buffer = newBuffer();
                final byte[] before = contents(buffer);

                final IllegalArgumentException ex = assertThrows(
                    IllegalArgumentException.class, () -> apply(op, buffer, index, ordering), op + " " + ordering);

                assertTrue(ex.getMessage().contains("index=" + index), ex.getMessage());
                assertArrayEquals(before, contents(buffer), "buffer changed by a rejected " + op + " " + ordering);
            }
        }
    }

    @Property
    void outOfBoundsLongIndexIsRejected(@ForAll("outOfBoundsLongIndices") final int index)
    {
        for (final LongOp op : LongOp.values())
        {
            for (final Ordering ordering : Ordering.values())
            {
                final UnsafeBuffer buffer = newBuffer();
                final byte[] before = contents(buffer);

                assertThrows(
                    IndexOutOfBoundsException.class, () -> apply(op, buffer, index, ordering), op + " " + ordering);

                assertArrayEquals(before, contents(buffer), "buffer changed by a rejected " + op + " " + ordering);
            }
        }
    }

    @Property
    void outOfBoundsIntIndexIsRejected(@ForAll("outOfBoundsIntIndices") final int index)
    {
        for (final IntOp op : IntOp.values())
        {
            for (final Ordering ordering : Ordering.values())
            {
                final UnsafeBuffer buffer = newBuffer();
                final byte[] before = contents(buffer);

                assertThrows(
                    IndexOutOfBoundsException.class, () -> apply(op, buffer, index, ordering), op + " " + ordering);

                assertArrayEquals(before, contents(buffer), "buffer changed by a rejected " + op + " " + ordering);
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // generators

    @Provide
    Arbitrary<Integer> longIndices()
    {
        return alignedWithin(Long.BYTES);
    }

    @Provide
    Arbitrary<Integer> intIndices()
    {
        return alignedWithin(Integer.BYTES);
    }

    /** Any value, without edge cases: for a value whose edge cases matter nothing to a property. */
    @Provide
    Arbitrary<Long> anyLong()
    {
        return Arbitraries.longs().withoutEdgeCases();
    }

    /** Any value, without edge cases: for a value whose edge cases matter nothing to a property. */
    @Provide
    Arbitrary<Integer> anyInt()
    {
        return Arbitraries.integers().withoutEdgeCases();
    }

    /** A word and a value to compare it with: half the time it differs in one bit only. */
    @Provide
    Arbitrary<Tuple2<Long, Long>> wordAndOtherLong()
    {
        return Arbitraries.longs().flatMap(word -> Arbitraries.oneOf(
            Arbitraries.integers().between(0, 63).map(bit -> word ^ (1L << bit)),
            Arbitraries.longs().withoutEdgeCases()).map(other -> Tuple.of(word, other)));
    }

    /** A word and a value to compare it with: half the time it differs in one bit only. */
    @Provide
    Arbitrary<Tuple2<Integer, Integer>> wordAndOtherInt()
    {
        return Arbitraries.integers().flatMap(word -> Arbitraries.oneOf(
            Arbitraries.integers().between(0, 31).map(bit -> word ^ (1 << bit)),
            Arbitraries.integers().withoutEdgeCases()).map(other -> Tuple.of(word, other)));
    }

    @Provide
    Arbitrary<Integer> misalignedLongIndices()
    {
        return misalignedWithin(Long.BYTES);
    }

    @Provide
    Arbitrary<Integer> misalignedIntIndices()
    {
        return misalignedWithin(Integer.BYTES);
    }

    @Provide
    Arbitrary<Integer> outOfBoundsLongIndices()
    {
        return alignedOutside(Long.BYTES);
    }

    @Provide
    Arbitrary<Integer> outOfBoundsIntIndices()
    {
        return alignedOutside(Integer.BYTES);
    }

    /** Aligned indices whose whole word lies in the buffer: 0, size, ..., CAPACITY - size. */
    private static Arbitrary<Integer> alignedWithin(final int size)
    {
        return Arbitraries.integers().between(0, CAPACITY / size - 1).map(i -> i * size);
    }

    /** Misaligned indices whose whole word would still lie in the buffer. */
    private static Arbitrary<Integer> misalignedWithin(final int size)
    {
        return Arbitraries.integers().between(0, CAPACITY - size).filter(i -> i % size != 0);
    }

    /** Aligned indices below 0 or whose word would end past the buffer, down to the int limits. */
    private static Arbitrary<Integer> alignedOutside(final int size)
    {
        final Arbitrary<Integer> below = Arbitraries.integers().between(Integer.MIN_VALUE / size, -1);
        final Arbitrary<Integer> above = Arbitraries.integers().between(CAPACITY / size, Integer.MAX_VALUE / size);
        return Arbitraries.oneOf(below, above).map(i -> i * size);
    }

    // ---------------------------------------------------------------------------------------
    // helpers

    private static UnsafeBuffer newBuffer()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(CAPACITY, 64));
        buffer.verifyAlignment();
        buffer.setMemory(0, CAPACITY, FILL);
        return buffer;
    }

    private static byte[] contents(final UnsafeBuffer buffer)
    {
        final byte[] bytes = new byte[buffer.capacity()];
        buffer.getBytes(0, bytes);
        return bytes;
    }

    private static void assertOnlyWordChanged(final UnsafeBuffer buffer, final int index, final int size)
    {
        for (int i = 0; i < buffer.capacity(); i++)
        {
            if (i < index || i >= index + size)
            {
                assertEquals(FILL, buffer.getByte(i), "byte " + i + " outside the word [" + index + ", " +
                    (index + size) + ")");
            }
        }
    }

    private static void apply(final LongOp op, final AtomicBuffer buffer, final int index, final Ordering ordering)
    {
        switch (op)
        {
            case GET:
                OrderedAccess.getLong(buffer, index, ordering);
                break;
            case PUT:
                OrderedAccess.putLong(buffer, index, 42L, ordering);
                break;
            case COMPARE_AND_SET:
                OrderedAccess.compareAndSetLong(buffer, index, 0L, 42L, ordering);
                break;
            default:
                OrderedAccess.getAndAddLong(buffer, index, 42L, ordering);
                break;
        }
    }

    private static void apply(final IntOp op, final AtomicBuffer buffer, final int index, final Ordering ordering)
    {
        switch (op)
        {
            case GET:
                OrderedAccess.getInt(buffer, index, ordering);
                break;
            case PUT:
                OrderedAccess.putInt(buffer, index, 42, ordering);
                break;
            case COMPARE_AND_SET:
                OrderedAccess.compareAndSetInt(buffer, index, 0, 42, ordering);
                break;
            default:
                OrderedAccess.getAndAddInt(buffer, index, 42, ordering);
                break;
        }
    }
}
