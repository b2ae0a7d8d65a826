package io.shmtx.props;

import io.shmtx.consistency.SharedMemory;
import io.shmtx.consistency.TransactionAbortedException;
import io.shmtx.consistency.Tx;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * Runs {@link Program}s as real transactions on a {@link SharedMemory} and records what each
 * committed one read: a program that writes through {@code transact} (or {@code begin}/{@code
 * commit} when it says manual), one that only reads through {@code readOnly}. Only the reads of
 * the attempt that committed are recorded (each attempt starts its record afresh), with the
 * number of attempts and the time before the first and after the commit.
 *
 * <p>Not threadsafe: one executor per thread (it holds the thread's current {@code Tx}).
 */
final class TxExecutor implements Access
{
    /** Attempts of a manual transaction before the executor gives up. */
    static final int MANUAL_ATTEMPTS = 100_000;

    private final SharedMemory shm;
    private final long[] handles;
    private final byte[] bytes = new byte[Program.WORDS * Long.BYTES];
    private final UnsafeBuffer view = new UnsafeBuffer(bytes);
    private final List<long[]> reads = new ArrayList<>();
    private Tx tx;
    private int attempts;

    /**
     * An executor over the objects {@code handles} (each {@link Program#WORDS} longs).
     *
     * @param shm     the shared memory, open in this process.
     * @param handles the objects, by index.
     */
    TxExecutor(final SharedMemory shm, final long[] handles)
    {
        this.shm = shm;
        this.handles = handles.clone();
    }

    /**
     * Runs {@code program} until it commits.
     *
     * @param id      the record's name.
     * @param program the program.
     * @return what the committed attempt read.
     */
    TxRecord execute(final String id, final Program program)
    {
        attempts = 0;
        final long begin = System.nanoTime();
        if (program.manual())
        {
            runManual(program);
        }
        else if (program.readOnly())
        {
            shm.readOnly(t -> attempt(t, program));
        }
        else
        {
            shm.transact(t -> attempt(t, program));
        }
        tx = null;
        return new TxRecord(id, program, reads, attempts, begin, System.nanoTime());
    }

    /**
     * Runs {@code programs} round-robin until {@code transactions} have committed or {@code time}
     * is up, appending each record to {@code history}; records are named {@code name.n}.
     *
     * @param name         prefix of the records' names.
     * @param programs     the programs, at least one.
     * @param transactions most transactions.
     * @param time         most time.
     * @param history      receives the records.
     */
    void runStream(final String name, final List<Program> programs, final int transactions, final Duration time,
        final List<TxRecord> history)
    {
        runStream(name, programs, transactions, time, () -> false, history::add);
    }

    /**
     * As {@link #runStream(String, List, int, Duration, List)}, stopping also as soon as
     * {@code stop} says so (checked before each transaction).
     *
     * @param name         prefix of the records' names.
     * @param programs     the programs, at least one.
     * @param transactions most transactions.
     * @param time         most time.
     * @param stop         whether to stop early.
     * @param history      receives the records, in order.
     * @return how many committed.
     */
    int runStream(final String name, final List<Program> programs, final int transactions, final Duration time,
        final BooleanSupplier stop, final Consumer<TxRecord> history)
    {
        final long deadline = System.nanoTime() + time.toNanos();
        int t = 0;
        while (t < transactions && System.nanoTime() < deadline && !stop.getAsBoolean())
        {
            history.accept(execute(name + "." + t, programs.get(t % programs.size())));
            t++;
        }
        return t;
    }

    private Object attempt(final Tx t, final Program program)
    {
        tx = t;
        attempts++;
        reads.clear();
        program.run(this, reads);
        return null;
    }

    private void runManual(final Program program)
    {
        for (int attempt = 1; ; attempt++)
        {
            try (Tx t = shm.begin())
            {
                attempt(t, program);
                t.commit();
                return;
            }
            catch (final TransactionAbortedException ex)
            {
                if (attempt >= MANUAL_ATTEMPTS)
                {
                    throw ex;
                }
                Thread.yield();
            }
        }
    }

    @Override
    public int objects()
    {
        return handles.length;
    }

    @Override
    public long[] read(final int object, final boolean bulk)
    {
        final long handle = handles[object];
        final long[] words = new long[Program.WORDS];
        if (bulk)
        {
            tx.getBytes(handle, 0, bytes, 0, bytes.length);
            for (int w = 0; w < words.length; w++)
            {
                words[w] = view.getLong(w * Long.BYTES);
            }
        }
        else
        {
            for (int w = 0; w < words.length; w++)
            {
                words[w] = tx.getLong(handle, w * Long.BYTES);
            }
        }
        return words;
    }

    @Override
    public void pause(final long length)
    {
        if (length == 0)
        {
            Thread.yield();
        }
        for (long i = 0; i < length; i++)
        {
            Thread.onSpinWait();
        }
    }

    @Override
    public void put(final int object, final int word, final long value)
    {
        tx.putLong(handles[object], word * Long.BYTES, value);
    }
}
