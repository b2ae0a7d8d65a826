package io.shmtx.pool;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

/**
 * Stateful test of the pool against a simple model: allocations, frees and invalid frees in any
 * order. Invariants: live blocks never overlap and keep their contents, statistics equal the
 * model, every bad free is rejected and changes nothing, and freeing everything restores full
 * capacity.
 */
class PoolStateProperties
{
    static final PoolConfig CONFIG = PoolConfig.builder().tier(32, 20).tier(64, 20).tier(256, 6).cacheSize(64).build();
    private static final List<PoolFixture> OPEN = new ArrayList<>();

    /** A handle-shaped long with any parts, as a buggy or malicious caller could pass (Handles.handle refuses them). */
    static long forge(final int tier, final int generation, final int index)
    {
        return ((long)(tier + 1) << 56) | ((long)(generation & 0xFF_FFFF) << 32) | (index & 0xFFFF_FFFFL);
    }

    @AfterTry
    void closeFixtures() throws Exception
    {
        for (final PoolFixture f : OPEN)
        {
            f.close();
        }
        OPEN.clear();
    }

    /** The system under test and the model side by side. */
    static final class Model
    {
        final PoolFixture fixture = new PoolFixture(CONFIG);
        final TieredPool pool = fixture.pool;
        final Map<Long, Long> live = new LinkedHashMap<>(); // handle -> value written at offset 0
        final List<Long> freed = new ArrayList<>();
        final long[] allocations = new long[3];
        final long[] frees = new long[3];
        long stamp;

        Model()
        {
            OPEN.add(fixture);
        }

        int liveIn(final int tier)
        {
            return (int)live.keySet().stream().filter(h -> Handles.tier(h) == tier).count();
        }

        void allocate(final int size)
        {
            int expected = -1;
            for (int t = pool.tierFor(size); t < 3 && expected < 0; t++)
            {
                if (liveIn(t) < CONFIG.tiers().get(t).blockCount())
                {
                    expected = t;
                }
            }
            final long handle = pool.tryAllocate(size);
            if (expected < 0)
            {
                assertEquals(0, handle, "the model says every tier from " + pool.tierFor(size) + " is full");
                return;
            }
            assertNotEquals(0, handle, "the model says tier " + expected + " has a free block");
            assertEquals(expected, Handles.tier(handle));
            assertFalse(live.containsKey(handle));
            final long value = ++stamp;
            pool.putLong(handle, 0, value);
            live.put(handle, value);
            allocations[expected]++;
        }

        void free(final long handle)
        {
            pool.free(handle);
            live.remove(handle);
            freed.add(handle);
            frees[Handles.tier(handle)]++;
        }

        void badFree(final long handle)
        {
            final String before = fingerprint();
            final HandleException ex = assertThrows(HandleException.class, () -> pool.free(handle));
            assertEquals(handle, ex.handle());
            assertTrue(ex.getMessage().contains(fixture.file.toString()));
            assertEquals(before, fingerprint(), "a refused free changed nothing");
        }

        void freeAllAndRefill()
        {
            new ArrayList<>(live.keySet()).forEach(this::free);
            for (int t = 0; t < 3; t++)
            {
                final int capacity = CONFIG.tiers().get(t).blockCount();
                final List<Long> all = new ArrayList<>();
                for (int i = 0; i < capacity; i++)
                {
                    final long h = pool.tryAllocate(CONFIG.tiers().get(t).blockSize());
                    assertEquals(t, Handles.tier(h), "tier " + t + " serves all " + capacity + " blocks again");
                    all.add(h);
                }
                allocations[t] += capacity;
                for (final long h : all)
                {
                    pool.free(h);
                    frees[t]++;
                }
            }
        }

        String fingerprint()
        {
            final StringBuilder out = new StringBuilder();
            for (final TierStats t : pool.stats().tiers())
            {
                out.append(t.allocations()).append('/').append(t.frees()).append('/').append(t.outstanding()).append(' ');
            }
            live.forEach((h, v) -> out.append(pool.getLong(h, 0)).append(','));
            return out.toString();
        }

        void checkNoOverlap()
        {
            final TreeMap<Integer, Integer> ranges = new TreeMap<>();
            for (final Map.Entry<Long, Long> e : live.entrySet())
            {
                final int start = pool.payloadOffset(e.getKey());
                final int size = pool.blockSize(e.getKey());
                final Map.Entry<Integer, Integer> before = ranges.floorEntry(start);
                final Map.Entry<Integer, Integer> after = ranges.ceilingEntry(start);
                assertTrue(before == null || before.getKey() + before.getValue() <= start, "overlap below " + start);
                assertTrue(after == null || start + size <= after.getKey(), "overlap above " + start);
                ranges.put(start, size);
                assertEquals(e.getValue(), pool.getLong(e.getKey(), 0), "block contents kept");
            }
        }

        void checkStats()
        {
            final PoolStats stats = pool.stats();
            for (int t = 0; t < 3; t++)
            {
                final TierStats tier = stats.tiers().get(t);
                assertEquals(allocations[t], tier.allocations(), "allocations of tier " + t);
                assertEquals(frees[t], tier.frees(), "frees of tier " + t);
                assertEquals(liveIn(t), tier.inUse(), "in use in tier " + t);
            }
            final ValidationReport report = pool.validate();
            assertTrue(report.valid(), report.problems().toString());
        }

        @Override
        public String toString()
        {
            return "Model{live=" + live.size() + ", freed=" + freed.size() + "}";
        }
    }

    @Property(tries = 40)
    void poolBehavesLikeItsModel(@ForAll("chains") final ActionChain<Model> chain)
    {
        chain.withInvariant("blocks never overlap", Model::checkNoOverlap)
            .withInvariant("stats equal the model", Model::checkStats)
            .run();
    }

    @Provide
    Arbitrary<ActionChain<Model>> chains()
    {
        return ActionChain.startWith(Model::new)
            .withAction(4, new AllocateAction())
            .withAction(3, new FreeAction())
            .withAction(1, new DoubleFreeAction())
            .withAction(1, new StaleFreeAction())
            .withAction(1, new ForgedFreeAction())
            .withAction(1, Action.just("free everything and refill", Transformer.mutate("free all, refill", Model::freeAllAndRefill)))
            .withMaxTransformations(60);
    }

    static final class AllocateAction implements Action.Independent<Model>
    {
        @Override
        public Arbitrary<Transformer<Model>> transformer()
        {
            return Arbitraries.integers().between(1, 256).map(size -> Transformer.mutate("allocate " + size, m -> m.allocate(size)));
        }
    }

    static final class FreeAction implements Action.Dependent<Model>
    {
        @Override
        public boolean precondition(final Model model)
        {
            return !model.live.isEmpty();
        }

        @Override
        public Arbitrary<Transformer<Model>> transformer(final Model model)
        {
            return Arbitraries.of(new ArrayList<>(model.live.keySet()))
                .map(h -> Transformer.mutate("free " + Handles.toString(h), m -> m.free(h)));
        }
    }

    static final class DoubleFreeAction implements Action.Dependent<Model>
    {
        @Override
        public boolean precondition(final Model model)
        {
            return !model.freed.isEmpty();
        }

        @Override
        public Arbitrary<Transformer<Model>> transformer(final Model model)
        {
            return Arbitraries.of(new ArrayList<>(model.freed))
                .map(h -> Transformer.mutate("free again " + Handles.toString(h), m -> m.badFree(h)));
        }
    }

    static final class StaleFreeAction implements Action.Dependent<Model>
    {
        @Override
        public boolean precondition(final Model model)
        {
            return !model.live.isEmpty();
        }

        @Override
        public Arbitrary<Transformer<Model>> transformer(final Model model)
        {
            final Map<Long, Long> live = new HashMap<>(model.live);
            return Arbitraries.of(new ArrayList<>(live.keySet())).flatMap(h -> Arbitraries.integers().between(1, 100).map(delta ->
            {
                final long stale = forge(Handles.tier(h), Handles.generation(h) + delta, Handles.index(h));
                return Transformer.mutate("free with a wrong generation " + Handles.toString(stale), m -> m.badFree(stale));
            }));
        }
    }

    static final class ForgedFreeAction implements Action.Independent<Model>
    {
        @Override
        public Arbitrary<Transformer<Model>> transformer()
        {
            final Arbitrary<Long> forged = Arbitraries.oneOf(
                Arbitraries.just(0L),
                Arbitraries.longs(),
                Arbitraries.integers().between(3, 127).map(t -> forge(t, 0, 0)),
                Arbitraries.integers().between(20, Integer.MAX_VALUE).map(i -> forge(0, 0, i)),
                Arbitraries.integers().between(Integer.MIN_VALUE, -1).map(i -> forge(1, 0, i)));
            return forged.filter(h -> Handles.tier(h) < 0 || Handles.tier(h) >= 3 || Handles.index(h) < 0
                    || Handles.index(h) >= CONFIG.tiers().get(Handles.tier(h)).blockCount())
                .map(h -> Transformer.mutate("free forged " + Handles.toString(h), m -> m.badFree(h)));
        }
    }
}
