package io.shmtx.testkit;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.region.ConfigMismatchException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.function.Executable;

/**
 * Checks a refusal of a configuration that differs from an existing region.
 *
 * <p>Threadsafe (no state).
 */
public final class Mismatches
{
    private Mismatches()
    {
    }

    /**
     * Asserts that {@code open} throws {@link ConfigMismatchException} whose first difference is
     * {@code setting} with these values, named in its message with the file, and that the file is
     * unchanged.
     *
     * @param file      the region file.
     * @param open      opens the region with the differing configuration.
     * @param setting   the setting expected to differ first.
     * @param saved     its value in the region.
     * @param requested its value in the configuration.
     * @return the exception, for further checks.
     */
    public static ConfigMismatchException assertRefused(final Path file, final Executable open, final String setting,
        final String saved, final String requested)
    {
        final byte[] before = read(file);
        final ConfigMismatchException ex = assertThrows(ConfigMismatchException.class, open);
        final ConfigMismatchException.Difference expected = new ConfigMismatchException.Difference(setting, saved, requested);
        assertEquals(expected, ex.differences().get(0), ex.getMessage());
        assertEquals(setting, ex.setting());
        assertEquals(saved, ex.saved());
        assertEquals(requested, ex.requested());
        assertEquals(file, ex.file());
        assertTrue(ex.getMessage().contains("region " + file + ": ") && ex.getMessage().contains(expected.toString()), ex.getMessage());
        assertEquals(setting + " is " + saved + " in the region but " + requested + " in the configuration", expected.toString());
        Readable.assertReadable(ex.getMessage());
        assertArrayEquals(before, read(file), "a refusal changes nothing");
        return ex;
    }

    private static byte[] read(final Path file)
    {
        try
        {
            return Files.readAllBytes(file);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
