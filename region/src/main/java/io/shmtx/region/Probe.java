package io.shmtx.region;

import static io.shmtx.region.RegionDescriptor.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * What a region file holds before it is mapped: its type checked without following a link or
 * opening it, then its first page read with a plain file read, so that no byte of it is trusted.
 * A file is recognised as a region only positively, by a magic number: anything else (empty,
 * zeros, other bytes, not a regular file) is refused, and so never changed nor deleted.
 * Immutable.
 */
final class Probe
{
    enum Kind
    {
        /** No file. */
        MISSING,
        /** Marked INIT: a creation that never finished (only files of older versions show it under a region's name). */
        HALF_CREATED,
        /** Magic says ready; the header still has to be validated ({@link #header}). */
        READY
    }

    final Kind kind;
    final RegionFiles.Facts facts;
    final long length;
    final long magic;
    final long creatorPid;
    private final int read;
    private final byte[] page;

    private Probe(
        final Kind kind, final RegionFiles.Facts facts, final long length, final long magic, final long creatorPid,
        final int read, final byte[] page)
    {
        this.kind = kind;
        this.facts = facts;
        this.length = length;
        this.magic = magic;
        this.creatorPid = creatorPid;
        this.read = read;
        this.page = page;
    }

    /**
     * @throws RegionFormatException when the file is not a regular file or holds something that is not a region.
     */
    static Probe of(final Path file)
    {
        final RegionFiles.Facts facts = RegionFiles.facts(file);
        if (facts == null)
        {
            return missing();
        }
        if (!facts.regular)
        {
            throw new RegionFormatException(file, "fileType", facts.type, "a regular file (a region)");
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))
        {
            final long length = channel.size();
            final byte[] page = new byte[HEADER_LENGTH];
            final int read = readPage(channel, page, length);
            final ByteBuffer bytes = ByteBuffer.wrap(page).order(ByteOrder.nativeOrder());
            final long magic = bytes.getLong(MAGIC_OFFSET);
            if (magic == MAGIC || magic == INIT_MAGIC)
            {
                return new Probe(magic == MAGIC ? Kind.READY : Kind.HALF_CREATED, facts, length, magic,
                    bytes.getLong(CREATOR_PID_OFFSET), read, page);
            }
            throw notARegion(file, page, read, magic);
        }
        catch (final NoSuchFileException ex)
        {
            return missing();
        }
        catch (final IOException ex)
        {
            throw new RegionException(file, "cannot read: " + ex, ex);
        }
    }

    /**
     * Reads the first page of a file of {@code length} bytes (less if it is shorter).
     *
     * @return the number of bytes read.
     */
    static int readPage(final FileChannel channel, final byte[] page, final long length) throws IOException
    {
        final ByteBuffer bytes = ByteBuffer.wrap(page);
        final int wanted = (int)Math.min(length, page.length);
        while (bytes.position() < wanted)
        {
            if (channel.read(bytes, bytes.position()) < 0)
            {
                break;
            }
        }
        return bytes.position();
    }

    /**
     * The validated header of a ready region.
     *
     * @throws RegionFormatException when the file is truncated or its header is not valid.
     */
    RegionHeader header(final Path file)
    {
        if (read < HEADER_LENGTH)
        {
            throw new RegionFormatException(file, "fileLength", String.valueOf(length),
                "at least " + HEADER_LENGTH + " (the file is truncated)");
        }
        return RegionHeader.validate(file, page, length);
    }

    private static Probe missing()
    {
        return new Probe(Kind.MISSING, null, 0, 0, 0, 0, null);
    }

    private static RegionFormatException notARegion(final Path file, final byte[] page, final int read, final long magic)
    {
        final String found = read == 0 ? "none (the file is empty)"
            : allZero(page, read) ? RegionHeader.hex(0) + " (the first " + read + " bytes are zeros: a sparse or preallocated"
            + " file, a disk image?)"
            : RegionHeader.hex(magic);
        return new RegionFormatException(file, "magic", found,
            RegionHeader.hex(MAGIC) + " (the file is not a shmtx region; it is left as it is)");
    }

    private static boolean allZero(final byte[] bytes, final int length)
    {
        for (int i = 0; i < length; i++)
        {
            if (bytes[i] != 0)
            {
                return false;
            }
        }
        return true;
    }
}
