package io.shmtx.testkit;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checks that {@code toString()} reads as text: no array, lambda or identity-hash leaks such as
 * {@code [J@1b6d3586} or {@code Foo$$Lambda$14/0x...@4dd8dc3}; and lists a module's public records,
 * so that a test can check it covers every one.
 *
 * <p>Threadsafe (no state).
 */
public final class Readable
{
    /** A class name followed by an identity hash code, as {@code Object.toString()} prints it. */
    private static final Pattern IDENTITY = Pattern.compile("[\\w$\\[;]@[0-9a-f]{4,8}\\b");

    private Readable()
    {
    }

    /**
     * Asserts that {@code value.toString()} shows no array, lambda or identity hash.
     *
     * @param value the object.
     * @return its text, for further checks.
     */
    public static String assertReadable(final Object value)
    {
        final String text = String.valueOf(value);
        final String what = value.getClass().getName() + ".toString(): " + text;
        for (final String leak : new String[] {"[J@", "[I@", "[B@", "[Ljava", "$$Lambda", "$Lambda"})
        {
            assertFalse(text.contains(leak), what);
        }
        assertFalse(IDENTITY.matcher(text).find(), what);
        return text;
    }

    /**
     * Asserts that {@code covered} holds every public record (nested ones included) in the
     * package of {@code anyClass}, as compiled in its class-path directory.
     *
     * @param anyClass a class of the package.
     * @param covered  the record classes a test built an instance of.
     */
    public static void assertCoversPublicRecords(final Class<?> anyClass, final Collection<Class<?>> covered)
    {
        final Set<String> missing = new TreeSet<>();
        for (final Class<?> record : publicRecords(anyClass))
        {
            if (!covered.contains(record))
            {
                missing.add(record.getName());
            }
        }
        assertEquals(Set.of(), missing, "public records whose toString no test checks");
    }

    private static Set<Class<?>> publicRecords(final Class<?> anyClass)
    {
        final Path dir;
        try
        {
            dir = Path.of(anyClass.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolve(anyClass.getPackageName().replace('.', '/'));
        }
        catch (final URISyntaxException ex)
        {
            throw new IllegalStateException(ex);
        }
        final Set<Class<?>> records = new java.util.HashSet<>();
        try (Stream<Path> files = Files.list(dir))
        {
            files.map(file -> file.getFileName().toString()).filter(name -> name.endsWith(".class")).forEach(name ->
            {
                final Class<?> type = load(anyClass.getPackageName() + "." + name.substring(0, name.length() - ".class".length()));
                if (type.isRecord() && Modifier.isPublic(type.getModifiers()) && isPubliclyReachable(type))
                {
                    records.add(type);
                }
            });
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        assertFalse(records.isEmpty(), "no public record found in " + dir);
        return records;
    }

    private static boolean isPubliclyReachable(final Class<?> type)
    {
        for (Class<?> outer = type.getEnclosingClass(); outer != null; outer = outer.getEnclosingClass())
        {
            if (!Modifier.isPublic(outer.getModifiers()))
            {
                return false;
            }
        }
        return true;
    }

    private static Class<?> load(final String name)
    {
        try
        {
            return Class.forName(name, false, Readable.class.getClassLoader());
        }
        catch (final ClassNotFoundException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
