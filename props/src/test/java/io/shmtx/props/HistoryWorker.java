package io.shmtx.props;

import io.shmtx.consistency.ConsistencyModel;
import io.shmtx.consistency.SharedMemory;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Child JVM of {@link HistoryRuns#processes}. Args: region file, model, programs file (one
 * {@link Program} a line), history file, name, transactions, milliseconds. Opens the region,
 * prints "READY", waits for a line on standard input, runs the programs round-robin until it
 * has committed that many transactions or the time is up, writing one {@link TxRecord} a line to
 * the history file as each commits, and prints "DONE n".
 */
public final class HistoryWorker
{
    private HistoryWorker()
    {
    }

    /**
     * Entry point.
     *
     * @param args see the class comment.
     * @throws Exception on any failure (the parent sees the stack trace and the exit code).
     */
    public static void main(final String[] args) throws Exception
    {
        final Path file = Path.of(args[0]);
        final ConsistencyModel model = ConsistencyModel.valueOf(args[1]);
        final List<Program> programs = new ArrayList<>();
        for (final String line : Files.readAllLines(Path.of(args[2]), StandardCharsets.UTF_8))
        {
            programs.add(Program.decode(line));
        }
        final Path history = Path.of(args[3]);
        final String name = args[4];
        final int transactions = Integer.parseInt(args[5]);
        final long millis = Long.parseLong(args[6]);
        try (SharedMemory shm = SharedMemory.open(file, PropsFixture.config(model)))
        {
            final TxExecutor executor = new TxExecutor(shm, PropsFixture.handles(shm));
            System.out.println("READY");
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            final int committed;
            try (BufferedWriter out = Files.newBufferedWriter(history, StandardCharsets.UTF_8))
            {
                committed = executor.runStream(name, programs, transactions, Duration.ofMillis(millis), () -> false,
                    record -> write(out, record));
            }
            System.out.println("DONE " + committed);
        }
    }

    /** One record a line, as it commits: a long run's history need not fit in the heap. */
    private static void write(final BufferedWriter out, final TxRecord record)
    {
        try
        {
            out.write(record.encode());
            out.newLine();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
