package io.shmtx.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The peer: Netty's pooled direct allocator (in-process memory only, no crash safety, no
 * cross-process sharing), one 64-byte buffer allocated and released.
 *
 * <p>Netty 4.2's {@code PooledByteBufAllocator.DEFAULT} gives thread caches only to its own
 * {@code FastThreadLocalThread}s ({@code io.netty.allocator.useCacheForAllThreads} is false by
 * default), so a JMH thread allocates from the arena under its lock; {@link #pooledDirect64Cached}
 * measures Netty's best case, an allocator built with {@code useCacheForAllThreads = true}, which is
 * what an event-loop thread gets.
 * <p>Netty's default leak detection (SIMPLE) records a stack trace for about 1 allocation in 128
 * (about 12 B/op of garbage here); {@link #pooledDirect64NoLeakDetection} runs in forks with
 * {@code -Dio.netty.leakDetection.level=disabled}, as Netty's own benchmarks do.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {BenchFiles.ADD_EXPORTS, "-Xmn64m"})
@State(Scope.Benchmark)
public class NettyBench
{
    private final PooledByteBufAllocator cached = new PooledByteBufAllocator(true,
        PooledByteBufAllocator.defaultNumHeapArena(), PooledByteBufAllocator.defaultNumDirectArena(),
        PooledByteBufAllocator.defaultPageSize(), PooledByteBufAllocator.defaultMaxOrder(),
        PooledByteBufAllocator.defaultSmallCacheSize(), PooledByteBufAllocator.defaultNormalCacheSize(), true);

    /** PooledByteBufAllocator.DEFAULT: directBuffer(64) then release(). */
    @Benchmark
    public boolean pooledDirect64()
    {
        final ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        return buf.release();
    }

    /** The same with a thread cache for every thread (Netty's event-loop case). */
    @Benchmark
    public boolean pooledDirect64Cached()
    {
        final ByteBuf buf = cached.directBuffer(64);
        return buf.release();
    }

    /** DEFAULT with leak detection disabled (its own forks). */
    @Benchmark
    @Fork(value = 2, jvmArgsAppend = {BenchFiles.ADD_EXPORTS, "-Xmn64m", "-Dio.netty.leakDetection.level=disabled"})
    public boolean pooledDirect64NoLeakDetection()
    {
        final ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        return buf.release();
    }
}
