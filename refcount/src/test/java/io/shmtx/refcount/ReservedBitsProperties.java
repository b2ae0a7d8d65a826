package io.shmtx.refcount;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.pool.Handles;
import io.shmtx.pool.InvalidHandleException;
import io.shmtx.pool.StaleHandleException;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.function.Executable;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * A value with a reserved handle bit set is an invalid handle for the reference counts too: share,
 * retain, release, count and held refuse it with an {@link InvalidHandleException} naming it (as
 * do the pool's free, publish and payload access on a shared block), and neither the count, the
 * holding nor the block changes; the real handle is then released to zero and freed exactly once.
 */
class ReservedBitsProperties
{
    private static TempRegions temp;
    private static Path file;
    private static RefFixture fixture;

    private static RefFixture fixture()
    {
        if (fixture == null)
        {
            temp = new TempRegions();
            file = temp.newPath("refs-reserved");
            RefFixture.create(file, RefCountConfig.defaults());
            fixture = new RefFixture(file);
        }
        return fixture;
    }

    @AfterContainer
    static void closeFixture() throws Exception
    {
        if (fixture != null)
        {
            try
            {
                fixture.close();
            }
            finally
            {
                temp.close();
                fixture = null;
            }
        }
    }

    @Property(tries = 200)
    void aReservedBitMakesAnyValueAnInvalidHandleThatChangesNoCount(@ForAll @IntRange(min = 1, max = 256) final int size,
        @ForAll @IntRange(min = 0, max = 3) final int retains, @ForAll final boolean alias, @ForAll final long noise)
    {
        final RefFixture f = fixture();
        final long h = f.refs.allocate(size);
        for (int i = 0; i < retains; i++)
        {
            f.refs.retain(h);
        }
        f.pool.putLong(h, 0, noise);
        final long bad = (alias ? h : noise) | Handles.RESERVED_BITS;
        final String before = fingerprint(f, h);

        assertFalse(f.pool.isLive(bad), Handles.toString(bad));
        refusals(f, bad).forEach((name, call) ->
        {
            final InvalidHandleException ex = assertThrows(InvalidHandleException.class, call, name + " of " + Handles.toString(bad));
            assertEquals(bad, ex.handle(), name);
            assertTrue(ex.getMessage().contains(file.toString()) && ex.getMessage().contains("bit 63"), ex.getMessage());
        });
        assertEquals(before, fingerprint(f, h), "the refused calls changed nothing");

        for (int i = 0; i < retains; i++)
        {
            assertFalse(f.refs.release(h), "count " + (retains + 1 - i) + " before this release");
        }
        assertTrue(f.refs.release(h), "the last reference of the real handle frees the block");
        assertFalse(f.pool.isLive(h));
        assertThrows(StaleHandleException.class, () -> f.refs.retain(h));
    }

    private static Map<String, Executable> refusals(final RefFixture f, final long bad)
    {
        final Map<String, Executable> calls = new LinkedHashMap<>();
        calls.put("share", () -> f.refs.share(bad));
        calls.put("retain", () -> f.refs.retain(bad));
        calls.put("release", () -> f.refs.release(bad));
        calls.put("count", () -> f.refs.count(bad));
        calls.put("held", () -> f.refs.held(bad));
        calls.put("pool.free", () -> f.pool.free(bad));
        calls.put("pool.publish", () -> f.pool.publish(bad));
        calls.put("pool.putLong", () -> f.pool.putLong(bad, 0, 1L));
        calls.put("pool.getLong", () -> f.pool.getLong(bad, 0));
        return calls;
    }

    private static String fingerprint(final RefFixture f, final long h)
    {
        return f.refs.count(h) + " " + f.refs.held(h) + " " + f.pool.isLive(h) + " " + f.pool.getLong(h, 0) + " "
            + f.pool.stats().tiers().get(Handles.tier(h)).inUse();
    }
}
