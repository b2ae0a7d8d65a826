package io.shmtx.deadlock;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.region.SectionSpec;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad arguments and a closed region: each refused with an IllegalArgumentException or
 * IllegalStateException naming the value (or the file), never an NPE, an ArithmeticException or a
 * bounds check.
 */
class LockManagerArgumentsTest
{
    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws Exception
    {
        temp.close();
    }

    @Test
    void everyBadConfigurationValueIsNamedWithItsRange()
    {
        final Map<String, Supplier<LockManagerConfig.Builder>> bad = new LinkedHashMap<>();
        for (final Duration wait : new Duration[] {Duration.ofSeconds(Long.MAX_VALUE), Duration.ofSeconds(Long.MIN_VALUE),
            Duration.ofMillis(-1), Duration.ZERO, Duration.ofNanos(999_999), Duration.ofMinutes(10).plusNanos(1), null})
        {
            bad.put("maxWait=" + wait + " must be in 1ms..10min", () -> LockManagerConfig.builder().maxWait(wait));
        }
        bad.put("locks=0 must be a power of two in 16..16777216", () -> LockManagerConfig.builder().locks(0));
        bad.put("locks=-16 must be a power of two in 16..16777216", () -> LockManagerConfig.builder().locks(-16));
        bad.put("locks=-2147483648 must be a power of two in 16..16777216", () -> LockManagerConfig.builder().locks(Integer.MIN_VALUE));
        bad.put("locks=8 must be a power of two in 16..16777216", () -> LockManagerConfig.builder().locks(8));
        bad.put("locks=48 must be a power of two in 16..16777216", () -> LockManagerConfig.builder().locks(48));
        bad.put("locks=33554432 must be a power of two in 16..16777216", () -> LockManagerConfig.builder().locks(1 << 25));
        bad.put("transactionsPerProcess=0 must be in 1..1024", () -> LockManagerConfig.builder().transactionsPerProcess(0));
        bad.put("transactionsPerProcess=-1 must be in 1..1024", () -> LockManagerConfig.builder().transactionsPerProcess(-1));
        bad.put("transactionsPerProcess=1025 must be in 1..1024", () -> LockManagerConfig.builder().transactionsPerProcess(1025));
        bad.put("policy=null must be one of [WAIT_DIE, WOUND_WAIT, NO_WAIT, TIMEOUT, DETECT]", () -> LockManagerConfig.builder().policy(null));
        bad.forEach((message, builder) ->
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> builder.get().build(), message);
            assertTrue(ex.getMessage().startsWith(message), ex.getMessage());
        });
        // the bounds themselves are allowed
        assertEquals(Duration.ofMillis(1), LockManagerConfig.builder().maxWait(Duration.ofMillis(1)).build().maxWait());
        assertEquals(Duration.ofMinutes(10), LockManagerConfig.builder().maxWait(Duration.ofMinutes(10)).build().maxWait());
        assertEquals(1 << 24, LockManagerConfig.builder().locks(1 << 24).transactionsPerProcess(1024).build().locks());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 4097, Integer.MIN_VALUE, Integer.MAX_VALUE})
    void aSectionNeedsAProcessSlotCountTheRegionAllows(final int slots)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> LockManager.section(LockManagerConfig.defaults(), slots));
        assertTrue(ex.getMessage().startsWith("processSlots=" + slots + " must be in 1..4096"), ex.getMessage());
    }

    @Test
    void aSectionAcceptsTheRegionsBoundsAndNeedsAConfiguration()
    {
        final LockManagerConfig one = LockManagerConfig.builder().transactionsPerProcess(1).build();
        assertEquals(SectionSpec.LOCK_TABLE, LockManager.section(one, 1).id());
        assertEquals(SectionSpec.LOCK_TABLE, LockManager.section(one, 4096).id());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LockManager.section(null, 8)).getMessage().contains("config"));
    }

    @Test
    void aNullPolicyIsRefusedAndTheCurrentOneKept()
    {
        final Path file = temp.newPath("policy");
        LockFixture.create(file, LockManagerConfig.builder().policy(LockPolicy.DETECT).build());
        try (LockFixture f = new LockFixture(file))
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> f.locks.setPolicy(null));
            assertTrue(ex.getMessage().startsWith("policy=null must be one of"), ex.getMessage());
            assertEquals(LockPolicy.DETECT, f.locks.policy());
        }
    }

    /** Every public method reading the region, after Region.close(): named as closed, with the file. */
    @Test
    void aClosedRegionIsNamedByEveryMethodThatReadsIt()
    {
        final Path file = temp.newPath("closed");
        LockFixture.create(file, LockManagerConfig.defaults());
        try (LockFixture f = new LockFixture(file))
        {
            final int index = f.locks.lockIndex(5);
            f.region.close();
            final Map<String, Runnable> calls = new LinkedHashMap<>();
            calls.put("open", () -> LockManager.open(f.region));
            calls.put("stats", f.locks::stats);
            calls.put("aborts", f.locks::aborts);
            calls.put("waitForGraph", f.locks::waitForGraph);
            calls.put("waitForGraphText", f.locks::waitForGraphText);
            calls.put("locksHeldPerSlot", f.locks::locksHeldPerSlot);
            calls.put("detectDeadlocks", f.locks::detectDeadlocks);
            calls.put("policy", f.locks::policy);
            calls.put("setPolicy", () -> f.locks.setPolicy(LockPolicy.NO_WAIT));
            calls.put("begin", f.locks::begin);
            calls.put("begin(priority)", () -> f.locks.begin(3));
            calls.forEach((name, call) ->
            {
                final IllegalStateException ex = assertThrows(IllegalStateException.class, call::run, name);
                assertEquals("region " + file + " is closed: its lock table can no longer be read", ex.getMessage(), name);
            });
            assertEquals(index, f.locks.lockIndex(5), "a pure function of the key: reads nothing");
        }
    }
}
