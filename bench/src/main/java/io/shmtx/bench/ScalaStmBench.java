package io.shmtx.bench;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import scala.concurrent.stm.Ref;
import scala.concurrent.stm.japi.STM;

/**
 * The in-process peer of {@link TxBench}: ScalaSTM through its Java API
 * ({@code scala.concurrent.stm.japi.STM}), the same operations on {@code Ref}s of this JVM's
 * heap: a one-Ref increment transaction, a two-Ref transfer and a read-only transaction. One
 * thread, one process; nothing here is shared with another process or survives a crash.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {BenchFiles.ADD_EXPORTS, "-Xmn64m"})
@State(Scope.Thread)
public class ScalaStmBench
{
    private Ref.View<Long> counter;
    private Ref.View<Long> from;
    private Ref.View<Long> to;
    /** Built once: the benchmark measures the transaction, not a lambda allocation. */
    private Runnable increment;
    private Runnable transfer;
    private Callable<Long> read;

    /** Three Refs and the transaction bodies. */
    @Setup
    public void setUp()
    {
        counter = STM.newRef(0L);
        from = STM.newRef(1L << 40);
        to = STM.newRef(0L);
        increment = () -> counter.set(counter.get() + 1);
        transfer = () ->
        {
            from.set(from.get() - 1);
            to.set(to.get() + 1);
        };
        read = () -> counter.get();
    }

    /** A transaction that reads and writes one Ref. */
    @Benchmark
    public void increment()
    {
        STM.atomic(increment);
    }

    /** A transaction that moves 1 from one Ref to another. */
    @Benchmark
    public void transfer()
    {
        STM.atomic(transfer);
    }

    /** A transaction that reads one Ref. */
    @Benchmark
    public long readOnly()
    {
        return STM.atomic(read);
    }
}
