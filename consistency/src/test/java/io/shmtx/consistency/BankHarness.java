package io.shmtx.consistency;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.pool.PoolConfig;
import io.shmtx.pool.TierStats;
import io.shmtx.testkit.ChildJvm;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The bank: K accounts in one region, worker JVMs ({@link BankWorker}) moving money between
 * random accounts and auditing the sum of every balance in read-only transactions, optionally
 * while a chaos loop kills random workers with {@code destroyForcibly()} and starts new ones.
 * Afterwards {@link #verify()} checks the total is unchanged, no audit saw another total, no
 * version lock is held, the pool validates and holds exactly the bank's blocks, and no
 * reference is left but the bank's own.
 *
 * <p>The accounts are reference-counted objects held by the process that made the bank (this
 * one); a directory object bound to the root {@value #ROOT} lists their handles.
 *
 * <p>Not threadsafe: drive it from one test thread (it runs one audit thread of its own).
 */
final class BankHarness implements AutoCloseable
{
    static final String ROOT = "bank";
    static final long INITIAL_BALANCE = 1_000;
    private static final Duration WAIT = Duration.ofSeconds(60);

    private final Path file;
    private final int accounts;
    private final SharedMemory shm;
    private final long[] handles;
    private final List<ChildJvm> workers = new ArrayList<>();
    private final List<ChildJvm> finished = new ArrayList<>();
    private final AtomicLong parentAudits = new AtomicLong();
    private final AtomicReference<String> parentBadAudit = new AtomicReference<>();
    private final AtomicLong recoveredTransactions = new AtomicLong();
    private long seed = 1;
    private int kills;
    private ChildJvm switcher;
    private String switchModels;
    private int switcherKills;
    private long switches;

    /**
     * Makes a bank of {@code accounts} accounts in a new region at {@code file}.
     */
    BankHarness(final Path file, final int accounts)
    {
        this(file, accounts, ConsistencyModel.RELEASE);
    }

    /**
     * Makes a bank of {@code accounts} accounts in a new region at {@code file} whose model is
     * {@code model} (the workers follow the region's model).
     */
    BankHarness(final Path file, final int accounts, final ConsistencyModel model)
    {
        this.file = file;
        this.accounts = accounts;
        this.shm = SharedMemory.open(file, config(model));
        this.handles = new long[accounts];
        final long directory = shm.allocate(accounts * Long.BYTES);
        for (int a = 0; a < accounts; a++)
        {
            handles[a] = shm.allocate(16);
        }
        shm.transact(tx ->
        {
            for (int a = 0; a < accounts; a++)
            {
                tx.putLong(handles[a], 0, INITIAL_BALANCE);
                tx.putLong(directory, a * Long.BYTES, handles[a]);
            }
        });
        shm.bindRoot(ROOT, directory);
        shm.region().addOwnerDeathListener(report -> recoveredTransactions.addAndGet(countTransactions(report.stepResults().toString())));
    }

    private static long countTransactions(final String recovery)
    {
        return recovery.split("rolled (back|forward)|undone|finished at", -1).length - 1;
    }

    /**
     * Transactions of killed workers that recovery found in flight (rolled back or forward), by
     * this process or, as they reported, by the workers. Call after {@link #verify()}.
     */
    long recoveredTransactions()
    {
        long total = recoveredTransactions.get();
        for (final ChildJvm worker : finished)
        {
            for (final String line : worker.transcript())
            {
                if (line.startsWith("RECOVERED "))
                {
                    total += countTransactions(line);
                }
            }
        }
        return total;
    }

    /** The configuration of the bank's region, the same in every process. */
    static SharedMemoryConfig config()
    {
        return config(ConsistencyModel.RELEASE);
    }

    /** The configuration of a new bank region under {@code model}. */
    static SharedMemoryConfig config(final ConsistencyModel model)
    {
        return SharedMemoryConfig.builder()
            .model(model)
            .processSlots(24)
            .logsPerProcess(4)
            .pool(PoolConfig.builder().tier(64, 4096).tier(1024, 64).build())
            .build();
    }

    long expectedTotal()
    {
        return accounts * INITIAL_BALANCE;
    }

    SharedMemory shm()
    {
        return shm;
    }

    int kills()
    {
        return kills;
    }

    /** Kills of the switcher process (counted in {@link #kills()} too). */
    int switcherKills()
    {
        return switcherKills;
    }

    /** Switches made by switchers that stopped cleanly, counted by {@link #verify()}. */
    long switches()
    {
        return switches;
    }

    /** Starts a worker JVM and waits until it runs transactions. */
    ChildJvm startWorker() throws IOException
    {
        final ChildJvm worker = ChildJvm.start(BankWorker.class, file.toString(), Long.toString(seed++));
        workers.add(worker);
        worker.awaitLine("RUNNING", WAIT);
        return worker;
    }

    /** Starts a switcher JVM ({@link SwitchWorker}) and waits until it has switched once. */
    private void startSwitcher() throws IOException
    {
        switcher = ChildJvm.start(SwitchWorker.class, file.toString(), "100", switchModels);
        switcher.awaitLine("SWITCHING", WAIT);
    }

    /**
     * Runs the workers for {@code duration} while this process audits; with {@code chaos}, kills a
     * random worker with {@code destroyForcibly()} and starts another as often as that fits.
     */
    void run(final int workerCount, final Duration duration, final boolean chaos) throws Exception
    {
        run(workerCount, duration, chaos, null);
    }

    /**
     * As {@link #run(int, Duration, boolean)}, while another process switches the model every
     * 100 ms to each of {@code models} (comma-separated) in turn; with {@code chaos}, every third
     * kill (the second, fifth, ...) is the switcher's (a new one is started).
     */
    void run(final int workerCount, final Duration duration, final boolean chaos, final String models) throws Exception
    {
        run(workerCount, duration, chaos, models, Integer.MAX_VALUE);
    }

    /**
     * As {@link #run(int, Duration, boolean, String)}, stopping early once {@code killTarget}
     * processes have been killed.
     */
    void run(final int workerCount, final Duration duration, final boolean chaos, final String models, final int killTarget)
        throws Exception
    {
        for (int w = 0; w < workerCount; w++)
        {
            startWorker();
        }
        switchModels = models;
        if (models != null)
        {
            startSwitcher();
        }
        final Thread auditor = new Thread(this::auditLoop, "bank-auditor");
        auditor.setDaemon(true);
        auditor.start();
        final long end = System.nanoTime() + duration.toNanos();
        final SplittableRandom random = new SplittableRandom(42);
        try
        {
            while (System.nanoTime() < end && kills < killTarget)
            {
                if (!chaos)
                {
                    Thread.sleep(100);
                    continue;
                }
                Thread.sleep(50 + random.nextInt(200));
                if (switcher != null && kills % 3 == 1)
                {
                    switcher.kill(); // perhaps in the middle of a switch: it must not wedge the others
                    finished.add(switcher);
                    kills++;
                    switcherKills++;
                    startSwitcher();
                    continue;
                }
                final ChildJvm victim = workers.remove(random.nextInt(workers.size()));
                victim.kill(); // destroyForcibly(): SIGKILL, at whatever instruction it is
                finished.add(victim);
                kills++;
                startWorker();
            }
        }
        finally
        {
            auditor.interrupt();
            auditor.join();
        }
        if (switcher != null)
        {
            switcher.send("stop");
            assertEquals(0, switcher.waitForExit(WAIT), "switcher exit code; output:\n" + String.join("\n", switcher.transcript()));
            finished.add(switcher);
            switcher = null;
        }
        for (final ChildJvm worker : workers)
        {
            worker.send("stop");
        }
        for (final ChildJvm worker : workers)
        {
            assertEquals(0, worker.waitForExit(WAIT), "worker exit code; output:\n" + String.join("\n", worker.transcript()));
        }
        finished.addAll(workers);
        workers.clear();
    }

    private void auditLoop()
    {
        while (!Thread.currentThread().isInterrupted())
        {
            final long total = audit();
            parentAudits.incrementAndGet();
            if (total != expectedTotal())
            {
                parentBadAudit.compareAndSet(null, "audit in the parent saw " + total);
            }
        }
    }

    /** Sums every balance in one read-only transaction. */
    long audit()
    {
        return shm.readOnly(tx ->
        {
            long sum = 0;
            for (final long h : handles)
            {
                sum += tx.getLong(h, 0);
            }
            return sum;
        });
    }

    /** Recovers every dead worker, then checks the bank. Returns the audits and transfers the workers reported. */
    long[] verify() throws InterruptedException
    {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        final int me = shm.region().slot();
        java.util.List<io.shmtx.region.OwnerDeathReport> reports = java.util.List.of();
        while (shm.region().processes().stream().anyMatch(p -> p.slot() != me))
        {
            final java.util.List<io.shmtx.region.OwnerDeathReport> last = shm.region().recoverDeadSlots();
            reports = last.isEmpty() ? reports : last;
            assertTrue(System.nanoTime() < deadline, "dead workers not recovered: " + shm.region().processes() + "; last recovery: "
                + reports + "; watchdog: " + shm.region().lastWatchdogError());
            Thread.sleep(10);
        }
        assertNull(parentBadAudit.get());
        assertEquals(expectedTotal(), audit(), "the total is unchanged");
        long workerAudits = 0;
        long transfers = 0;
        for (final ChildJvm worker : finished)
        {
            for (final String line : worker.transcript())
            {
                assertFalse(line.startsWith("BAD"), "worker " + worker.pid() + ": " + line);
                if (line.startsWith("SWITCHER DONE "))
                {
                    switches += Long.parseLong(line.split(" ")[2].substring("switches=".length()));
                }
                if (line.startsWith("DONE "))
                {
                    final String[] parts = line.split(" "); // DONE transfers=N audits=M
                    transfers += Long.parseLong(parts[1].substring("transfers=".length()));
                    workerAudits += Long.parseLong(parts[2].substring("audits=".length()));
                }
            }
        }
        for (final long h : handles)
        {
            assertFalse(ConsistencyDescriptor.isLocked(shm.versionWord(h)), "account " + h + " is still locked");
            assertEquals(1, shm.refCounts().count(h), "only the bank holds a reference to account " + h);
        }
        shm.transact(tx ->
        {
            for (final long h : handles)
            {
                tx.putLong(h, 0, tx.getLong(h, 0)); // a write frees the history no snapshot needs (none runs now)
            }
        });
        assertTrue(shm.pool().validate().valid(), shm.pool().validate().toString());
        long inUse = 0;
        for (final TierStats tier : shm.pool().stats().tiers())
        {
            inUse += tier.inUse();
        }
        assertEquals(accounts + 1, inUse, "blocks in use: the accounts and the directory, nothing leaked (no version left behind)");
        return new long[] {parentAudits.get(), workerAudits, transfers};
    }

    @Override
    public void close()
    {
        if (switcher != null)
        {
            switcher.close();
        }
        for (final ChildJvm worker : workers)
        {
            worker.close();
        }
        shm.close();
    }
}
