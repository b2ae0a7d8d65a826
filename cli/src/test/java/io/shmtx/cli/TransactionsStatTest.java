package io.shmtx.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.consistency.AbortReason;
import io.shmtx.consistency.ConsistencyDescriptor;
import io.shmtx.consistency.ConsistencyModel;
import io.shmtx.consistency.SharedMemory;
import io.shmtx.consistency.SharedMemoryConfig;
import io.shmtx.consistency.Tx;
import io.shmtx.consistency.TxStats;
import io.shmtx.pool.PoolConfig;
import io.shmtx.region.Region;
import io.shmtx.region.SectionSpec;
import io.shmtx.testkit.TempRegions;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.agrona.concurrent.AtomicBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The "transactions" part of {@code shmtx stat} and {@code inspect}, on regions that
 * {@link SharedMemory} made and ran transactions in: the figures printed are the ones the region
 * holds ({@link SharedMemory#stats()} reads the same counters), and a value that cannot be true
 * prints as UNREADABLE with exit code 1, the rest of the view still printed.
 */
class TransactionsStatTest
{
    private static final int SLOTS = 4;
    private static final int LOGS = 4;
    private static final long WAIT_SECONDS = 60;
    /** The commands that read a region. */
    private static final String[] READERS = {"stat", "inspect"};

    private final TempRegions temp = new TempRegions();

    @AfterEach
    void cleanUp() throws IOException
    {
        temp.close();
    }

    private static SharedMemoryConfig config()
    {
        return SharedMemoryConfig.builder().processSlots(SLOTS).logsPerProcess(LOGS)
            .pool(PoolConfig.builder().tier(64, 256).tier(256, 32).build()).build();
    }

    private static void inAnotherThread(final Runnable work) throws Exception
    {
        CompletableFuture.runAsync(work).get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /**
     * Commits, one CONFLICT retried, one {@code retry()} wait, a switch to CAUSAL, then a snapshot
     * held open while another process writes: one older version alive, one log running and pinning.
     */
    @Test
    void statAndInspectPrintTheRegionsTransactionStatistics() throws Exception
    {
        final Path file = temp.newPath("tx-stat");
        try (SharedMemory a = SharedMemory.open(file, config()); SharedMemory b = SharedMemory.open(file, config()))
        {
            final long x = a.allocate(16);
            final long y = a.allocate(16);
            for (int i = 0; i < 5; i++)
            {
                a.transact(tx -> tx.putLong(x, 0, tx.getLong(x, 0) + 1));
            }
            // attempt 1 reads x, then the other process commits a new x: attempt 1 aborts (CONFLICT), attempt 2 commits
            final AtomicInteger attempts = new AtomicInteger();
            a.transact(tx ->
            {
                final long seen = tx.getLong(x, 0);
                if (attempts.getAndIncrement() == 0)
                {
                    runUnchecked(() -> inAnotherThread(() -> b.transact(other -> other.putLong(x, 0, 100))));
                }
                tx.putLong(y, 0, seen);
            });
            assertEquals(2, attempts.get());
            retryOnce(a, b, y);
            a.switchModel(ConsistencyModel.CAUSAL);
            final CountDownLatch pinned = new CountDownLatch(1);
            final CountDownLatch done = new CountDownLatch(1);
            final CompletableFuture<Long> snapshot = CompletableFuture.supplyAsync(() ->
            {
                try (Tx tx = a.begin())
                {
                    final long value = tx.getLong(x, 0);
                    pinned.countDown();
                    done.await();
                    tx.commit();
                    return value;
                }
                catch (final InterruptedException ex)
                {
                    throw new IllegalStateException(ex);
                }
            });
            assertTrue(pinned.await(WAIT_SECONDS, TimeUnit.SECONDS));
            b.transact(tx -> tx.putLong(x, 0, 200)); // the open snapshot needs the value it replaces: one version kept
            try
            {
                final TxStats expected = a.stats();
                assertEquals(1, expected.switches(), expected::toString);
                assertEquals(1L, expected.aborts().get(AbortReason.CONFLICT), expected::toString);
                assertEquals(1, expected.totalAborts(), expected::toString);
                assertEquals(1, expected.retries(), expected::toString);
                assertEquals(1, expected.retryWaits(), expected::toString);
                assertEquals(1, expected.versionsAlive(), expected::toString);
                final String part = "\ntransactions: model CAUSAL (epoch " + expected.epoch() + "); switches 1 (0 given up)\n"
                    + "  commits " + expected.commits() + ", retries 1, retry() waits 1\n"
                    + "  aborts 1: CONFLICT 1\n"
                    + "  versions alive 1 (CAUSAL: older values kept for snapshots)\n"
                    + "  logs in use: 1 running, 0 active, 0 committing, 1 pinning a snapshot (of " + SLOTS * LOGS
                    + ", " + LOGS + " per process slot)\n";

                final Cli.Result stat = Cli.run("stat", file.toString(), "--once");

                assertEquals(0, stat.exitCode(), stat::toString);
                assertEquals("", stat.err(), stat::toString);
                assertTrue(stat.out().endsWith(part), stat::toString);
                assertTrue(stat.out().contains("\npool tiers (2)\n"), stat::toString);

                final Cli.Result inspect = Cli.run("inspect", file.toString());

                assertEquals(0, inspect.exitCode(), inspect::toString);
                assertEquals("", inspect.err(), inspect::toString);
                assertTrue(inspect.out().endsWith(part + "  log size: " + config().maxObjectsPerTransaction()
                    + " objects, " + config().redoCapacity() + " bytes of redo or undo records per transaction\n"),
                    inspect::toString);
            }
            finally
            {
                done.countDown();
            }
            assertEquals(100L, snapshot.get(WAIT_SECONDS, TimeUnit.SECONDS), "the snapshot read before the write");
        }
    }

    /** One {@code retry()} wait: a transaction of {@code a} waits for a word of {@code y} that {@code b} then sets. */
    private static void retryOnce(final SharedMemory a, final SharedMemory b, final long y) throws Exception
    {
        final CompletableFuture<Void> waiter = CompletableFuture.runAsync(() -> a.transact(tx ->
        {
            if (tx.getLong(y, 8) == 0)
            {
                tx.retry();
            }
        }));
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (a.stats().retryWaits() == 0 && System.nanoTime() < deadline)
        {
            Thread.onSpinWait();
        }
        assertEquals(1, a.stats().retryWaits(), "the waiter never waited");
        b.transact(tx -> tx.putLong(y, 8, 1));
        waiter.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void aSwitchInProgressAndItsOwnerAreShown()
    {
        final Path file = temp.newPath("tx-switching");
        SharedMemory.open(file, config()).close();
        damage(file, (buffer, base) ->
        {
            // as a switcher that died after publishing its switch from RELEASE (epoch 1) to CAUSAL (epoch 2)
            buffer.putLongVolatile(base + ConsistencyDescriptor.MODEL_WORD_OFFSET, ConsistencyDescriptor.switchingWord(
                ConsistencyModel.CAUSAL.ordinal(), ConsistencyModel.RELEASE.ordinal(), 2));
            buffer.putLongVolatile(base + ConsistencyDescriptor.SWITCH_OWNER_OFFSET, 1L << 13 | 3); // slot 2, never attached
        });

        final Cli.Result stat = Cli.run("stat", file.toString(), "--once");

        assertEquals(0, stat.exitCode(), stat::toString);
        assertTrue(stat.out().contains("\ntransactions: model RELEASE (epoch 1); switches 0 (0 given up)\n"
            + "  switching to CAUSAL (epoch 2): waiting for the transactions of RELEASE to end, by a process that\n"
            + "      is gone (the next transaction, switch or recovery clears it)\n"), stat::toString);
    }

    /**
     * Values no writer makes (a negative counter, a log state and a model announcement that do not
     * exist, a negative version count): each named, its figure UNREADABLE, the rest printed, exit 1.
     */
    @Test
    void valuesThatCannotBeTruePrintAsUnreadableAndExitOne()
    {
        final Path file = temp.newPath("tx-corrupt");
        try (SharedMemory shm = SharedMemory.open(file, config()))
        {
            final long x = shm.allocate(8);
            shm.transact(tx -> tx.putLong(x, 0, 1));
        }
        damage(file, (buffer, base) ->
        {
            final int logSize = buffer.getInt(base + ConsistencyDescriptor.LOG_SIZE_OFFSET);
            buffer.putLong(ConsistencyDescriptor.logOffset(base, 2, logSize) + ConsistencyDescriptor.LOG_COUNTERS_OFFSET
                + ConsistencyDescriptor.COUNTER_COMMITS * Long.BYTES, -5);
            buffer.putLong(ConsistencyDescriptor.logOffset(base, 5, logSize) + ConsistencyDescriptor.LOG_STATE_OFFSET, 0x7F);
            buffer.putLong(ConsistencyDescriptor.logOffset(base, 6, logSize) + ConsistencyDescriptor.LOG_MODEL_OFFSET, 0xFF);
            buffer.putLong(base + ConsistencyDescriptor.VERSIONS_ALIVE_OFFSET, -1);
        });
        final String[] named = {
            "  UNREADABLE: consistency log 2 (slot 0, log 2): counter commits=-5 is negative\n",
            "  UNREADABLE: consistency log 5 (slot 1, log 1): state=0x7f is not IDLE, ACTIVE or COMMITTING\n",
            "  UNREADABLE: consistency log 6 (slot 1, log 2): model=0xff is not a model a transaction runs under\n",
            "  UNREADABLE: consistency.versionsAlive=-1 is negative\n",
        };

        for (final String command : READERS)
        {
            final Cli.Result result = readOnce(command, file);

            assertEquals(Main.EXIT_ERROR, result.exitCode(), result::toString);
            assertTrue(result.out().contains("\n  commits UNREADABLE, retries 0, retry() waits 0\n"), result::toString);
            assertTrue(result.out().contains("\n  versions alive UNREADABLE ("), result::toString);
            for (final String line : named)
            {
                assertTrue(result.out().contains(line), () -> "no '" + line + "' in " + result);
            }
            assertEquals(1, result.err().lines().count(), result::toString);
            assertTrue(result.err().contains(file.toString()) && result.err().contains("4 part(s) unreadable")
                && result.err().contains("counter commits=-5"), result::toString);
            assertFalse(result.err().contains("\tat "), result::toString);
        }
    }

    /** A section header that cannot be true: the part is UNREADABLE, named by field; the other parts still print. */
    @Test
    void aCorruptSectionHeaderIsNamedAndTheRestIsPrinted()
    {
        final Path file = temp.newPath("tx-header");
        SharedMemory.open(file, config()).close();
        damage(file, (buffer, base) ->
        {
            buffer.putLongVolatile(base + ConsistencyDescriptor.MODEL_WORD_OFFSET, 0x7L); // model 7, epoch 0
            buffer.putInt(base + ConsistencyDescriptor.LOGS_PER_SLOT_OFFSET, 1 << 20);
        });

        for (final String command : READERS)
        {
            final Cli.Result result = readOnce(command, file);

            assertEquals(Main.EXIT_ERROR, result.exitCode(), result::toString);
            assertTrue(result.out().contains("\ntransactions: UNREADABLE: consistency.logsPerSlot=" + (1 << 20)
                + " required=1.."), result::toString);
            assertTrue(result.out().contains(command.equals("stat") ? "\npool tiers (2)\n" : "\nroots (0)\n"),
                result::toString);
            assertEquals(1, result.err().lines().count(), result::toString);
            assertTrue(result.err().contains("consistency.logsPerSlot"), result::toString);
        }
        damage(file, (buffer, base) -> buffer.putInt(base + ConsistencyDescriptor.LOGS_PER_SLOT_OFFSET, LOGS));
        final Cli.Result model = Cli.run("stat", file.toString(), "--once");
        assertEquals(Main.EXIT_ERROR, model.exitCode(), model::toString);
        assertTrue(model.out().contains("\ntransactions: UNREADABLE: consistency.modelWord=0x7 required="),
            model::toString);
    }

    /** Writes into the consistency section of a region nobody is attached to, as damage would. */
    private interface SectionWriter
    {
        void write(AtomicBuffer buffer, int base);
    }

    private static void damage(final Path file, final SectionWriter writer)
    {
        try (Region region = Region.open(file, Duration.ZERO))
        {
            writer.write(region.buffer(), (int)region.section(SectionSpec.LEDGERS).offset());
        }
    }

    /** {@code stat --once} or {@code inspect}. */
    private static Cli.Result readOnce(final String command, final Path file)
    {
        return command.equals("stat") ? Cli.run(command, file.toString(), "--once") : Cli.run(command, file.toString());
    }

    private interface Action
    {
        void run() throws Exception;
    }

    private static void runUnchecked(final Action action)
    {
        try
        {
            action.run();
        }
        catch (final RuntimeException ex)
        {
            throw ex;
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
