package io.shmtx.bench;

import io.shmtx.consistency.ConsistencyModel;
import io.shmtx.consistency.SharedMemory;
import io.shmtx.consistency.SharedMemoryConfig;
import io.shmtx.pool.PoolConfig;
import io.shmtx.region.Region;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A model switch (SEQUENTIAL, RELEASE, CAUSAL in turn) with {@link #processes} processes attached
 * (this one and child JVMs), the children running one-object transactions without pause or
 * idle: the switch publishes the new epoch, waits for the running transactions of the old one to
 * end, and the children's next transactions wait for it.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {BenchFiles.ADD_EXPORTS, "-Xmn64m"})
@State(Scope.Benchmark)
public class SwitchBench
{
    private static final ConsistencyModel[] MODELS = ConsistencyModel.values();

    /** Attached processes, this one included. */
    @Param({"4"})
    public int processes;

    /** Whether the children run transactions (else they are attached and idle). */
    @Param({"true", "false"})
    public boolean busy;

    private Path file;
    private SharedMemory shm;
    private final List<Process> children = new ArrayList<>();
    private int next;

    static SharedMemoryConfig config()
    {
        return SharedMemoryConfig.builder().processSlots(8).pool(PoolConfig.builder().tier(64, 1024).build()).build();
    }

    /** Creates the region and starts the children; returns once each runs. */
    @Setup
    public void setUp() throws IOException
    {
        file = BenchFiles.newPath("switch");
        shm = SharedMemory.open(file, config());
        shm.bindRoot("x", shm.allocate(8));
        for (int p = 1; p < processes; p++)
        {
            final Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                BenchFiles.ADD_EXPORTS, "-cp", System.getProperty("java.class.path"), SwitchBench.class.getName(),
                file.toString(), Boolean.toString(busy)).redirectErrorStream(true).start();
            children.add(child);
            final String line = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8)).readLine();
            if (!"READY".equals(line))
            {
                throw new IllegalStateException("child said " + line);
            }
        }
    }

    /** Stops the children, closes and deletes the region. */
    @TearDown
    public void tearDown() throws InterruptedException
    {
        for (final Process child : children)
        {
            child.destroy();
            child.waitFor();
        }
        shm.close();
        Region.delete(file);
    }

    /** One switch to the next model. */
    @Benchmark
    public long switchModel()
    {
        shm.switchModel(MODELS[next++ % MODELS.length]);
        return shm.epoch();
    }

    /**
     * A child: attaches, prints READY, then runs increments (or idles) until stdin closes.
     *
     * @param args region file, busy.
     * @throws IOException on a pipe error.
     */
    public static void main(final String[] args) throws IOException
    {
        try (SharedMemory shm = SharedMemory.open(Path.of(args[0]), config()))
        {
            final long x = shm.root("x");
            final boolean busy = Boolean.parseBoolean(args[1]);
            final Thread worker = new Thread(() ->
            {
                while (busy && !Thread.currentThread().isInterrupted())
                {
                    shm.transact(tx -> tx.putLong(x, 0, tx.getLong(x, 0) + 1));
                }
            });
            worker.setDaemon(true);
            worker.start();
            System.out.println("READY");
            System.out.flush();
            while (System.in.read() >= 0)
            {
                Thread.onSpinWait();
            }
            worker.interrupt();
        }
    }
}
