package io.shmtx.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;

/**
 * Another user, for tests of what a region lets users other than its creator do: files handed to
 * it ({@link #chown}) and child JVMs run as it ({@link ChildJvm#startAs}). Both need root: a test
 * that needs them calls {@link #assumeRoot} first, which prints why it skips when not root (never
 * to dodge a failure: as root, it always runs).
 *
 * <p>This class is threadsafe (its only state is computed once).
 */
public final class OtherUser
{
    /** The user tests hand files to: nobody. */
    public static final int NOBODY = 65534;

    static final Path SETPRIV = Path.of("/usr/bin/setpriv");

    private static String readableClassPath;

    private OtherUser()
    {
    }

    /**
     * Skips the calling test, saying so on standard output, unless this JVM runs as root with
     * {@code setpriv} at hand.
     *
     * @param test what the test checks, for the message.
     */
    public static void assumeRoot(final String test)
    {
        final long uid = uid();
        final boolean ok = uid == 0 && Files.isExecutable(SETPRIV);
        if (!ok)
        {
            System.out.println("SKIPPED " + test + ": it needs root and " + SETPRIV + " (this JVM runs as uid " + uid + ")");
        }
        Assumptions.assumeTrue(ok, () -> test + " needs root and " + SETPRIV + " (uid " + uid + ")");
    }

    /**
     * This JVM's user id.
     *
     * @return the uid, or -1 when it cannot be read.
     */
    public static long uid()
    {
        try
        {
            return ((Number)Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        }
        catch (final IOException | RuntimeException ex)
        {
            return -1;
        }
    }

    /**
     * Gives {@code path} itself (not a link's target) to user and group {@code uid}.
     *
     * @param path the file.
     * @param uid  the new owner and group.
     * @throws IOException when that is refused.
     */
    public static void chown(final Path path, final int uid) throws IOException
    {
        Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(path, "unix:gid", uid, LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * The owner of {@code path} itself.
     *
     * @param path the file.
     * @return its uid.
     * @throws IOException when it cannot be read.
     */
    public static int owner(final Path path) throws IOException
    {
        return (Integer)Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }

    /** This JVM's class path, with every entry another user could not read replaced by a readable copy. */
    static synchronized String readableClassPath()
    {
        if (readableClassPath == null)
        {
            final Path copies = Path.of("target", "other-user-classpath").toAbsolutePath();
            final List<String> entries = new ArrayList<>();
            int index = 0;
            for (final String entry : System.getProperty("java.class.path").split(File.pathSeparator))
            {
                final Path path = Path.of(entry).toAbsolutePath();
                if (!Files.exists(path) || readableByOthers(path))
                {
                    entries.add(entry);
                    continue;
                }
                final Path copy = copies.resolve(index++ + "-" + path.getFileName());
                copyReadable(path, copy);
                entries.add(copy.toString());
            }
            readableClassPath = String.join(File.pathSeparator, entries);
        }
        return readableClassPath;
    }

    private static boolean readableByOthers(final Path path)
    {
        try
        {
            final Set<PosixFilePermission> own = Files.getPosixFilePermissions(path);
            if (!own.contains(PosixFilePermission.OTHERS_READ)
                || Files.isDirectory(path) && !own.contains(PosixFilePermission.OTHERS_EXECUTE))
            {
                return false;
            }
            for (Path dir = path.getParent(); dir != null; dir = dir.getParent())
            {
                if (!Files.getPosixFilePermissions(dir).contains(PosixFilePermission.OTHERS_EXECUTE))
                {
                    return false;
                }
            }
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    private static void copyReadable(final Path source, final Path copy)
    {
        try
        {
            Files.createDirectories(copy.getParent());
            Files.setPosixFilePermissions(copy.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
            if (!readableByOthers(copy.getParent()))
            {
                throw new IOException(copy.getParent() + " is not readable by other users");
            }
            try (Stream<Path> tree = Files.walk(source))
            {
                for (final Path from : (Iterable<Path>)tree::iterator)
                {
                    final Path to = copy.resolve(source.relativize(from).toString());
                    if (Files.isDirectory(from))
                    {
                        Files.createDirectories(to);
                        Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rwxr-xr-x"));
                    }
                    else
                    {
                        Files.copy(from, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                        Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rw-r--r--"));
                    }
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot copy " + source + " where another user can read it", ex);
        }
    }
}
