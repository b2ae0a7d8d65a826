package io.shmtx.region.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The one channel this JVM keeps to a region's lock file, and the byte-range locks it holds.
 *
 * <p>This class is threadsafe: every method synchronises on the instance.
 *
 * <p>POSIX record locks belong to the process, not to the channel: closing any channel to the
 * file drops every lock the JVM holds on it, and a second lock by the same JVM on a held range
 * is not refused by the kernel (Java throws {@link OverlappingFileLockException} instead).
 * So one registry per JVM ({@link #acquire(Path, Set)}) owns the single channel per lock file,
 * counts the regions using it, and answers "held by this JVM" from its own map before asking
 * the kernel. The channel is closed only when the last user releases it.
 */
public final class LockFile
{
    private static final Map<Path, LockFile> OPEN = new HashMap<>();

    private final Path path;
    private final FileChannel channel;
    private final Map<Long, FileLock> held = new HashMap<>();
    private int users;

    private LockFile(final Path path, final FileChannel channel)
    {
        this.path = path;
        this.channel = channel;
    }

    /**
     * Opens (creating if needed) the lock file and counts one more user of it.
     *
     * @param path        lock file path.
     * @param permissions permissions if the file is created.
     * @return the JVM-wide instance for the file.
     * @throws IOException when the file cannot be opened.
     */
    public static LockFile acquire(final Path path, final Set<PosixFilePermission> permissions) throws IOException
    {
        final Path key = path.toAbsolutePath().normalize();
        synchronized (OPEN)
        {
            LockFile file = OPEN.get(key);
            if (file == null)
            {
                final boolean existed = Files.exists(key);
                final FileChannel channel = FileChannel.open(
                    key, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                if (!existed && permissions != null)
                {
                    try
                    {
                        Files.setPosixFilePermissions(key, permissions);
                    }
                    catch (final IOException | UnsupportedOperationException ex)
                    {
                        // another user may own it, or the file system is not POSIX: keep what we have
                    }
                }
                file = new LockFile(key, channel);
                OPEN.put(key, file);
            }
            file.users++;
            return file;
        }
    }

    /**
     * Counts one user less; the last one closes the channel (dropping every lock of this JVM).
     */
    public void release()
    {
        synchronized (OPEN)
        {
            users--;
            if (users == 0)
            {
                OPEN.remove(path);
                synchronized (this)
                {
                    held.clear();
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
     */
    public synchronized boolean tryLock(final long position) throws IOException
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

    /**
     * Whether this JVM holds the lock at {@code position}.
     *
     * @param position byte position.
     * @return {@code true} if held here.
     */
    public synchronized boolean isHeldHere(final long position)
    {
        return held.containsKey(position);
    }

    /**
     * Whether some process holds the lock at {@code position}: this JVM, or another process
     * (probed by taking and dropping the lock, which fails only while another process holds it).
     *
     * @param position byte position.
     * @return {@code true} if held by anyone.
     * @throws IOException when the kernel refuses for another reason.
     */
    public synchronized boolean isHeld(final long position) throws IOException
    {
        if (held.containsKey(position))
        {
            return true;
        }
        if (tryLock(position))
        {
            unlock(position);
            return false;
        }
        return true;
    }

    /**
     * Drops this JVM's lock at {@code position}, if held.
     *
     * @param position byte position.
     */
    public synchronized void unlock(final long position)
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
}
