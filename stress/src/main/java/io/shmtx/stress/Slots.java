package io.shmtx.stress;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;

import org.agrona.BufferUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A JVM-wide region of memory that jcstress state objects carve 64-byte slots from: one over
 * direct memory ({@link #direct()}) and one over a file mapped from {@code /dev/shm}
 * ({@link #mapped()}), each created once per JVM on first use.
 *
 * <p>This class is threadsafe: {@link #claim()} is one atomic increment.
 *
 * <p>jcstress creates state objects by the thousand (in quick mode an epoch holds at most
 * 256 x 40 = 10,240 of them) and never frees them explicitly, so the slots are handed out
 * round-robin over {@link #SLOT_COUNT} slots, 25 times more than a whole epoch: by the time a
 * slot comes round again its previous state has long been dropped. A slot is a whole cache line
 * (the region is 64-byte aligned), so two live states never share a line and never interfere;
 * {@link #claim()} zeroes the slot, and jcstress publishes a state to its actor threads safely,
 * so actors see the zeroes.
 */
final class Slots
{
    /** Bytes in a slot: one cache line on x86-64 and most AArch64 parts. */
    static final int SLOT_SIZE = 64;

    /** Slots in a region: 2^18, i.e. 16 MiB, touched lazily. */
    static final int SLOT_COUNT = 1 << 18;

    private static final int REGION_SIZE = SLOT_SIZE * SLOT_COUNT;

    private final AtomicBuffer buffer;
    private final AtomicInteger next = new AtomicInteger();

    private Slots(final AtomicBuffer buffer)
    {
        buffer.verifyAlignment();
        if ((buffer.addressOffset() & (SLOT_SIZE - 1)) != 0)
        {
            throw new IllegalStateException("region address=" + buffer.addressOffset() + " is not 64-byte aligned");
        }
        this.buffer = buffer;
    }

    /**
     * The region over direct (off-heap) memory of this JVM.
     *
     * @return the region, created on first use.
     */
    static Slots direct()
    {
        return DirectHolder.INSTANCE;
    }

    /**
     * The region over a file mapped from {@code /dev/shm} (or the temporary folder where there
     * is no {@code /dev/shm}), as a region of shmtx is.
     *
     * @return the region, created on first use.
     */
    static Slots mapped()
    {
        return MappedHolder.INSTANCE;
    }

    /**
     * The buffer over the whole region.
     *
     * @return the buffer; slot offsets from {@link #claim()} index into it.
     */
    AtomicBuffer buffer()
    {
        return buffer;
    }

    /**
     * Claims the next slot and zeroes it.
     *
     * @return the byte offset of the slot in {@link #buffer()}, a multiple of {@link #SLOT_SIZE}.
     */
    int claim()
    {
        final int offset = (next.getAndIncrement() & (SLOT_COUNT - 1)) * SLOT_SIZE;
        buffer.setMemory(offset, SLOT_SIZE, (byte)0);
        return offset;
    }

    private static final class DirectHolder
    {
        static final Slots INSTANCE = new Slots(new UnsafeBuffer(BufferUtil.allocateDirectAligned(REGION_SIZE, SLOT_SIZE)));
    }

    private static final class MappedHolder
    {
        static final Slots INSTANCE = new Slots(new UnsafeBuffer(mapTemporaryFile()));

        /*
         * The file is unlinked as soon as it is mapped: the mapping lives on until the JVM
         * exits, and no file is left behind even when jcstress kills a fork. Where the OS
         * refuses to delete a mapped file, it goes at exit instead.
         */
        private static MappedByteBuffer mapTemporaryFile()
        {
            final Path shm = Paths.get("/dev/shm");
            final Path dir = Files.isDirectory(shm) && Files.isWritable(shm) ?
                shm : Paths.get(System.getProperty("java.io.tmpdir"));
            try
            {
                final Path file = Files.createTempFile(dir, "shmtx-stress-", ".region");
                final MappedByteBuffer mapped;
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
                {
                    mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, REGION_SIZE);
                }
                try
                {
                    Files.delete(file);
                }
                catch (final IOException ex)
                {
                    file.toFile().deleteOnExit();
                }
                return mapped;
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("cannot map a region file in " + dir, ex);
            }
        }
    }
}
