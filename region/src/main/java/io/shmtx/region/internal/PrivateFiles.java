package io.shmtx.region.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files this process makes for itself: created exclusively ({@code O_EXCL}, never an existing
 * file nor through a link), with exactly the permissions asked.
 *
 * <p>This class is threadsafe (it has no state).
 */
public final class PrivateFiles
{
    private static final Set<OpenOption> CREATE_NEW = Set.of(
        StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);

    private PrivateFiles()
    {
    }

    /**
     * Creates {@code path}, which must not exist, and opens it for reading and writing. Its
     * permissions are set to {@code permissions} once it exists: the umask only narrows what the
     * creating call asks, so the file is never wider than asked, and ends exactly as asked. If they
     * cannot be set, the file is deleted again.
     *
     * @param path        the new file.
     * @param permissions its permissions, or null where the file system has none.
     * @return the open channel.
     * @throws java.nio.file.FileAlreadyExistsException when something is there already (a dangling link too).
     * @throws IOException when the file cannot be created.
     */
    public static FileChannel createExclusive(final Path path, final Set<PosixFilePermission> permissions) throws IOException
    {
        final FileChannel channel = permissions == null ? FileChannel.open(path, CREATE_NEW)
            : FileChannel.open(path, CREATE_NEW, PosixFilePermissions.asFileAttribute(permissions));
        try
        {
            final PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
            if (view != null && permissions != null)
            {
                view.setPermissions(permissions);
            }
            return channel;
        }
        catch (final IOException | RuntimeException ex)
        {
            channel.close();
            Files.deleteIfExists(path); // made by this call a moment ago: nobody else's
            throw ex;
        }
    }
}
