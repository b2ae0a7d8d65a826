package io.shmtx.region;

import static io.shmtx.region.RegionDescriptor.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * How the region module names files and decides which ones it may use, change or delete.
 *
 * <ul>
 *   <li>One resolution: {@link #realPath} turns any path into the file it reaches, symbolic links
 *   resolved (a dangling one too: the file it would create), so that every process, however it
 *   names a region, uses one region file and one lock file beside it.</li>
 *   <li>Facts before opening: {@link #facts} reads a file's type, owner, mode and identity without
 *   following a link and without opening it (opening a FIFO blocks; opening a device has effects).</li>
 *   <li>Trust: a region that {@code openOrCreate} did not create is used only when this user could
 *   have created it ({@link #checkAdoptable}); a lock file only when its owner is this user or the
 *   region's owner and it grants nothing the region does not ({@link #checkLockFile}): whoever can
 *   open the lock file for writing can hold the slot locks that say who is alive.</li>
 *   <li>Creation names: a region is built in a private file ({@link #newTempPath}), named after the
 *   region, its creator's pid and a random word, and published under the region's name only when
 *   ready. A creator that dies leaves that private file; {@link #isRemnant} recognises one positively
 *   (its name, and the INIT or ready magic with the same pid in its first bytes), so that nothing
 *   else is ever deleted as one.</li>
 * </ul>
 *
 * <p>The owner rules need this process's user and groups; where the JDK cannot tell them (no
 * {@code jdk.security.auth} module) or the file system has no owners, they are not checked.
 *
 * <p>This class is threadsafe (it has no mutable state).
 */
final class RegionFiles
{
    /** Most symbolic links followed on one path, as the Linux kernel does. */
    static final int MAX_LINK_HOPS = 40;

    private static final String TEMP_INFIX = ".shmtx-init-";
    private static final Pattern TEMP_SUFFIX = Pattern.compile("[1-9][0-9]{0,17}-[0-9a-f]{8}");
    private static final int S_IFMT = 0170000;
    private static final long[] IDENTITY = identity();

    private RegionFiles()
    {
    }

    // ------------------------------------------------------------------ one resolution

    /**
     * The file {@code given} reaches: its real path when it exists; otherwise, symbolic links in
     * its last component followed by hand (a relative target against the link's directory, at most
     * {@link #MAX_LINK_HOPS} hops) and the directory of the file they end at resolved. So a dangling
     * link names the file that creating through it would make, as the kernel would follow it.
     *
     * @throws RegionException on a link loop or a path that cannot be read.
     */
    static Path realPath(final Path given)
    {
        Path path = given.toAbsolutePath();
        for (int hop = 0; hop <= MAX_LINK_HOPS; hop++)
        {
            try
            {
                return path.toRealPath();
            }
            catch (final NoSuchFileException ex)
            {
                // the file, or a directory on the way, does not exist: follow a link in the last component by hand
            }
            catch (final IOException ex)
            {
                throw new RegionException(given, "cannot resolve the path: " + ex, ex);
            }
            if (!Files.isSymbolicLink(path))
            {
                return realParent(path);
            }
            try
            {
                path = path.resolveSibling(Files.readSymbolicLink(path)); // not normalised: ".." is the kernel's to resolve
            }
            catch (final IOException ex)
            {
                throw new RegionException(given, "cannot read the symbolic link " + path + ": " + ex, ex);
            }
        }
        throw new RegionException(given, "more than " + MAX_LINK_HOPS + " symbolic links to follow (a loop?)");
    }

    private static Path realParent(final Path path)
    {
        final Path parent = path.getParent();
        if (parent == null)
        {
            return path;
        }
        try
        {
            return parent.toRealPath().resolve(path.getFileName());
        }
        catch (final IOException ex)
        {
            return path; // no such directory: creating the file fails and names it
        }
    }

    // ------------------------------------------------------------------ facts

    /**
     * What {@link #facts} tells of a file. Immutable.
     */
    static final class Facts
    {
        final String type;
        final boolean regular;
        /** Permission bits, or null where the file system has none. */
        final Set<PosixFilePermission> permissions;
        /** Owner's uid and group's gid, -1 where unknown. */
        final long uid;
        final long gid;
        final GroupPrincipal group;
        final int links;
        final Object key;
        final long size;

        private Facts(
            final String type, final boolean regular, final Set<PosixFilePermission> permissions, final long uid,
            final long gid, final GroupPrincipal group, final int links, final Object key, final long size)
        {
            this.type = type;
            this.regular = regular;
            this.permissions = permissions;
            this.uid = uid;
            this.gid = gid;
            this.group = group;
            this.links = links;
            this.key = key;
            this.size = size;
        }

        @Override
        public String toString()
        {
            return type + (permissions != null ? " " + PosixFilePermissions.toString(permissions) : "")
                + (uid >= 0 ? " owned by uid " + uid : "");
        }
    }

    /**
     * The facts of {@code file} itself (a link is not followed), without opening it.
     *
     * @return the facts, or null when there is no such file.
     * @throws RegionException when they cannot be read.
     */
    static Facts facts(final Path file)
    {
        try
        {
            try
            {
                final Map<String, Object> unix = Files.readAttributes(file, "unix:*", LinkOption.NOFOLLOW_LINKS);
                @SuppressWarnings("unchecked")
                final Set<PosixFilePermission> permissions = (Set<PosixFilePermission>)unix.get("permissions");
                final int mode = (Integer)unix.get("mode");
                return new Facts(typeName(mode & S_IFMT), (mode & S_IFMT) == 0100000, permissions,
                    ((Integer)unix.get("uid")).longValue() & 0xFFFF_FFFFL, ((Integer)unix.get("gid")).longValue() & 0xFFFF_FFFFL,
                    (GroupPrincipal)unix.get("group"), (Integer)unix.get("nlink"), unix.get("fileKey"), (Long)unix.get("size"));
            }
            catch (final UnsupportedOperationException | IllegalArgumentException | ClassCastException ex)
            {
                final BasicFileAttributes basic = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                final String type = basic.isRegularFile() ? "a regular file" : basic.isDirectory() ? "a directory"
                    : basic.isSymbolicLink() ? "a symbolic link" : "a special file";
                return new Facts(type, basic.isRegularFile(), null, -1, -1, null, 1, basic.fileKey(), basic.size());
            }
        }
        catch (final NoSuchFileException ex)
        {
            return null;
        }
        catch (final IOException ex)
        {
            throw new RegionException(file, "cannot read its attributes: " + ex, ex);
        }
    }

    private static String typeName(final int type)
    {
        switch (type)
        {
            case 0100000: return "a regular file";
            case 0040000: return "a directory";
            case 0120000: return "a symbolic link";
            case 0010000: return "a FIFO";
            case 0020000: return "a character device";
            case 0060000: return "a block device";
            case 0140000: return "a socket";
            default: return "a special file (type 0" + Integer.toOctalString(type) + ")";
        }
    }

    // ------------------------------------------------------------------ trust

    /**
     * Refuses an existing region that {@code openOrCreate} with {@code requested} permissions
     * could not have created: one granting more than {@code requested}, or owned by another user
     * (unless {@code requested} shares with the group and the file's group is one of this process's).
     */
    static void checkAdoptable(final Path file, final Facts facts, final Set<PosixFilePermission> requested)
    {
        final String hint = " (openOrCreate uses only a region it could have created; Region.open opens another's)";
        if (facts.permissions != null && !requested.containsAll(facts.permissions))
        {
            throw new RegionFormatException(file, "permissions", PosixFilePermissions.toString(facts.permissions),
                "at most " + PosixFilePermissions.toString(requested) + hint);
        }
        if (isOtherUser(facts.uid) && !(sharesWithGroup(requested) && isOwnGroup(facts.gid)))
        {
            throw new RegionFormatException(file, "owner", "uid " + facts.uid, "uid " + IDENTITY[0] + " (this user)"
                + (sharesWithGroup(requested) ? " or a group of this user's" : "") + hint);
        }
    }

    /**
     * Refuses a lock file that another user could hold the slot locks of: one that is not a regular
     * file, owned neither by this user nor by the region's owner ({@code region}, null when the
     * region does not exist yet), or granting more than {@code allowed} (the region's permissions).
     *
     * @return the lock file's identity, or null when it does not exist.
     */
    static Object checkLockFile(final Path file, final Path lock, final Facts region, final Set<PosixFilePermission> allowed)
    {
        final Facts facts = facts(lock);
        if (facts == null)
        {
            return null;
        }
        if (!facts.regular)
        {
            throw new RegionFormatException(file, "lockFile.fileType", facts.type + " at " + lock, "a regular file");
        }
        if (isOtherUser(facts.uid) && (region == null || facts.uid != region.uid))
        {
            throw new RegionFormatException(file, "lockFile.owner", "uid " + facts.uid + " (" + lock + ")",
                "uid " + IDENTITY[0] + " (this user)" + (region != null ? " or uid " + region.uid + " (the region's owner)" : "")
                + ": another user could hold its locks; delete it if it is stale");
        }
        if (allowed != null && facts.permissions != null && !allowed.containsAll(facts.permissions))
        {
            throw new RegionFormatException(file, "lockFile.permissions", PosixFilePermissions.toString(facts.permissions)
                + " (" + lock + ")", "at most " + PosixFilePermissions.toString(allowed) + " (the region's)");
        }
        return facts.key;
    }

    /**
     * Refuses a lock file that a read-only open must not open: anything but a regular file (a FIFO
     * would block the open).
     *
     * @return the lock file's identity, or null when it does not exist.
     */
    static Object checkLockFileType(final Path file, final Path lock)
    {
        final Facts facts = facts(lock);
        if (facts != null && !facts.regular)
        {
            throw new RegionFormatException(file, "lockFile.fileType", facts.type + " at " + lock, "a regular file");
        }
        return facts == null ? null : facts.key;
    }

    private static boolean isOtherUser(final long uid)
    {
        return IDENTITY != null && uid >= 0 && uid != IDENTITY[0];
    }

    private static boolean isOwnGroup(final long gid)
    {
        if (IDENTITY == null || gid < 0)
        {
            return true;
        }
        for (int i = 1; i < IDENTITY.length; i++)
        {
            if (IDENTITY[i] == gid)
            {
                return true;
            }
        }
        return false;
    }

    private static boolean sharesWithGroup(final Set<PosixFilePermission> permissions)
    {
        return permissions.contains(PosixFilePermission.GROUP_READ) || permissions.contains(PosixFilePermission.GROUP_WRITE);
    }

    /** This process's uid, then its gid and supplementary groups; null when the JDK cannot tell. */
    private static long[] identity()
    {
        try
        {
            final com.sun.security.auth.module.UnixSystem system = new com.sun.security.auth.module.UnixSystem();
            final long[] groups = system.getGroups() == null ? new long[0] : system.getGroups();
            final long[] identity = new long[2 + groups.length];
            identity[0] = system.getUid();
            identity[1] = system.getGid();
            System.arraycopy(groups, 0, identity, 2, groups.length);
            return identity;
        }
        catch (final LinkageError | RuntimeException ex)
        {
            return null;
        }
    }

    // ------------------------------------------------------------------ creation names

    /**
     * A fresh name for the private file a creator builds {@code file} in: hidden, beside it (so
     * that it can be published by a hard link), carrying the creator's pid and a random word.
     */
    static Path newTempPath(final Path file)
    {
        return file.resolveSibling(tempPrefix(file) + ProcessHandle.current().pid() + "-"
            + String.format("%08x", ThreadLocalRandom.current().nextInt()));
    }

    /**
     * The private files of creators of {@code file} that are there now (whatever they hold).
     */
    static List<Path> temps(final Path file)
    {
        final List<Path> temps = new ArrayList<>();
        final Path dir = file.getParent();
        if (dir == null)
        {
            return temps;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, entry -> tempPid(file, entry) > 0))
        {
            entries.forEach(temps::add);
        }
        catch (final IOException ex)
        {
            // an unreadable directory: no remnant is recognised, so none is touched
        }
        return temps;
    }

    /**
     * The pid in the name of a creator's private file of {@code file}, or -1 when {@code candidate}
     * is not named as one.
     */
    static long tempPid(final Path file, final Path candidate)
    {
        final String name = candidate.getFileName().toString();
        final String prefix = tempPrefix(file);
        if (!name.startsWith(prefix))
        {
            return -1;
        }
        final String rest = name.substring(prefix.length());
        if (!TEMP_SUFFIX.matcher(rest).matches())
        {
            return -1;
        }
        final int dash = rest.indexOf('-');
        return Long.parseLong(rest.substring(0, dash));
    }

    /**
     * Whether {@code temp}, named as a creator's private file of {@code file}, provably is one: a
     * regular file whose first word is the INIT or the ready magic and whose creator-pid word is
     * the pid its name carries. (Only the first bytes are read; a file being written is not
     * recognised while its first write is under way, which a caller holding the creation lock
     * never meets.)
     */
    static boolean isRemnant(final Path file, final Path temp)
    {
        final long pid = tempPid(file, temp);
        final Facts facts = pid > 0 ? facts(temp) : null;
        if (facts == null || !facts.regular || facts.size < CREATOR_PID_OFFSET + Long.BYTES)
        {
            return false;
        }
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))
        {
            final ByteBuffer bytes = ByteBuffer.allocate(CREATOR_PID_OFFSET + Long.BYTES).order(ByteOrder.nativeOrder());
            while (bytes.hasRemaining() && channel.read(bytes) >= 0)
            {
                // read the first words
            }
            final long magic = bytes.getLong(MAGIC_OFFSET);
            return !bytes.hasRemaining() && (magic == INIT_MAGIC || magic == MAGIC) && bytes.getLong(CREATOR_PID_OFFSET) == pid;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    private static String tempPrefix(final Path file)
    {
        return "." + file.getFileName() + TEMP_INFIX;
    }
}
