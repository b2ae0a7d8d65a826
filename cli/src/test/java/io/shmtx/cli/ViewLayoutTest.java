package io.shmtx.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.consistency.SharedMemory;
import io.shmtx.consistency.SharedMemoryConfig;
import io.shmtx.deadlock.Decision;
import io.shmtx.deadlock.LockMode;
import io.shmtx.deadlock.Txn;
import io.shmtx.pool.PoolConfig;
import io.shmtx.testkit.TempRegions;

import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What {@code stat} and {@code inspect} print fits in 100 columns (the path of the region aside,
 * which these tests keep short enough), has no empty line in a single view, and no heading
 * without something under it (such as a "request sizes:" with no sizes after it).
 */
class ViewLayoutTest
{
    private static final int WIDTH = 100;

    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws IOException
    {
        temp.close();
    }

    private static void assertLaidOut(final Cli.Result result)
    {
        assertEquals(0, result.exitCode(), result::toString);
        final String[] lines = result.out().split("\n");
        assertTrue(lines.length > 10, result::toString);
        for (int i = 0; i < lines.length; i++)
        {
            final String line = lines[i];
            final int n = i;
            assertTrue(line.length() <= WIDTH, () -> "line " + n + " has " + line.length() + " columns:\n" + result.out());
            assertFalse(line.isBlank(), () -> "line " + n + " is empty:\n" + result.out());
            if (line.endsWith(":"))
            {
                assertTrue(i + 1 < lines.length && indent(lines[i + 1]) > indent(line),
                    () -> "nothing under the heading of line " + n + ":\n" + result.out());
            }
        }
    }

    private static int indent(final String line)
    {
        return line.length() - line.stripLeading().length();
    }

    @Test
    void aFreshRegionWithEveryPart()
    {
        final Path file = temp.newPath("fresh");
        assertEquals(0, Cli.run("create", file.toString(), "--pool", "--refcounts", "--locks").exitCode());

        final Cli.Result stat = Cli.run(ReadOnlyCommandsTest.stat(file));

        assertLaidOut(stat);
        assertTrue(stat.out().contains("\nrequest sizes: no requests yet\n"), stat::toString);
        assertLaidOut(Cli.run("inspect", file.toString()));
    }

    /** Blocks and references held, leaked and orphaned, locks held and waited for, a dead slot. */
    @Test
    void aBusyRegionWithEveryPart()
    {
        final Path file = temp.newPath("busy");
        assertEquals(0, Cli.run("create", file.toString(), "--pool-tiers", "64:256,256:64", "--refcounts", "--locks",
            "--process-slots", "4").exitCode());
        try (SharedFixture a = new SharedFixture(file))
        {
            final long shared = a.refs.allocate(40);
            a.refs.retain(shared);
            a.refs.allocate(200);
            a.pool.allocate(30);
            final long[] keys = LocksAndReferencesStatTest.distinctKeys(a.locks, 3);
            final Txn older = a.locks.begin();
            final Txn younger = a.locks.begin();
            younger.lockExclusive(keys[0]);
            older.lockShared(keys[1]);
            assertEquals(Decision.WAIT, older.tryLock(keys[0], LockMode.EXCLUSIVE));
            final SharedFixture b = new SharedFixture(file);
            try
            {
                b.refs.allocate(48);
                b.locks.begin().lockExclusive(keys[2]);
            }
            finally
            {
                b.crash();
            }

            final Cli.Result stat = Cli.run(ReadOnlyCommandsTest.stat(file));

            assertLaidOut(stat);
            assertTrue(stat.out().contains("\n  orphans: 1 ") && stat.out().contains("dead"), stat::toString);
            assertTrue(stat.out().contains("\nrequest sizes (4 requests;"), stat::toString);
            assertLaidOut(Cli.run("inspect", file.toString()));
            older.close();
            younger.close();
        }
    }

    @Test
    void aRegionWithTransactions()
    {
        final Path file = temp.newPath("transactions");
        final SharedMemoryConfig config = SharedMemoryConfig.builder().processSlots(4)
            .pool(PoolConfig.builder().tier(64, 256).tier(256, 32).build()).build();
        try (SharedMemory shm = SharedMemory.open(file, config))
        {
            final long account = shm.allocate(16);
            for (int i = 0; i < 10; i++)
            {
                shm.transact(tx -> tx.putLong(account, 0, tx.getLong(account, 0) + 1));
            }

            final Cli.Result stat = Cli.run(ReadOnlyCommandsTest.stat(file));

            assertLaidOut(stat);
            assertTrue(stat.out().contains("\ntransactions: model RELEASE (epoch 1); switches 0 (0 given up)\n"
                + "  commits 10, retries 0, retry() waits 0\n  aborts 0\n"), stat::toString);
            assertLaidOut(Cli.run("inspect", file.toString()));
        }
    }
}
