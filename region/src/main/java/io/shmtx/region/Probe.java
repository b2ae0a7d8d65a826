package io.shmtx.region;

import static io.shmtx.region.RegionDescriptor.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * What a region file holds before it is mapped: read with a plain file read, so that no byte of
 * it is trusted. Immutable.
 */
final class Probe
{
    enum Kind
    {
        /** No file. */
        MISSING,
        /** Empty, zero-filled or marked INIT: a creation that never finished. */
        INCOMPLETE,
        /** Magic says ready; the header still has to be validated. */
        READY
    }

    final Kind kind;
    final long length;
    final long magic;
    final long creatorPid;
    final byte[] page;

    private Probe(final Kind kind, final long length, final long magic, final long creatorPid, final byte[] page)
    {
        this.kind = kind;
        this.length = length;
        this.magic = magic;
        this.creatorPid = creatorPid;
        this.page = page;
    }

    /**
     * @throws RegionFormatException when the file holds something that is not a region.
     */
    static Probe of(final Path file)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final long length = channel.size();
            final byte[] page = new byte[HEADER_LENGTH];
            final ByteBuffer bytes = ByteBuffer.wrap(page).order(ByteOrder.nativeOrder());
            final int wanted = (int)Math.min(length, HEADER_LENGTH);
            while (bytes.position() < wanted)
            {
                if (channel.read(bytes, bytes.position()) < 0)
                {
                    break;
                }
            }
            final int read = bytes.position();
            final long magic = bytes.getLong(MAGIC_OFFSET);
            final long creatorPid = bytes.getLong(CREATOR_PID_OFFSET);
            if (magic == MAGIC)
            {
                if (read < HEADER_LENGTH)
                {
                    throw new RegionFormatException(file, "fileLength", String.valueOf(length),
                        "at least " + HEADER_LENGTH + " (the file is truncated)");
                }
                return new Probe(Kind.READY, length, magic, creatorPid, page);
            }
            if (magic == INIT_MAGIC || allZero(page, read))
            {
                return new Probe(Kind.INCOMPLETE, length, magic, magic == INIT_MAGIC ? creatorPid : 0, page);
            }
            throw new RegionFormatException(file, "magic", RegionHeader.hex(magic),
                RegionHeader.hex(MAGIC) + " (the file is not a shmtx region)");
        }
        catch (final NoSuchFileException ex)
        {
            return new Probe(Kind.MISSING, 0, 0, 0, null);
        }
        catch (final IOException ex)
        {
            throw new RegionException(file, "cannot read: " + ex, ex);
        }
    }

    /**
     * Passes for a missing file and for anything that is a region, even a truncated one or one
     * whose creation never finished.
     *
     * @throws RegionFormatException when the file holds something else.
     */
    static void checkRegionOrMissing(final Path file)
    {
        if (Files.isDirectory(file))
        {
            throw new RegionFormatException(file, "type", "a directory", "a region file");
        }
        try
        {
            of(file);
        }
        catch (final RegionFormatException ex)
        {
            if (!"fileLength".equals(ex.field())) // a truncated region is still a region
            {
                throw ex;
            }
        }
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
