package io.shmtx.region.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * One region's use of its lock file: a handle on the one channel this JVM keeps to the file,
 * and the byte-range locks held through it.
 *
 * <p>This class is threadsafe: the shared state is guarded by the shared channel's monitor, the
 * registry by its own.
 *
 * <p>POSIX record locks belong to the process, not to the channel: closing any channel to the
 * file drops every lock the JVM holds on it, and a second lock by the same JVM on a held range
 * is not refused by the kernel (Java throws {@link OverlappingFileLockException} instead).
 * So one registry per JVM owns the single channel per lock file, counts the handles using it,
 * and answers "held by this JVM" from its own map before asking the kernel. The channel is
 * closed only when the last handle is released. A read-only handle ({@link #acquireReadOnly})
 * never locks: it only probes, with a shared lock taken and dropped at once (a shared lock is
 * refused while another process holds the exclusive one), so it needs only read access. A
 * read-write handle acquired while the channel is read-only reopens it for writing; the
 * read-only channel, which never keeps a lock, is closed first.
 *
 * <p>Opening never blocks and never trusts a name blindly: the caller's check reads the file's
 * attributes without following a link before anything is opened (a FIFO would block the open),
 * the file is opened without following a link, and its identity (device, inode) after opening
 * must be the one checked. A lock file this handle creates is created exclusively ({@code O_EXCL})
 * with exactly the permissions asked, whatever the umask.
 */
public final class LockFile
{
    private static final Map<Path, Shared> OPEN = new HashMap<>();
    private static final int OPEN_ATTEMPTS = 5;

    private final Path path;
    private final Shared shared;
    private final boolean readOnly;
    private boolean released;

    private LockFile(final Path path, final Shared shared, final boolean readOnly)
    {
        this.path = path;
        this.shared = shared;
        this.readOnly = readOnly;
    }

    /**
     * Opens the lock file for locking, creating it if {@code create} and it does not exist.
     *
     * @param path        lock file path (links already resolved by the caller).
     * @param permissions exact permissions of a file this call creates; null where the file system has none.
     * @param group       group of a file this call creates, or null for the default.
     * @param create      whether to create a missing file.
     * @param check       reads the existing file's attributes without following a link, throws to refuse it,
     *                    and returns its identity ({@link BasicFileAttributes#fileKey()}), or null when it is missing.
     * @return the handle, or null when the file does not exist and {@code create} is false.
     * @throws IOException when the file cannot be created or opened.
     */
    public static LockFile acquire(
        final Path path, final Set<PosixFilePermission> permissions, final GroupPrincipal group, final boolean create,
        final Function<Path, Object> check) throws IOException
    {
        final Path key = path.toAbsolutePath().normalize();
        synchronized (OPEN)
        {
            Shared shared = OPEN.get(key);
            if (shared == null || !shared.writable)
            {
                final FileChannel channel = create ? openOrCreate(key, permissions, group, check) : openExisting(key, true, check);
                if (channel == null)
                {
                    return null;
                }
                if (shared == null)
                {
                    shared = new Shared();
                    OPEN.put(key, shared);
                }
                shared.use(channel, true);
            }
            shared.users++;
            return new LockFile(key, shared, false);
        }
    }

    /**
     * Opens an existing lock file for probing only; never creates one.
     *
     * @param path  lock file path (links already resolved by the caller).
     * @param check as for {@link #acquire}.
     * @return the handle; when there is no lock file, one that answers "not held" for every
     *         position (nobody can be attached without one).
     * @throws IOException when the file cannot be opened.
     */
    public static LockFile acquireReadOnly(final Path path, final Function<Path, Object> check) throws IOException
    {
        final Path key = path.toAbsolutePath().normalize();
        synchronized (OPEN)
        {
            Shared shared = OPEN.get(key);
            if (shared == null)
            {
                final FileChannel channel = openExisting(key, false, check);
                if (channel == null)
                {
                    return new LockFile(key, null, true);
                }
                shared = new Shared();
                shared.use(channel, false);
                OPEN.put(key, shared);
            }
            shared.users++;
            return new LockFile(key, shared, true);
        }
    }

    private static FileChannel openOrCreate(
        final Path path, final Set<PosixFilePermission> permissions, final GroupPrincipal group,
        final Function<Path, Object> check) throws IOException
    {
        for (int attempt = 0; attempt < OPEN_ATTEMPTS; attempt++)
        {
            try
            {
                return create(path, permissions, group);
            }
            catch (final FileAlreadyExistsException ex)
            {
                // someone else's or an earlier one: checked, then opened
            }
            final FileChannel channel = openExisting(path, true, check);
            if (channel != null)
            {
                return channel;
            }
        }
        throw new IOException(path + " appeared and disappeared " + OPEN_ATTEMPTS + " times while being opened");
    }

    private static FileChannel create(
        final Path path, final Set<PosixFilePermission> permissions, final GroupPrincipal group) throws IOException
    {
        final FileChannel channel = PrivateFiles.createExclusive(path, permissions);
        final PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        if (view != null && group != null)
        {
            try
            {
                view.setGroup(group);
            }
            catch (final IOException ex)
            {
                // not a member of the region's group: the lock file keeps this user's group
            }
        }
        return channel;
    }

    /** Null when the file does not exist. */
    private static FileChannel openExisting(final Path path, final boolean write, final Function<Path, Object> check)
        throws IOException
    {
        for (int attempt = 0; attempt < OPEN_ATTEMPTS; attempt++)
        {
            final Object checked = check.apply(path);
            if (checked == null)
            {
                return null;
            }
            final FileChannel channel;
            try
            {
                channel = write
                    ? FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)
                    : FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
            }
            catch (final NoSuchFileException ex)
            {
                continue;
            }
            if (Objects.equals(checked, identity(path)))
            {
                return channel;
            }
            channel.close(); // replaced between the check and the open: check the new one
        }
        throw new IOException(path + " was replaced " + OPEN_ATTEMPTS + " times while being opened");
    }

    private static Object identity(final Path path)
    {
        try
        {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    /**
     * Drops this handle's use of the file; the last handle closes the channel (dropping every lock
     * of this JVM on it). Idempotent.
     */
    public void release()
    {
        if (shared == null)
        {
            return;
        }
        synchronized (OPEN)
        {
            if (released)
            {
                return;
            }
            released = true;
            if (--shared.users == 0)
            {
                OPEN.remove(path);
                shared.close();
            }
        }
    }

    /**
     * The lock file's path.
     *
     * @return the path.
     */
    public Path path()
    {
        return path;
    }

    /**
     * Tries to lock the byte at {@code position} exclusively for this JVM, without waiting.
     *
     * @param position byte position.
     * @return {@code true} when this call took the lock; {@code false} when this JVM or another
     *         process holds it.
     * @throws IOException when the kernel refuses for another reason.
     * @throws IllegalStateException on a read-only handle: it never locks.
     */
    public boolean tryLock(final long position) throws IOException
    {
        if (readOnly)
        {
            throw new IllegalStateException("lock file " + path + " is open read-only: a region opened read-only"
                + " cannot attach nor recover dead slots");
        }
        return shared.tryLock(position);
    }

    /**
     * Whether this JVM holds the lock at {@code position}.
     *
     * @param position byte position.
     * @return {@code true} if held here.
     */
    public boolean isHeldHere(final long position)
    {
        return shared != null && shared.isHeldHere(position);
    }

    /**
     * Whether some process holds the lock at {@code position}: this JVM, or another process
     * (probed with a shared lock taken and dropped at once, which fails only while another
     * process holds the exclusive lock; a process trying to take the exclusive lock in that
     * instant fails too, and tries again later as it would for any holder).
     *
     * @param position byte position.
     * @return {@code true} if held by anyone.
     * @throws IOException when the kernel refuses for another reason.
     */
    public boolean isHeld(final long position) throws IOException
    {
        return shared != null && shared.isHeld(position);
    }

    /**
     * Drops this JVM's lock at {@code position}, if held. Does nothing on a read-only handle (it
     * never locks; a lock at that position belongs to another handle of this JVM).
     *
     * @param position byte position.
     */
    public void unlock(final long position)
    {
        if (!readOnly)
        {
            shared.unlock(position);
        }
    }

    /** The channel of one lock file in this JVM and the locks held through it. */
    private static final class Shared
    {
        private final Map<Long, FileLock> held = new HashMap<>();
        private FileChannel channel;
        private boolean writable;
        private int users;

        synchronized void use(final FileChannel replacement, final boolean replacementWritable)
        {
            if (channel != null)
            {
                // read-only until now, so it holds no lock (probes drop theirs at once): closing it drops nothing
                closeQuietly(channel);
            }
            channel = replacement;
            writable = replacementWritable;
        }

        synchronized boolean tryLock(final long position) throws IOException
        {
            if (held.containsKey(position))
            {
                return false;
            }
            final FileLock lock;
            try
            {
                lock = channel.tryLock(position, 1, false);
            }
            catch (final OverlappingFileLockException ex)
            {
                return false;
            }
            if (lock == null)
            {
                return false;
            }
            held.put(position, lock);
            return true;
        }

        synchronized boolean isHeldHere(final long position)
        {
            return held.containsKey(position);
        }

        synchronized boolean isHeld(final long position) throws IOException
        {
            if (held.containsKey(position))
            {
                return true;
            }
            final FileLock probe;
            try
            {
                probe = channel.tryLock(position, 1, true);
            }
            catch (final OverlappingFileLockException ex)
            {
                return true;
            }
            if (probe == null)
            {
                return true;
            }
            probe.release();
            return false;
        }

        synchronized void unlock(final long position)
        {
            final FileLock lock = held.remove(position);
            if (lock != null)
            {
                try
                {
                    lock.release();
                }
                catch (final IOException ex)
                {
                    // the channel is gone: the kernel dropped the lock already
                }
                catch (final InternalError ex)
                {
                    // a pending fault of an earlier access to a region file truncated under its mapping, delivered
                    // by the JVM at this native call before the release: release again
                    try
                    {
                        lock.release();
                    }
                    catch (final IOException | InternalError again)
                    {
                        // closing the channel drops it in the end
                    }
                }
            }
        }

        synchronized void close()
        {
            held.clear();
            closeQuietly(channel);
        }

        private static void closeQuietly(final FileChannel channel)
        {
            try
            {
                channel.close();
            }
            catch (final IOException | InternalError ex)
            {
                // closing drops the locks whatever the outcome (InternalError: a fault of an earlier access
                // to a region file truncated under its mapping, delivered by the JVM at this native call)
            }
        }
    }
}
