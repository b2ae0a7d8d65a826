package io.shmtx.bench;

import io.shmtx.consistency.ConsistencyModel;
import io.shmtx.consistency.SharedMemory;
import io.shmtx.consistency.SharedMemoryConfig;
import io.shmtx.consistency.TxFunction;
import io.shmtx.consistency.TxRunnable;
import io.shmtx.pool.PoolConfig;
import io.shmtx.region.Region;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.BusySpinIdleStrategy;
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
 * A round trip between this process and a child JVM through one shared object: {@code raw}, a
 * busy-spin ping-pong on one word of it (volatile store, spin on volatile loads: the floor);
 * {@code retry}, each side runs one transaction per turn that waits with {@code Tx.retry()}
 * (busy-spin idle strategy) until the counter says it is its turn, then increments it (this
 * side waits for even, the child for odd); {@code retry-split}, this side writes the ping in one
 * transaction and waits for the pong in a read-only one, the child answering as in {@code retry}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {BenchFiles.ADD_EXPORTS, "-Xmn64m"})
@State(Scope.Benchmark)
public class RoundTripBench
{
    /** raw, retry or retry-split. */
    @Param({"raw", "retry", "retry-split"})
    public String mode;

    /** The model of the region (for retry). */
    @Param({"RELEASE"})
    public String model;

    private Path file;
    private SharedMemory shm;
    private Process child;
    private long box;
    private AtomicBuffer buffer;
    private int word;
    private TxRunnable ping;
    private TxRunnable turn;
    private TxFunction<Object> awaitPong;

    static SharedMemoryConfig config(final ConsistencyModel model)
    {
        return SharedMemoryConfig.builder().model(model).processSlots(4).idleStrategy(BusySpinIdleStrategy::new)
            .pool(PoolConfig.builder().tier(64, 64).build()).build();
    }

    /** Creates the region and starts the child; returns once it runs. */
    @Setup
    public void setUp() throws IOException
    {
        file = BenchFiles.newPath("roundtrip");
        shm = SharedMemory.open(file, config(ConsistencyModel.valueOf(model)));
        box = shm.allocate(16);
        shm.bindRoot("box", box);
        buffer = shm.region().buffer();
        word = shm.pool().payloadOffset(box) + 24 + 8; // word 1 of the payload, past the object header
        ping = tx -> tx.putLong(box, 0, tx.getLong(box, 0) + 1);
        turn = tx ->
        {
            final long v = tx.getLong(box, 0);
            if ((v & 1) != 0)
            {
                tx.retry(); // the child has not answered yet
            }
            tx.putLong(box, 0, v + 1);
        };
        awaitPong = tx ->
        {
            if ((tx.getLong(box, 0) & 1) != 0)
            {
                tx.retry();
            }
            return null;
        };
        child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), BenchFiles.ADD_EXPORTS,
            "-cp", System.getProperty("java.class.path"), RoundTripBench.class.getName(), file.toString(), mode, model)
            .redirectErrorStream(true).start();
        final String line = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8)).readLine();
        if (!"READY".equals(line))
        {
            throw new IllegalStateException("child said " + line);
        }
    }

    /** Stops the child, closes and deletes the region. */
    @TearDown
    public void tearDown() throws InterruptedException
    {
        child.destroy();
        child.waitFor();
        shm.close();
        Region.delete(file);
    }

    /** One round trip. */
    @Benchmark
    public void roundTrip()
    {
        if ("raw".equals(mode))
        {
            final long sent = buffer.getLongVolatile(word) + 1;
            buffer.putLongVolatile(word, sent);
            while (buffer.getLongVolatile(word) == sent)
            {
                Thread.onSpinWait();
            }
            return;
        }
        if ("retry".equals(mode))
        {
            shm.transact(turn); // from our previous ping's commit to this one's: a round trip
            return;
        }
        shm.transact(ping);
        shm.readOnly(awaitPong);
    }

    /**
     * The child: answers each ping (odd value) with a pong (the next, even value).
     *
     * @param args region file, mode, model.
     */
    public static void main(final String[] args)
    {
        try (SharedMemory shm = SharedMemory.open(Path.of(args[0]), config(ConsistencyModel.valueOf(args[2]))))
        {
            final long box = shm.root("box");
            final AtomicBuffer buffer = shm.region().buffer();
            final int word = shm.pool().payloadOffset(box) + 24 + 8;
            System.out.println("READY");
            System.out.flush();
            if ("raw".equals(args[1]))
            {
                while (true)
                {
                    final long v = buffer.getLongVolatile(word);
                    if ((v & 1) != 0)
                    {
                        buffer.putLongVolatile(word, v + 1);
                    }
                    Thread.onSpinWait();
                }
            }
            final TxRunnable pong = tx ->
            {
                final long v = tx.getLong(box, 0);
                if ((v & 1) == 0)
                {
                    tx.retry();
                }
                tx.putLong(box, 0, v + 1);
            };
            while (true)
            {
                shm.transact(pong);
            }
        }
    }
}
