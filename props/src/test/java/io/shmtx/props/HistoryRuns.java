package io.shmtx.props;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.consistency.ConsistencyModel;
import io.shmtx.consistency.SharedMemory;
import io.shmtx.testkit.ChildJvm;
import io.shmtx.testkit.TempRegions;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * Runs a {@link Workload} on a fresh region, each stream by a thread of this JVM or by a child
 * JVM ({@link HistoryWorker}), and collects what a checker needs: the initial state, each
 * stream's history in the order it ran, and the state after every stream ended.
 *
 * <p>Threadsafe: static methods, each run on its own region.
 */
final class HistoryRuns
{
    /** Longest wait for a child JVM's line or exit. */
    private static final Duration WAIT = Duration.ofSeconds(60);

    /**
     * What a run left.
     *
     * @param initial    each object's words before it.
     * @param streams    each stream's committed transactions, in the order it ran them.
     * @param finalState each object's words after it.
     */
    record Result(long[][] initial, List<List<TxRecord>> streams, long[][] finalState)
    {
        /**
         * Every committed transaction, asserted not to be none.
         *
         * @return the streams' histories one after the other.
         */
        List<TxRecord> all()
        {
            final List<TxRecord> all = new ArrayList<>();
            streams.forEach(all::addAll);
            assertFalse(all.isEmpty(), "no transaction committed");
            return all;
        }
    }

    private HistoryRuns()
    {
    }

    /**
     * Runs each stream in a thread of this JVM, all started together, until it has committed
     * {@code transactions} or {@code time} is up; with {@code together}, all stop as soon as
     * one has (so that no stream runs alone at the end).
     *
     * @param model        the model of the region.
     * @param workload     what to run.
     * @param transactions most transactions per stream.
     * @param time         most time per stream.
     * @param together     whether the first stream to stop stops the others.
     * @return the histories.
     * @throws Exception when a thread failed or the region did.
     */
    static Result threads(final ConsistencyModel model, final Workload workload, final int transactions, final Duration time,
        final boolean together) throws Exception
    {
        try (TempRegions temp = new TempRegions(); SharedMemory shm = SharedMemory.open(temp.newPath("props"), PropsFixture.config(model)))
        {
            final long[][] initial = PropsFixture.initialState(workload.objects());
            final long[] handles = PropsFixture.create(shm, initial);
            final int streams = workload.streams().size();
            final List<List<TxRecord>> histories = new ArrayList<>();
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final AtomicBoolean stop = new AtomicBoolean();
            final CountDownLatch start = new CountDownLatch(1);
            final Thread[] threads = new Thread[streams];
            for (int s = 0; s < streams; s++)
            {
                final List<TxRecord> history = new ArrayList<>();
                histories.add(history);
                final List<Program> programs = workload.streams().get(s);
                final String name = "t" + s;
                threads[s] = new Thread(() ->
                {
                    try
                    {
                        start.await();
                        new TxExecutor(shm, handles).runStream(name, programs, transactions, time, stop::get, history::add);
                    }
                    catch (final Throwable ex)
                    {
                        failure.compareAndSet(null, ex);
                    }
                    finally
                    {
                        stop.set(together);
                    }
                }, "props-" + name);
                threads[s].start();
            }
            start.countDown();
            for (final Thread thread : threads)
            {
                thread.join();
            }
            assertNull(failure.get(), () -> "a thread failed: " + failure.get());
            return new Result(initial, histories, PropsFixture.state(shm, handles));
        }
    }

    /**
     * Runs each stream in a child JVM ({@link HistoryWorker}), all started together once every
     * child is ready, or, {@code staggered}, each started as soon as the one before is ready
     * (so that processes attach, open the region and warm up while others run transactions, as
     * the bank's workers do); each writes its history to a file under
     * {@code target/props-histories}, deleted afterwards.
     *
     * @param model        the model of the region.
     * @param workload     what to run.
     * @param transactions most transactions per stream.
     * @param time         most time per stream.
     * @param staggered    whether each child starts running as soon as it is ready.
     * @return the histories.
     * @throws Exception when a child failed or the region did.
     */
    static Result processes(final ConsistencyModel model, final Workload workload, final int transactions,
        final Duration time, final boolean staggered) throws Exception
    {
        final Path dir = Files.createDirectories(Path.of("target", "props-histories")).resolve("run-" + System.nanoTime());
        Files.createDirectories(dir);
        final List<ChildJvm> children = new ArrayList<>();
        try (TempRegions temp = new TempRegions())
        {
            final Path file = temp.newPath("props-jvm");
            try (SharedMemory shm = SharedMemory.open(file, PropsFixture.config(model)))
            {
                final long[][] initial = PropsFixture.initialState(workload.objects());
                final long[] handles = PropsFixture.create(shm, initial);
                final int streams = workload.streams().size();
                for (int s = 0; s < streams; s++)
                {
                    final Path programs = dir.resolve("programs-" + s);
                    Files.write(programs, workload.streams().get(s).stream().map(Program::encode).toList(), StandardCharsets.UTF_8);
                    final ChildJvm child = ChildJvm.start(HistoryWorker.class, file.toString(), model.name(), programs.toString(),
                        dir.resolve("history-" + s).toString(), "p" + s, Integer.toString(transactions),
                        Long.toString(time.toMillis()));
                    children.add(child);
                    if (staggered)
                    {
                        child.awaitLine("READY", WAIT);
                        child.send("go");
                    }
                }
                for (int s = 0; s < streams && !staggered; s++)
                {
                    children.get(s).awaitLine("READY", WAIT);
                }
                for (int s = 0; s < streams && !staggered; s++)
                {
                    children.get(s).send("go");
                }
                final List<List<TxRecord>> histories = new ArrayList<>();
                for (int s = 0; s < streams; s++)
                {
                    final ChildJvm child = children.get(s);
                    child.awaitLine("DONE", WAIT);
                    assertEquals(0, child.waitForExit(WAIT), () -> "worker output:\n" + String.join("\n", child.transcript()));
                    final List<TxRecord> history = new ArrayList<>();
                    for (final String line : Files.readAllLines(dir.resolve("history-" + s), StandardCharsets.UTF_8))
                    {
                        history.add(TxRecord.decode(line));
                    }
                    histories.add(history);
                }
                return new Result(initial, histories, PropsFixture.state(shm, handles));
            }
        }
        finally
        {
            children.forEach(ChildJvm::close);
            try (Stream<Path> files = Files.walk(dir))
            {
                for (final Path path : files.sorted(Comparator.reverseOrder()).toList())
                {
                    Files.deleteIfExists(path);
                }
            }
        }
    }
}
