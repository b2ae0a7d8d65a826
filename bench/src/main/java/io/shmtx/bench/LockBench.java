package io.shmtx.bench;

import io.shmtx.deadlock.LockManager;
import io.shmtx.deadlock.LockManagerConfig;
import io.shmtx.deadlock.LockMode;
import io.shmtx.deadlock.LockPolicy;
import io.shmtx.deadlock.TxAbortedException;
import io.shmtx.deadlock.Txn;
import io.shmtx.region.Region;
import io.shmtx.region.RegionConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The lock table: an uncontended exclusive lock + commit (unlock) in one transaction, and the
 * throughput of two threads taking two random locks of eight per transaction under each policy
 * (aborted transactions restart and are counted in the time).
 */
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {BenchFiles.ADD_EXPORTS, "-Xmn64m"})
public class LockBench
{
    /** The region and lock table, shared by the benchmark's threads. */
    @State(Scope.Benchmark)
    public static class Table
    {
        /** Policy under test. */
        @Param({"WAIT_DIE", "WOUND_WAIT", "NO_WAIT", "DETECT"})
        public String policy;

        Path file;
        Region region;
        LockManager locks;

        /** Creates the region and attaches. */
        @Setup(Level.Trial)
        public void setUp()
        {
            file = BenchFiles.newPath("locks");
            Region.create(file, RegionConfig.builder().processSlots(8)
                .section(LockManager.section(LockManagerConfig.builder().policy(LockPolicy.valueOf(policy))
                    .maxWait(Duration.ofSeconds(1)).build(), 8)).build()).close();
            region = Region.open(file);
            locks = LockManager.open(region);
            region.attach();
        }

        /** Closes and deletes. */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            region.close();
            Region.delete(file);
        }
    }

    /** One transaction per thread, restarted for every operation. */
    @State(Scope.Thread)
    public static class Worker
    {
        Txn tx;
        Table table;
        final SplittableRandom random = new SplittableRandom();

        /** Begins the thread's transaction. */
        @Setup(Level.Trial)
        public void setUp(final Table table)
        {
            this.table = table;
            tx = table.locks.begin();
        }

        /** Closes it (JMH may tear the shared table down first: the region's close released it then). */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            if (!table.region.isClosed())
            {
                tx.close();
            }
        }
    }

    /** Exclusive lock of one key, commit (releases it), restart: one thread, no contention. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @Threads(1)
    public void uncontendedExclusive(final Table table, final Worker worker)
    {
        worker.tx.lock(42L, LockMode.EXCLUSIVE);
        worker.tx.commit();
        worker.tx.restart();
    }

    /** Two threads, two random keys of eight per transaction (exclusive), retried until committed. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Threads(2)
    public void contendedPair(final Table table, final Worker worker)
    {
        final long a = worker.random.nextInt(8);
        final long b = (a + 1 + worker.random.nextInt(7)) % 8;
        while (true)
        {
            try
            {
                worker.tx.lock(a, LockMode.EXCLUSIVE);
                worker.tx.lock(b, LockMode.EXCLUSIVE);
                worker.tx.commit();
                worker.tx.restart();
                return;
            }
            catch (final TxAbortedException ex)
            {
                worker.tx.restart();
            }
        }
    }
}
