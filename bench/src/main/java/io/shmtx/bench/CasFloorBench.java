package io.shmtx.bench;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The floor under any shared-memory free list: a bare Treiber stack in a mapped /dev/shm file,
 * one CAS pop and one CAS push, nothing else (no thread cache, no block states, no counters).
 *
 * <p>Layout: the head word at offset 0 on its own cache line, then {@value #BLOCKS} blocks of
 * {@value #STRIDE} bytes (a 16-byte header, whose second word is the next link, and 64 bytes of
 * payload), like the pool's 64-byte tier. The head word is the pool's encoding: bits 32-62 an
 * ABA tag bumped by every CAS, bits 0-31 the top block's index + 1 (0 = empty); a link holds the
 * next block's index + 1.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {BenchFiles.ADD_EXPORTS, "-Xmn64m"})
@State(Scope.Thread)
public class CasFloorBench
{
    static final int BLOCKS = 8192;
    static final int STRIDE = 80;
    static final int HEAD = 0;
    static final int BLOCKS_OFFSET = 64;
    static final int NEXT_OFFSET = 8;
    private static final long TAG_MASK = (1L << 31) - 1;

    private Path file;
    private MappedByteBuffer mapped;
    private UnsafeBuffer buffer;

    /** Maps a fresh file in /dev/shm and links every block into the stack. */
    @Setup
    public void setUp() throws IOException
    {
        file = BenchFiles.newPath("floor");
        final long length = BLOCKS_OFFSET + (long)BLOCKS * STRIDE;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
            StandardOpenOption.WRITE))
        {
            mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, length);
        }
        buffer = new UnsafeBuffer(mapped);
        for (int i = 0; i < BLOCKS; i++)
        {
            buffer.putLong(BLOCKS_OFFSET + i * STRIDE + NEXT_OFFSET, i + 1 < BLOCKS ? i + 2 : 0);
        }
        buffer.putLongVolatile(HEAD, 1); // tag 0, top = block 0
    }

    /** Unmaps and deletes the file. */
    @TearDown
    public void tearDown() throws IOException
    {
        IoUtil.unmap(mapped);
        Files.deleteIfExists(file);
    }

    private static long headWord(final long previous, final int index)
    {
        final long tag = ((previous >>> 32) + 1) & TAG_MASK;
        return (tag << 32) | (index + 1L);
    }

    /** Pop the top block, push it back: two CASes on the head word. */
    @Benchmark
    public int popPush()
    {
        final UnsafeBuffer b = buffer;
        // pop: read head, read the top's next link, CAS head to the next block
        long h;
        int index;
        while (true)
        {
            h = b.getLongVolatile(HEAD);
            index = (int)(h & 0xFFFF_FFFFL) - 1;
            if (index < 0)
            {
                throw new IllegalStateException("empty stack");
            }
            final long next = b.getLong(BLOCKS_OFFSET + index * STRIDE + NEXT_OFFSET);
            if (b.compareAndSetLong(HEAD, h, headWord(h, (int)next - 1)))
            {
                break;
            }
        }
        // push: link the block to the current top, CAS head to it
        final int link = BLOCKS_OFFSET + index * STRIDE + NEXT_OFFSET;
        while (true)
        {
            h = b.getLongVolatile(HEAD);
            b.putLong(link, h & 0xFFFF_FFFFL);
            if (b.compareAndSetLong(HEAD, h, headWord(h, index)))
            {
                return index;
            }
        }
    }
}
