package io.shmtx.pool;

import static org.junit.jupiter.api.Assertions.*;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.function.Executable;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * A value with a reserved handle bit set is an invalid handle, not an alias of the handle it
 * would be without that bit: every pool operation that takes a handle refuses it with an
 * {@link InvalidHandleException} naming it, and nothing changes, whether the value is a live
 * handle with the bit added (the hot free path's candidate when this thread allocated it, the
 * checked path when it is published) or any other long with the bit set.
 */
class ReservedBitsProperties
{
    private static final PoolConfig CONFIG = PoolConfig.builder().tier(32, 64).tier(64, 64).tier(256, 16).cacheSize(8).build();
    private static PoolFixture fixture;

    private static PoolFixture fixture()
    {
        if (fixture == null)
        {
            fixture = new PoolFixture(CONFIG);
        }
        return fixture;
    }

    @AfterContainer
    static void closeFixture() throws Exception
    {
        if (fixture != null)
        {
            fixture.close();
            fixture = null;
        }
    }

    @Property(tries = 300)
    void aReservedBitMakesAnyValueAnInvalidHandleThatChangesNothing(@ForAll @IntRange(min = 1, max = 256) final int size,
        @ForAll final boolean published, @ForAll final boolean alias, @ForAll final long noise)
    {
        final PoolFixture f = fixture();
        final TieredPool pool = f.pool;
        final long h = pool.allocate(size);
        pool.putLong(h, 0, noise);
        if (published)
        {
            pool.publish(h);
        }
        final long bad = (alias ? h : noise) | Handles.RESERVED_BITS;
        final String before = fingerprint(pool, h);

        assertFalse(pool.isLive(bad), Handles.toString(bad));
        refusals(pool, bad).forEach((name, call) ->
        {
            final InvalidHandleException ex = assertThrows(InvalidHandleException.class, call, name + " of " + Handles.toString(bad));
            assertEquals(bad, ex.handle(), name);
            assertTrue(ex.getMessage().contains(f.file.toString()) && ex.getMessage().contains("bit 63"), ex.getMessage());
        });
        assertEquals(before, fingerprint(pool, h), "the refused calls changed nothing");

        pool.free(h);
        assertInstanceOf(DoubleFreeException.class, assertThrows(HandleException.class, () -> pool.free(h)),
            "the block was freed exactly once, by its own handle");
        assertTrue(pool.validate().valid(), pool.validate().problems().toString());
    }

    /** Every pool entry point that takes a handle and may throw, called with {@code bad}. */
    static Map<String, Executable> refusals(final TieredPool pool, final long bad)
    {
        final byte[] bytes = new byte[8];
        final Map<String, Executable> calls = new LinkedHashMap<>();
        calls.put("free", () -> pool.free(bad));
        calls.put("deallocate", () -> pool.deallocate(bad));
        calls.put("checkDeallocation", () -> pool.checkDeallocation(bad));
        calls.put("publish", () -> pool.publish(bad));
        calls.put("payloadOffset", () -> pool.payloadOffset(bad));
        calls.put("payload", () -> pool.payload(bad));
        calls.put("blockSize", () -> pool.blockSize(bad));
        calls.put("ownerSlot", () -> pool.ownerSlot(bad));
        calls.put("putLong", () -> pool.putLong(bad, 0, 1L));
        calls.put("getLong", () -> pool.getLong(bad, 0));
        calls.put("putInt", () -> pool.putInt(bad, 0, 1));
        calls.put("getInt", () -> pool.getInt(bad, 0));
        calls.put("putBytes", () -> pool.putBytes(bad, 0, bytes, 0, bytes.length));
        calls.put("getBytes", () -> pool.getBytes(bad, 0, bytes, 0, bytes.length));
        return calls;
    }

    /** What a wrongly accepted call would change: the counters, the block's state, owner and contents. */
    private static String fingerprint(final TieredPool pool, final long h)
    {
        final StringBuilder out = new StringBuilder();
        for (final TierStats t : pool.stats().tiers())
        {
            out.append(t.allocations()).append('/').append(t.frees()).append('/').append(t.outstanding()).append(' ');
        }
        return out.append(pool.isLive(h)).append(' ').append(pool.ownerSlot(h)).append(' ').append(pool.getLong(h, 0))
            .append(' ').append(pool.getInt(h, 8)).toString();
    }
}
