package io.shmtx.barriers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumMap;
import java.util.Map;

import io.shmtx.barriers.BarrierCounters.Kind;
import org.agrona.BufferUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link BarrierCounters} counts every fence and ordered access, each under its own kind.
 *
 * <p>Needs the JVM started with {@code -Dshmtx.barriers.count=true} (this module's surefire
 * configuration sets it). Counts are compared before and after one call, so the test expects no
 * other thread to use the barriers meanwhile (surefire runs the tests of this module one at a
 * time).
 */
class BarrierCountersTest
{
    private final AtomicBuffer buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(64, 64));

    /** A fence and the kind it must count under. */
    enum Fence
    {
        ACQUIRE(Kind.ACQUIRE, Barriers::acquire),
        RELEASE(Kind.RELEASE, Barriers::release),
        FULL(Kind.FULL, Barriers::full),
        LOAD_LOAD(Kind.LOAD_LOAD, Barriers::loadLoad),
        STORE_STORE(Kind.STORE_STORE, Barriers::storeStore);

        final Kind kind;
        final Runnable fence;

        Fence(final Kind kind, final Runnable fence)
        {
            this.kind = kind;
            this.fence = fence;
        }
    }

    /** An ordered access and the kind it must count under. */
    enum Access
    {
        GET_LONG(Kind.ORDERED_LOAD, (b, o) -> OrderedAccess.getLong(b, 8, o)),
        GET_INT(Kind.ORDERED_LOAD, (b, o) -> OrderedAccess.getInt(b, 4, o)),
        PUT_LONG(Kind.ORDERED_STORE, (b, o) -> OrderedAccess.putLong(b, 8, 1L, o)),
        PUT_INT(Kind.ORDERED_STORE, (b, o) -> OrderedAccess.putInt(b, 4, 1, o)),
        COMPARE_AND_SET_LONG(Kind.ORDERED_RMW, (b, o) -> OrderedAccess.compareAndSetLong(b, 8, 0L, 1L, o)),
        COMPARE_AND_SET_INT(Kind.ORDERED_RMW, (b, o) -> OrderedAccess.compareAndSetInt(b, 4, 0, 1, o)),
        GET_AND_ADD_LONG(Kind.ORDERED_RMW, (b, o) -> OrderedAccess.getAndAddLong(b, 8, 1L, o)),
        GET_AND_ADD_INT(Kind.ORDERED_RMW, (b, o) -> OrderedAccess.getAndAddInt(b, 4, 1, o));

        final Kind kind;
        final AccessCall call;

        Access(final Kind kind, final AccessCall call)
        {
            this.kind = kind;
            this.call = call;
        }
    }

    @FunctionalInterface
    interface AccessCall
    {
        void call(AtomicBuffer buffer, Ordering ordering);
    }

    @Test
    void countingIsSwitchedOnForThisModule()
    {
        assertTrue(BarrierCounters.ENABLED, "surefire must pass -D" + BarrierCounters.PROPERTY + "=true");
    }

    @ParameterizedTest
    @EnumSource(Fence.class)
    void eachFenceCountsOnceUnderItsOwnKind(final Fence fence)
    {
        assertCountsOnly(fence.kind, 1, fence.fence);
        assertCountsOnly(fence.kind, 3, () ->
        {
            fence.fence.run();
            fence.fence.run();
            fence.fence.run();
        });
    }

    @ParameterizedTest
    @EnumSource(Access.class)
    void eachOrderedAccessCountsOnceUnderItsOwnKindForEveryOrdering(final Access access)
    {
        for (final Ordering ordering : Ordering.values())
        {
            assertCountsOnly(access.kind, 1, () -> access.call.call(buffer, ordering));
        }
    }

    @Test
    void resetSetsEveryCountBackToZero()
    {
        for (final Fence fence : Fence.values())
        {
            fence.fence.run();
        }
        for (final Access access : Access.values())
        {
            access.call.call(buffer, Ordering.VOLATILE);
        }
        for (final Kind kind : Kind.values())
        {
            assertNotEquals(0L, BarrierCounters.get(kind), kind + " before reset");
        }

        BarrierCounters.reset();

        for (final Kind kind : Kind.values())
        {
            assertEquals(0L, BarrierCounters.get(kind), kind + " after reset");
        }
        assertEquals(zeroes(), BarrierCounters.snapshot());

        Barriers.full();
        assertEquals(1L, BarrierCounters.get(Kind.FULL), "counting goes on after reset");
    }

    @Test
    void snapshotHasEveryKindWithItsCount()
    {
        BarrierCounters.reset();
        Barriers.release();
        Barriers.release();
        OrderedAccess.getLong(buffer, 0, Ordering.OPAQUE);

        final Map<Kind, Long> expected = zeroes();
        expected.put(Kind.RELEASE, 2L);
        expected.put(Kind.ORDERED_LOAD, 1L);
        assertEquals(expected, BarrierCounters.snapshot());
    }

    private static void assertCountsOnly(final Kind kind, final long delta, final Runnable action)
    {
        final Map<Kind, Long> before = BarrierCounters.snapshot();
        action.run();
        final Map<Kind, Long> after = BarrierCounters.snapshot();

        final Map<Kind, Long> expected = new EnumMap<>(before);
        expected.put(kind, before.get(kind) + delta);
        assertEquals(expected, after, "counts after issuing " + delta + " x " + kind);
    }

    private static Map<Kind, Long> zeroes()
    {
        final Map<Kind, Long> result = new EnumMap<>(Kind.class);
        for (final Kind kind : Kind.values())
        {
            result.put(kind, 0L);
        }
        return result;
    }
}
