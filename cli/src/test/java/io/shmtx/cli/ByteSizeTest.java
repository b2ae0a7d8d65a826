package io.shmtx.cli;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import picocli.CommandLine.TypeConversionException;

class ByteSizeTest
{
    @ParameterizedTest
    @CsvSource({
        "0, 0",
        "4096, 4096",
        "4096b, 4096",
        "4k, 4096",
        "64m, 67108864",
        "64M, 67108864",
        "64MiB, 67108864",
        "64mb, 67108864",
        "' 1g ', 1073741824",
        "2G, 2147483648",
        "8589934591g, 9223372035781033984",
    })
    void parsesBytesAndBinaryUnits(final String text, final long bytes)
    {
        assertEquals(bytes, ByteSize.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "banana", "-1", "1.5g", "64t", "64 m b", "1ib", "m", "99999999999999999999", "8589934592g",
    })
    void rejectsWhatIsNotASizeNamingTheValue(final String text)
    {
        final TypeConversionException ex = assertThrows(TypeConversionException.class, () -> ByteSize.parse(text));
        assertTrue(ex.getMessage().contains("'" + text + "'"), ex.getMessage());
    }

    @Test
    void formatsForPeople()
    {
        assertEquals("512 bytes", ByteSize.format(512));
        assertEquals("4 KiB", ByteSize.format(4096));
        assertEquals("64 MiB", ByteSize.format(64L << 20));
        assertEquals("1.5 GiB", ByteSize.format(3L << 29));
    }
}
