package io.shmtx.region;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The buffer of a region mapped read-only ({@link Region#openReadOnly}): every read of
 * {@link UnsafeBuffer}, and every write refused with an {@link IllegalStateException} naming the
 * file. A store into a read-only mapping is not an exception but a fault that kills the JVM; so
 * no method of this class stores, whatever a module opened on the region tries. (A view made
 * from this buffer by another {@code UnsafeBuffer}, or an address taken from it, is not guarded:
 * read through those only.) It cannot be re-wrapped.
 *
 * <p>Threadsafe as {@link UnsafeBuffer} is: reads from any thread.
 */
final class ReadOnlyBuffer extends UnsafeBuffer
{
    private final Path file;
    private final boolean constructed;

    ReadOnlyBuffer(final MappedByteBuffer mapped, final Path file)
    {
        super(mapped);
        this.file = file;
        this.constructed = true;
    }

    private IllegalStateException refused()
    {
        return new IllegalStateException("region " + file + " is open read-only (Region.openReadOnly): it cannot be written");
    }

    @Override
    public boolean compareAndSetInt(final int index, final int expectedValue, final int updateValue)
    {
        throw refused();
    }

    @Override
    public boolean compareAndSetLong(final int index, final long expectedValue, final long updateValue)
    {
        throw refused();
    }

    @Override
    public int addIntOpaque(final int index, final int value)
    {
        throw refused();
    }

    @Override
    public int addIntOrdered(final int index, final int value)
    {
        throw refused();
    }

    @Override
    public int addIntRelease(final int index, final int value)
    {
        throw refused();
    }

    @Override
    public int compareAndExchangeInt(final int index, final int expectedValue, final int updateValue)
    {
        throw refused();
    }

    @Override
    public int getAndAddInt(final int index, final int value)
    {
        throw refused();
    }

    @Override
    public int getAndSetInt(final int index, final int value)
    {
        throw refused();
    }

    @Override
    public int putIntAscii(final int index, final int value)
    {
        throw refused();
    }

    @Override
    public int putLongAscii(final int index, final long value)
    {
        throw refused();
    }

    @Override
    public int putNaturalIntAscii(final int index, final int value)
    {
        throw refused();
    }

    @Override
    public int putNaturalIntAsciiFromEnd(final int index, final int value)
    {
        throw refused();
    }

    @Override
    public int putNaturalLongAscii(final int index, final long value)
    {
        throw refused();
    }

    @Override
    public int putStringAscii(final int index, final CharSequence value)
    {
        throw refused();
    }

    @Override
    public int putStringAscii(final int index, final CharSequence value, final ByteOrder byteOrder)
    {
        throw refused();
    }

    @Override
    public int putStringAscii(final int index, final String value)
    {
        throw refused();
    }

    @Override
    public int putStringAscii(final int index, final String value, final ByteOrder byteOrder)
    {
        throw refused();
    }

    @Override
    public int putStringUtf8(final int index, final String value)
    {
        throw refused();
    }

    @Override
    public int putStringUtf8(final int index, final String value, final int maxEncodedLength)
    {
        throw refused();
    }

    @Override
    public int putStringUtf8(final int index, final String value, final ByteOrder byteOrder)
    {
        throw refused();
    }

    @Override
    public int putStringUtf8(final int index, final String value, final ByteOrder byteOrder, final int maxEncodedLength)
    {
        throw refused();
    }

    @Override
    public int putStringWithoutLengthAscii(final int index, final CharSequence value)
    {
        throw refused();
    }

    @Override
    public int putStringWithoutLengthAscii(final int index, final CharSequence value, final int valueOffset, final int length)
    {
        throw refused();
    }

    @Override
    public int putStringWithoutLengthAscii(final int index, final String value)
    {
        throw refused();
    }

    @Override
    public int putStringWithoutLengthAscii(final int index, final String value, final int valueOffset, final int length)
    {
        throw refused();
    }

    @Override
    public int putStringWithoutLengthUtf8(final int index, final String value)
    {
        throw refused();
    }

    @Override
    public long addLongOpaque(final int index, final long value)
    {
        throw refused();
    }

    @Override
    public long addLongOrdered(final int index, final long value)
    {
        throw refused();
    }

    @Override
    public long addLongRelease(final int index, final long value)
    {
        throw refused();
    }

    @Override
    public long compareAndExchangeLong(final int index, final long expectedValue, final long updateValue)
    {
        throw refused();
    }

    @Override
    public long getAndAddLong(final int index, final long value)
    {
        throw refused();
    }

    @Override
    public long getAndSetLong(final int index, final long value)
    {
        throw refused();
    }

    @Override
    public void putByte(final int index, final byte value)
    {
        throw refused();
    }

    @Override
    public void putByteVolatile(final int index, final byte value)
    {
        throw refused();
    }

    @Override
    public void putBytes(final int index, final byte[] source)
    {
        throw refused();
    }

    @Override
    public void putBytes(final int index, final byte[] source, final int offset, final int length)
    {
        throw refused();
    }

    @Override
    public void putBytes(final int index, final ByteBuffer source, final int length)
    {
        throw refused();
    }

    @Override
    public void putBytes(final int index, final ByteBuffer source, final int offset, final int length)
    {
        throw refused();
    }

    @Override
    public void putBytes(final int index, final DirectBuffer source, final int offset, final int length)
    {
        throw refused();
    }

    @Override
    public void putChar(final int index, final char value)
    {
        throw refused();
    }

    @Override
    public void putChar(final int index, final char value, final ByteOrder byteOrder)
    {
        throw refused();
    }

    @Override
    public void putCharVolatile(final int index, final char value)
    {
        throw refused();
    }

    @Override
    public void putDouble(final int index, final double value)
    {
        throw refused();
    }

    @Override
    public void putDouble(final int index, final double value, final ByteOrder byteOrder)
    {
        throw refused();
    }

    @Override
    public void putFloat(final int index, final float value)
    {
        throw refused();
    }

    @Override
    public void putFloat(final int index, final float value, final ByteOrder byteOrder)
    {
        throw refused();
    }

    @Override
    public void putInt(final int index, final int value)
    {
        throw refused();
    }

    @Override
    public void putInt(final int index, final int value, final ByteOrder byteOrder)
    {
        throw refused();
    }

    @Override
    public void putIntOpaque(final int index, final int value)
    {
        throw refused();
    }

    @Override
    public void putIntOrdered(final int index, final int value)
    {
        throw refused();
    }

    @Override
    public void putIntRelease(final int index, final int value)
    {
        throw refused();
    }

    @Override
    public void putIntVolatile(final int index, final int value)
    {
        throw refused();
    }

    @Override
    public void putLong(final int index, final long value)
    {
        throw refused();
    }

    @Override
    public void putLong(final int index, final long value, final ByteOrder byteOrder)
    {
        throw refused();
    }

    @Override
    public void putLongOpaque(final int index, final long value)
    {
        throw refused();
    }

    @Override
    public void putLongOrdered(final int index, final long value)
    {
        throw refused();
    }

    @Override
    public void putLongRelease(final int index, final long value)
    {
        throw refused();
    }

    @Override
    public void putLongVolatile(final int index, final long value)
    {
        throw refused();
    }

    @Override
    public void putNaturalPaddedIntAscii(final int offset, final int length, final int value)
    {
        throw refused();
    }

    @Override
    public void putShort(final int index, final short value)
    {
        throw refused();
    }

    @Override
    public void putShort(final int index, final short value, final ByteOrder byteOrder)
    {
        throw refused();
    }

    @Override
    public void putShortVolatile(final int index, final short value)
    {
        throw refused();
    }

    @Override
    public void setMemory(final int index, final int length, final byte value)
    {
        throw refused();
    }

    @Override
    public void wrap(final byte[] source)
    {
        throw refused();
    }

    @Override
    public void wrap(final byte[] source, final int offset, final int length)
    {
        throw refused();
    }

    @Override
    public void wrap(final ByteBuffer source)
    {
        if (constructed)
        {
            throw refused();
        }
        super.wrap(source); // the constructor's own wrap
    }

    @Override
    public void wrap(final ByteBuffer source, final int offset, final int length)
    {
        throw refused();
    }

    @Override
    public void wrap(final long address, final int length)
    {
        throw refused();
    }

    @Override
    public void wrap(final DirectBuffer source)
    {
        throw refused();
    }

    @Override
    public void wrap(final DirectBuffer source, final int offset, final int length)
    {
        throw refused();
    }
}
