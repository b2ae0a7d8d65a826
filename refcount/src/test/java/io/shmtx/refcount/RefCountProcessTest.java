package io.shmtx.refcount;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.pool.ValidationReport;
import io.shmtx.testkit.ChildJvm;
import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Real child JVMs retaining and releasing shared objects, killed with destroyForcibly() at random
 * moments and restarted.
 */
class RefCountProcessTest
{
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int OBJECTS = 6;

    private final TempRegions temp = new TempRegions();
    private final List<ChildJvm> children = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception
    {
        children.forEach(ChildJvm::close);
        temp.close();
    }

    private ChildJvm child(final String... args) throws Exception
    {
        final ChildJvm child = ChildJvm.start(RefChild.class, args);
        children.add(child);
        return child;
    }

    private long[] sharedObjects(final RefFixture owner)
    {
        final long[] handles = new long[OBJECTS];
        for (int o = 0; o < OBJECTS; o++)
        {
            handles[o] = owner.refs.allocate(64);
            owner.region.bindRoot("obj" + o, handles[o]);
        }
        return handles;
    }

    private static void recoverAll(final RefFixture f) throws InterruptedException
    {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        while (f.region.processes().stream().anyMatch(p -> !p.alive()))
        {
            f.region.recoverDeadSlots();
            assertTrue(System.nanoTime() < deadline, "dead slots not recovered: " + f.region.processes());
            Thread.sleep(10);
        }
    }

    @Test
    void killedHoldersNeverLeakAReference() throws Exception
    {
        final Path file = temp.newPath("chaos");
        RefFixture.create(file, RefCountConfig.defaults());
        try (RefFixture parent = new RefFixture(file))
        {
            final long[] handles = sharedObjects(parent);
            final ChildJvm steady1 = child("chaos", file.toString(), Integer.toString(OBJECTS), "1");
            final ChildJvm steady2 = child("chaos", file.toString(), Integer.toString(OBJECTS), "2");
            steady1.awaitLine("RUNNING", WAIT);
            steady2.awaitLine("RUNNING", WAIT);
            final SplittableRandom random = new SplittableRandom(7);
            for (int round = 0; round < 8; round++)
            {
                final ChildJvm victim = child("chaos", file.toString(), Integer.toString(OBJECTS), Integer.toString(100 + round));
                victim.awaitLine("RUNNING", WAIT);
                Thread.sleep(random.nextInt(150));
                victim.kill();
                recoverAll(parent);
                for (final long h : handles)
                {
                    assertTrue(parent.refs.count(h) >= 1, "the parent's reference keeps every object alive");
                }
            }
            steady1.send("stop");
            steady2.send("stop");
            steady1.awaitLine("DONE", WAIT);
            steady2.awaitLine("DONE", WAIT);
            assertEquals(0, steady1.waitForExit(WAIT));
            assertEquals(0, steady2.waitForExit(WAIT));
            recoverAll(parent);
            for (final long h : handles)
            {
                assertEquals(1, parent.refs.count(h), "only the parent's reference is left");
                assertEquals(1, parent.refs.held(h));
            }
            assertTrue(parent.refs.orphanReport().isEmpty());
            for (final long h : handles)
            {
                assertTrue(parent.refs.release(h));
                assertFalse(parent.pool.isLive(h), "freed exactly when the last reference went");
            }
            final ValidationReport report = parent.pool.validate();
            assertTrue(report.valid(), report.problems().toString());
            assertEquals(0, parent.pool.stats().tiers().get(0).inUse());
        }
    }

    @Test
    void reopenedRegionKeepsWhatLiveHoldersHold() throws Exception
    {
        final Path file = temp.newPath("reopen");
        RefFixture.create(file, RefCountConfig.defaults());
        final long[] handles;
        final ChildJvm keeper;
        try (RefFixture creator = new RefFixture(file))
        {
            handles = sharedObjects(creator);
            keeper = child("hold", file.toString(), Integer.toString(OBJECTS), "2");
            keeper.awaitLine("HOLDING", WAIT);
            final ChildJvm killed = child("hold", file.toString(), Integer.toString(OBJECTS), "3");
            killed.awaitLine("HOLDING", WAIT);
            assertEquals(6, creator.refs.count(handles[0]));
            killed.kill();
        } // the creator exits cleanly: its references are released
        try (RefFixture reopened = new RefFixture(file)) // attach recovers the killed holder
        {
            for (final long h : handles)
            {
                assertEquals(2, reopened.refs.count(h), "what the one live holder holds");
                assertTrue(reopened.pool.isLive(h));
            }
            keeper.send("stop");
            keeper.awaitLine("DONE", WAIT);
            assertEquals(0, keeper.waitForExit(WAIT));
            for (final long h : handles)
            {
                assertEquals(0, reopened.refs.count(h));
                assertFalse(reopened.pool.isLive(h), "the last holder's exit freed it");
            }
            assertTrue(reopened.pool.validate().valid());
        }
    }
}
