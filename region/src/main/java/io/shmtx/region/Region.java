package io.shmtx.region;

import static io.shmtx.region.ProcessTableDescriptor.*;
import static io.shmtx.region.RegionDescriptor.*;

import io.shmtx.region.internal.LockFile;
import io.shmtx.region.internal.PrivateFiles;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.agrona.IoUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A region file mapped into this process: the shared memory every shmtx module lives in.
 *
 * <p>This class is threadsafe. Several {@code Region} objects on one file may exist in one JVM
 * (each is its own attachment); they share the JVM's single channel to the lock file.
 *
 * <pre>{@code
 * try (Region region = Region.openOrCreate(Path.of("/dev/shm/demo"), RegionConfig.defaults()))
 * {
 *     int slot = region.attach();
 *     region.bindRoot("accounts", 42L);
 *     long now = region.nextTimestamp();
 * }
 * }</pre>
 *
 * <p>Life cycle. {@link #create}, {@link #open} and {@link #openOrCreate} map the file and
 * validate its header; {@link #attach()} claims a process slot; {@link #close()} detaches and
 * gives the mapping up (the garbage collector unmaps it once nothing refers to it). Register {@link RecoveryStep}s and listeners before {@link #attach()}: attaching starts
 * a daemon thread that refreshes this process's heartbeat and periodically recovers dead slots.
 *
 * <p>Set-up. Every JVM using a region needs {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED}
 * (Agrona, which reads and writes the mapping, uses {@code jdk.internal.misc.Unsafe}): every entry
 * point that creates, opens or deletes a region checks it first, before it touches any file, and
 * throws {@link MissingJvmOptionException} naming the option and where to add it.
 *
 * <p>Settings of an existing region. {@link #openOrCreate} compares its configuration with the
 * settings the region was created with: one that shapes the region or that every process must
 * share is refused with {@link ConfigMismatchException} (every such setting named, with both
 * values); one that only starts a new region and that processes may change at run time (a lock
 * policy, a consistency model) and the heartbeat interval are adopted from the region and
 * reported at INFO (see {@link RegionConfig} for each setting).
 *
 * <p>Logging. Through {@link System.Logger} (routed by the application to its logging framework;
 * {@code java.util.logging} by default), logger {@code io.shmtx.region}: each recovery of a dead
 * slot with its report (INFO; WARNING when a step failed), a failure of the periodic watchdog
 * (WARNING, also kept for {@link #lastWatchdogError()}), adopted settings and files a dead creator
 * left that are removed (INFO); attach, detach and mapping at DEBUG. Nothing is logged on a hot path.
 *
 * <p>Names. Every entry point first resolves the path it is given to the real file
 * ({@link #realPath}: symbolic links followed, a dangling one too), and the lock file is the one
 * beside that file: every name of a region reaches one file and one lock file. A region file with
 * a second hard link is refused (two names would mean two lock files).
 *
 * <p>Creation protocol. A creator takes an exclusive lock on a fixed byte of the lock file (the
 * creation lock), builds the region in a private file beside the region's name (created
 * exclusively, with the configured permissions; marked INIT with the creator's pid by its first
 * write; magic {@link RegionDescriptor#MAGIC} published last, with a release store), links it
 * under the region's name (a link never replaces a file) and drops the private name. So the
 * region's name only ever shows a ready region: anything else found there (an empty file, zeros,
 * other bytes, a FIFO) was not made by a creator and is refused, never changed nor deleted. An
 * opener that finds no region, or one with a second name, waits (bounded) for the creation lock:
 * once it holds it nobody is creating, so a private file still there is a dead creator's, removed
 * when provably one (its name, its INIT or ready magic and its pid). Two creators racing end with
 * one region: the second finds it ready.
 *
 * <p>Trust. {@link #openOrCreate} uses an existing region only if this user could have created it
 * (owner, permissions); a lock file is used only if its owner is this user or the region's and it
 * grants nothing the region does not: whoever can lock its bytes decides who looks alive.
 * {@link #openReadOnly} needs only read access, creates nothing, and never writes.
 *
 * <p>Liveness. An attached process holds an exclusive lock on its slot's byte of
 * {@code <file>.lock} for as long as it is attached; the kernel drops it when the process dies,
 * however it dies. A slot whose byte can be locked by someone else is dead. Heartbeats only mark
 * a live process as stalled in {@link #inspect()}; no timeout ever declares a process dead.
 *
 * <p>Recovery. Any process that finds a dead slot (periodically, when the table is full at
 * attach, when it meets a dead lock holder, or on {@link #recoverDeadSlots()}) claims it: it takes
 * the slot's lock byte (held per JVM, so two threads or two {@code Region} objects of one JVM
 * never both claim a slot), then moves the state word to RECOVERING with the next claim sequence.
 * It runs every registered step in order, frees the slot and tells the {@link OwnerDeathListener}s.
 * A recoverer that dies leaves the slot RECOVERING with its lock byte free: the next recoverer
 * claims it again (with yet another sequence) and runs the steps again (they are idempotent). A
 * slot is not recovered by a process that lacks a step for a section that needs one.
 * <p>Identity of a recovery. A step that stores "who holds this" in shared memory (a lock word,
 * a journal) does so in the name of the claim, {@link #recoveryToken(int)}: the dead slot and the
 * claim's sequence, never the recoverer's own attachment. So a recovery needs no attachment, each
 * recovery has a name of its own (threads of one process recovering two slots exclude each other
 * through the shared lock words exactly as two processes do, with no lock of the JVM), and
 * {@link #isOwnerGone(long)} answers for it from the state word and the lock byte alone: a token
 * is held while its slot's state word carries its sequence (ATTACHED or RECOVERING) and the
 * slot's lock byte is held. Each claim bumps the sequence, so the tokens of the dead attachment,
 * and of a dead recoverer, are gone from the moment of the claim, and a finished recovery's token
 * is gone once the slot is FREE (or taken).
 * <p>A newcomer on a full table. {@link #attach()} that finds no free slot recovers a dead one and
 * takes it: after the last step it writes itself into the slot and moves the state from its
 * RECOVERING claim to ATTACHED (the next sequence), all under the slot's lock byte, which it then
 * keeps as its own: no other process can take the slot in between, and the steps never needed the
 * newcomer to be attached.
 * A newcomer thus always attaches to a table holding a dead slot it has the steps for; while a
 * live recoverer works on a slot, attach waits for it (bounded) instead of failing.
 * <p>Closing. {@link #close()} and {@link #abandon()} wait for the recoveries under way in this
 * object before they drop its use of the lock file (the JVM's last use would drop their claims).
 */
public final class Region implements AutoCloseable
{
    /** The region module's logger: recoveries (INFO), watchdog failures (WARNING), adopted settings (INFO). */
    static final System.Logger LOG = System.getLogger(Region.class.getPackageName());
    static final Runnable NO_HOOK = () -> { };
    /** Test hook run between writing the header and publishing the magic (same package only). */
    static volatile Runnable initHook = NO_HOOK;

    private static final long DEFAULT_OPEN_TIMEOUT_MS = 10_000;
    private static final String DEFERRED = "deferred: ";
    /** How long attach() waits for recoveries under way when the table is full. */
    private static final long ATTACH_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long START_TIME = ProcessHandle.current().info().startInstant().map(i -> i.toEpochMilli()).orElse(0L);

    private final Path file;
    private final LockFile lockFile;
    private final MappedByteBuffer mapped;
    private final boolean readOnly;
    private final UnsafeBuffer buffer;
    private final RegionHeader header;
    private final int processTableOffset;
    private final Roots roots;
    private final long heartbeatMillis;
    private final long watchdogMillis;
    private final List<RecoveryStep> steps = new CopyOnWriteArrayList<>();
    private final List<OwnerDeathListener> listeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> detachHooks = new CopyOnWriteArrayList<>();
    private final List<Runnable> maintenanceTasks = new CopyOnWriteArrayList<>();
    private final List<Runnable> unmapHooks = new CopyOnWriteArrayList<>();
    private final Set<Long> deferredReported = new HashSet<>();
    private final Object attachLock = new Object();
    /**
     * Held for reading by every slot recovery of this object, for writing while it gives the lock
     * file up ({@link #close()}, {@link #abandon()}): releasing the JVM's last use of the lock file
     * would drop a recovery's claim while it still works.
     */
    private final ReentrantReadWriteLock recovering = new ReentrantReadWriteLock();

    private volatile int slot = -1;
    private volatile long attachSequence;
    private volatile boolean closed;
    private volatile Thread daemon;
    private volatile Throwable lastWatchdogError;

    private Region(
        final Path file, final LockFile lockFile, final MappedByteBuffer mapped, final RegionHeader header,
        final long watchdogMillis, final boolean readOnly)
    {
        this.file = file;
        this.lockFile = lockFile;
        this.mapped = mapped;
        this.readOnly = readOnly;
        this.buffer = readOnly ? new ReadOnlyBuffer(mapped, file) : new UnsafeBuffer(mapped);
        this.header = header;
        this.processTableOffset = (int)header.section(SectionSpec.PROCESS_TABLE).offset();
        final Section rootsSection = header.section(SectionSpec.ROOTS);
        this.roots = new Roots(this, buffer, file, (int)rootsSection.offset(), header.rootSlots);
        this.heartbeatMillis = header.heartbeatMillis;
        this.watchdogMillis = watchdogMillis;
    }

    // ------------------------------------------------------------------ opening

    /**
     * Creates a new region at {@code file}, with exactly the permissions of {@code config}
     * (whatever the umask). The region is built in a private file beside {@code file} and
     * published under that name only once ready, by a hard link, which never replaces a file:
     * whatever is there already is refused and left as it is. A file marked INIT by a creator of an
     * older version that died during initialisation is replaced.
     *
     * @param file   region file, e.g. under {@code /dev/shm}; a symbolic link, even a dangling one, is followed.
     * @param config layout and settings.
     * @return the mapped region, not yet attached.
     * @throws RegionExistsException when a ready region is already there.
     * @throws RegionFormatException when the file holds something that is not a region (empty, zeros,
     *                               other bytes, not a regular file), or the lock file is not this user's.
     * @throws MissingJvmOptionException when this JVM lacks {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED}
     *                                   (checked before any file is touched).
     */
    public static Region create(final Path file, final RegionConfig config)
    {
        return openInternal(file, config, Mode.CREATE, -1);
    }

    /**
     * Opens the region at {@code file}, or creates it with {@code config} if there is none; safe
     * when several processes do this at once (one creates, the others open what it created).
     * An existing region is used only if this user could have created it: not one granting more
     * than {@code config}'s permissions, nor one owned by another user (unless {@code config}
     * shares with the group and the file's group is one of this user's). {@link #open} opens
     * another user's region.
     *
     * @param file   region file; a symbolic link, even a dangling one, is followed.
     * @param config layout and settings; an existing region must have been created with the same
     *               settings, except those it adopts (see {@link RegionConfig}).
     * @return the mapped region, not yet attached.
     * @throws ConfigMismatchException when an existing region was created with other settings (each named, with both values).
     * @throws RegionFormatException when the file is not a region, or not one this user could have created.
     * @throws MissingJvmOptionException when this JVM lacks {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED}.
     */
    public static Region openOrCreate(final Path file, final RegionConfig config)
    {
        return openInternal(file, config, Mode.OPEN_OR_CREATE, -1);
    }

    /**
     * Opens an existing region. Its settings come from its header; the watchdog runs at the
     * heartbeat interval. Waits (bounded) for a creation under way. Makes the lock file if it is
     * missing, with the region's permissions.
     *
     * @param file region file.
     * @return the mapped region, not yet attached.
     * @throws RegionException when the file is missing.
     * @throws RegionFormatException when the file is not a valid region of this layout.
     * @throws MissingJvmOptionException when this JVM lacks {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED}.
     */
    public static Region open(final Path file)
    {
        return openInternal(file, null, Mode.OPEN, -1);
    }

    /**
     * Opens an existing region with a chosen watchdog interval.
     *
     * @param file             region file.
     * @param watchdogInterval how often the attached process checks for dead slots;
     *                         {@link java.time.Duration#ZERO} disables the periodic check.
     * @return the mapped region, not yet attached.
     * @throws RegionException when the file is missing.
     * @throws RegionFormatException when the file is not a valid region of this layout.
     */
    public static Region open(final Path file, final java.time.Duration watchdogInterval)
    {
        if (watchdogInterval == null || watchdogInterval.isNegative())
        {
            throw new IllegalArgumentException("watchdogInterval=" + watchdogInterval + " must be zero or positive");
        }
        return openInternal(file, null, Mode.OPEN, watchdogInterval.toMillis());
    }

    /**
     * Opens an existing region for reading only, as a monitoring tool does: read access to the
     * region file is enough (it is mapped read-only), and so is read access to its lock file,
     * which is never created (without one, no process is attached) and only probed with shared
     * locks. The region cannot attach, recover dead slots, bind roots nor advance the clock: those
     * throw {@link IllegalStateException}, as does every write through {@link #buffer()}.
     *
     * @param file region file.
     * @return the region, mapped read-only.
     * @throws RegionException when the file is missing or its lock file cannot be read.
     * @throws RegionFormatException when the file is not a valid region of this layout.
     * @throws MissingJvmOptionException when this JVM lacks {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED}.
     */
    public static Region openReadOnly(final Path file)
    {
        JvmOptions.check(file);
        if (file == null)
        {
            throw new IllegalArgumentException("file=null");
        }
        final Path real = RegionFiles.realPath(file);
        final Probe probe = Probe.of(real);
        if (probe.kind == Probe.Kind.MISSING)
        {
            throw doesNotExist(real, false);
        }
        if (probe.kind == Probe.Kind.HALF_CREATED)
        {
            throw neverReady(real, probe);
        }
        final RegionHeader header = probe.header(real);
        final Path lock = lockFileOf(real);
        final LockFile lockFile;
        try
        {
            lockFile = LockFile.acquireReadOnly(lock, path -> RegionFiles.checkLockFileType(real, path));
        }
        catch (final IOException ex)
        {
            throw new RegionException(real, "cannot open lock file " + lock + " to tell who is attached: " + ex.getMessage(), ex);
        }
        try
        {
            checkOneNameForReading(real, lockFile);
            return new Region(real, lockFile, map(real, header, true), header, 0, true);
        }
        catch (final RuntimeException | Error ex)
        {
            lockFile.release();
            throw ex;
        }
    }

    /**
     * The path under which every entry point uses the region {@code file} names: symbolic links
     * resolved, a dangling one too (to the file that creating through it makes), so that every
     * name of a region reaches one region file and one lock file.
     *
     * @param file a region file's name, existing or not.
     * @return its real path.
     * @throws RegionException on a link loop or a path that cannot be read.
     */
    public static Path realPath(final Path file)
    {
        if (file == null)
        {
            throw new IllegalArgumentException("file=null");
        }
        return RegionFiles.realPath(file);
    }

    /**
     * The lock file of the region {@code file} names: {@code <real path>.lock}, beside the real
     * file (see {@link #realPath}).
     *
     * @param file region file.
     * @return lock file path.
     */
    public static Path lockFilePath(final Path file)
    {
        return lockFileOf(realPath(file));
    }

    private static Path lockFileOf(final Path real)
    {
        return real.resolveSibling(real.getFileName() + ".lock");
    }

    /**
     * Deletes a region file and its lock file. Processes that still map it keep their mapping
     * (the file system frees the memory when the last one unmaps). Only a regular file that its
     * magic proves to be a region (ready, truncated, or marked INIT by a creator that died) is
     * deleted, and its lock file then, if that is a regular file. Anything else is refused and
     * left as it is (a FIFO or a device is not even opened): a wrong path must not cost a file. A
     * symbolic link is followed: the region it names is deleted, the link is left.
     *
     * @param file region file.
     * @return whether a region file was deleted; when there is none, nothing is deleted.
     * @throws RegionFormatException naming the file and what it holds, when it is not a region.
     * @throws MissingJvmOptionException when this JVM lacks {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED}.
     */
    public static boolean delete(final Path file)
    {
        JvmOptions.check(file);
        if (file == null)
        {
            throw new IllegalArgumentException("file=null");
        }
        final Path real = RegionFiles.realPath(file);
        final Probe probe = Probe.of(real); // refuses, before anything is deleted, whatever is not a region
        if (probe.kind == Probe.Kind.MISSING)
        {
            return false;
        }
        try
        {
            final RegionFiles.Facts now = RegionFiles.facts(real);
            if (now == null)
            {
                return false;
            }
            if (!Objects.equals(now.key, probe.facts.key))
            {
                throw new RegionException(real, "was replaced while being deleted; nothing was deleted");
            }
            Files.delete(real);
            final RegionFiles.Facts lock = RegionFiles.facts(lockFileOf(real));
            if (lock != null && lock.regular)
            {
                Files.deleteIfExists(lockFileOf(real));
            }
            return true;
        }
        catch (final NoSuchFileException ex)
        {
            return false;
        }
        catch (final IOException ex)
        {
            throw new RegionException(real, "cannot delete: " + ex, ex);
        }
    }

    private enum Mode
    {
        CREATE, OPEN, OPEN_OR_CREATE
    }

    private static Region openInternal(final Path given, final RegionConfig config, final Mode mode, final long watchdogMillis)
    {
        JvmOptions.check(given); // before any file is touched
        if (given == null)
        {
            throw new IllegalArgumentException("file=null");
        }
        if (mode != Mode.OPEN && config == null)
        {
            throw new IllegalArgumentException("config=null");
        }
        // every process must name the same region file and lock file, whatever link or relative path it was given
        final Path file = RegionFiles.realPath(given);
        if (mode != Mode.OPEN)
        {
            RegionHeader.layout(file, config); // a configuration that cannot be laid out is refused before anything is made
        }
        // what is there is refused before a lock file is made beside it: not a region, damaged, existing
        // (create), of another layout or not this user's (openOrCreate), never made ready (open)
        final Probe found = Probe.of(file);
        if (found.kind == Probe.Kind.READY)
        {
            acceptReady(file, found, config, mode);
        }
        else if (found.kind == Probe.Kind.HALF_CREATED && mode == Mode.OPEN)
        {
            throw neverReady(file, found);
        }
        final LockFile lockFile = acquireLockFile(file, found, config, mode);
        try
        {
            final RegionHeader header = prepare(file, lockFile, config, mode);
            if (found.kind != Probe.Kind.READY)
            {
                checkLockFileAgainst(file, RegionFiles.facts(file)); // the region it serves exists now
            }
            final MappedByteBuffer mapped = map(file, header, false);
            final long watchdog = watchdogMillis >= 0 ? watchdogMillis
                : config != null ? config.watchdogInterval().toMillis() : header.heartbeatMillis;
            final Region region = new Region(file, lockFile, mapped, header, watchdog, false);
            if (config != null)
            {
                region.checkSettings(config);
            }
            LOG.log(Level.DEBUG, () -> "region " + file + ": mapped (" + header.regionSize + " bytes, " + header.processSlots
                + " process slots, created by pid " + header.creatorPid + ")");
            return region;
        }
        catch (final RuntimeException | Error ex)
        {
            lockFile.release();
            throw ex;
        }
    }

    /**
     * The lock file, created (exclusively, with the region's permissions and group) when missing,
     * except by {@link #open} of a missing region: a creator makes the lock file before anything
     * else, so without one nobody is creating the region. An existing one is used only if another
     * user cannot hold its locks (see {@link RegionFiles#checkLockFile}); when the region is not
     * there yet, that is checked again once it is.
     */
    private static LockFile acquireLockFile(final Path file, final Probe found, final RegionConfig config, final Mode mode)
    {
        final Path lock = lockFileOf(file);
        final RegionFiles.Facts region = found.kind == Probe.Kind.READY ? found.facts : null;
        final Set<PosixFilePermission> permissions = region != null && region.permissions != null ? region.permissions
            : config != null ? config.permissions() : null;
        // opening a region not there yet: its lock file is only waited on until the creator made it, then checked
        final boolean awaiting = mode == Mode.OPEN && found.kind == Probe.Kind.MISSING;
        final LockFile lockFile;
        try
        {
            lockFile = LockFile.acquire(lock, permissions, region != null ? region.group : null, !awaiting, awaiting
                ? path -> RegionFiles.checkLockFileType(file, path) : path -> RegionFiles.checkLockFile(file, path, region, permissions));
        }
        catch (final IOException ex)
        {
            throw new RegionException(file, "cannot open lock file " + lock + ": " + ex.getMessage(), ex);
        }
        if (lockFile == null)
        {
            throw doesNotExist(file, true); // a creator makes the lock file first: without one, nobody is creating it
        }
        return lockFile;
    }

    private static void checkLockFileAgainst(final Path file, final RegionFiles.Facts region)
    {
        if (region != null)
        {
            RegionFiles.checkLockFile(file, lockFileOf(file), region, region.permissions);
        }
    }

    /**
     * Names the private files of creators found beside the missing region: when nobody can be
     * creating it ({@code creatorsGone}: the creation lock is held by the caller, or there is no
     * lock file), their creators died during initialisation.
     */
    private static RegionException doesNotExist(final Path file, final boolean creatorsGone)
    {
        final StringBuilder message = new StringBuilder("does not exist");
        for (final Path temp : RegionFiles.temps(file))
        {
            if (RegionFiles.isRemnant(file, temp))
            {
                message.append(creatorsGone ? "; its creator pid " : "; creator pid ").append(RegionFiles.tempPid(file, temp))
                    .append(creatorsGone ? " died during initialisation, leaving " : " is creating it, or died doing so, in ")
                    .append(temp).append(creatorsGone ? " (create or openOrCreate removes it)" : "");
            }
        }
        return new RegionException(file, message.toString());
    }

    private static RegionFormatException neverReady(final Path file, final Probe probe)
    {
        return new RegionFormatException(file, "magic", RegionHeader.hex(probe.magic), RegionHeader.hex(MAGIC)
            + " (the region was never made ready: its creator" + (probe.creatorPid != 0 ? " pid " + probe.creatorPid : "")
            + " died during initialisation; create or openOrCreate replaces it, Region.delete removes it)");
    }

    private static RegionException hardLinks(final Path file, final int links)
    {
        return new RegionException(file, "has " + links + " hard links: processes must open a region by one name,"
            + " as its liveness lock file is named after it (" + lockFileOf(file) + "); remove the other links");
    }

    /** A ready region's header, or why {@code mode} refuses it. */
    private static RegionHeader acceptReady(final Path file, final Probe probe, final RegionConfig config, final Mode mode)
    {
        final RegionHeader header = probe.header(file); // validated first: a damaged region is reported as such
        if (mode == Mode.CREATE)
        {
            throw new RegionExistsException(file);
        }
        if (config != null)
        {
            checkCompatible(file, header, config);
            RegionFiles.checkAdoptable(file, probe.facts, config.permissions());
        }
        return header;
    }

    /**
     * Waits until the file under the region's name is a ready region with one name, creating it
     * if {@code mode} may. Only a ready region ever appears under the name (see {@link #initialise});
     * anything else is settled under the creation lock, which a creator holds from before it
     * makes its private file until after it dropped it.
     */
    private static RegionHeader prepare(final Path file, final LockFile lockFile, final RegionConfig config, final Mode mode)
    {
        final long timeoutMs = config != null ? config.initTimeout().toMillis() : DEFAULT_OPEN_TIMEOUT_MS;
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true)
        {
            final Probe probe = Probe.of(file);
            if (probe.kind == Probe.Kind.READY && probe.facts.links == 1)
            {
                return acceptReady(file, probe, config, mode);
            }
            if (tryLock(file, lockFile, INIT_LOCK_POSITION))
            {
                final RegionHeader created;
                try
                {
                    created = settle(file, config, mode);
                }
                finally
                {
                    lockFile.unlock(INIT_LOCK_POSITION);
                }
                if (created != null)
                {
                    return created;
                }
                continue;
            }
            if (System.nanoTime() > deadline)
            {
                throw new RegionException(file, "timed out after " + timeoutMs
                    + " ms waiting for another process to finish creating the region");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
    }

    /**
     * With the creation lock held, nobody is creating the region, so what a creator left is a dead
     * creator's: its private file (a second name of a ready region, when it died between publishing
     * and dropping it) is removed; a file marked INIT (an older version's) is replaced; a missing
     * region is created.
     *
     * @return the header of the region created here, or null to look again.
     */
    private static RegionHeader settle(final Path file, final RegionConfig config, final Mode mode)
    {
        final Probe probe = Probe.of(file);
        if (probe.kind == Probe.Kind.READY)
        {
            removeRemnants(file);
            final RegionFiles.Facts facts = RegionFiles.facts(file);
            if (facts != null && facts.links > 1)
            {
                throw hardLinks(file, facts.links);
            }
            return null;
        }
        if (mode == Mode.OPEN)
        {
            throw probe.kind == Probe.Kind.MISSING ? doesNotExist(file, true) : neverReady(file, probe);
        }
        if (probe.kind == Probe.Kind.HALF_CREATED)
        {
            deleteIfUnchanged(file, probe.facts);
            return null;
        }
        removeRemnants(file);
        return initialise(file, config);
    }

    /** Deletes the private files creators of {@code file} left when they died: those provably theirs. */
    private static void removeRemnants(final Path file)
    {
        for (final Path temp : RegionFiles.temps(file))
        {
            if (RegionFiles.isRemnant(file, temp))
            {
                try
                {
                    if (Files.deleteIfExists(temp))
                    {
                        LOG.log(Level.INFO, () -> "region " + file + ": removed " + temp + ", left by creator pid "
                            + RegionFiles.tempPid(file, temp) + " that died while creating the region");
                    }
                }
                catch (final IOException ex)
                {
                    // another user's in a sticky directory: left (a second name of the region is then refused by name)
                    LOG.log(Level.DEBUG, () -> "region " + file + ": cannot remove " + temp + ", left by a dead creator: " + ex);
                }
            }
        }
    }

    private static void deleteIfUnchanged(final Path file, final RegionFiles.Facts probed)
    {
        final RegionFiles.Facts now = RegionFiles.facts(file);
        try
        {
            if (now != null && Objects.equals(now.key, probed.key) && Files.deleteIfExists(file))
            {
                LOG.log(Level.INFO, () -> "region " + file + ": removed a region an older creator left half-created, to create it anew");
            }
        }
        catch (final IOException ex)
        {
            throw new RegionException(file, "cannot remove the region left half-created to create it again: " + ex, ex);
        }
    }

    /**
     * A reader's check that the region has one name (processes attached under another name would
     * hold another lock file): a second name that is a creator's private file with the same
     * identity is a creator publishing (waited for, bounded) or one that died doing so (harmless to
     * a reader; the next writer to open the region removes it).
     */
    private static void checkOneNameForReading(final Path file, final LockFile lockFile)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DEFAULT_OPEN_TIMEOUT_MS);
        RegionFiles.Facts facts = RegionFiles.facts(file);
        while (facts != null && facts.links > 1 && isHeld(file, lockFile, INIT_LOCK_POSITION) && System.nanoTime() < deadline)
        {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
            facts = RegionFiles.facts(file);
        }
        if (facts == null)
        {
            throw new RegionException(file, "was deleted while being opened");
        }
        int names = facts.links;
        for (final Path temp : RegionFiles.temps(file))
        {
            final RegionFiles.Facts other = RegionFiles.facts(temp);
            if (other != null && Objects.equals(other.key, facts.key))
            {
                names--;
            }
        }
        if (names > 1)
        {
            throw hardLinks(file, facts.links);
        }
    }

    private static boolean isHeld(final Path file, final LockFile lockFile, final long position)
    {
        try
        {
            return lockFile.isHeld(position);
        }
        catch (final IOException ex)
        {
            throw new RegionException(file, "cannot probe " + lockFile.path() + " at " + position + ": " + ex, ex);
        }
    }

    private static boolean tryLock(final Path file, final LockFile lockFile, final long position)
    {
        try
        {
            return lockFile.tryLock(position);
        }
        catch (final IOException ex)
        {
            throw new RegionException(file, "cannot lock " + lockFile.path() + " at " + position + ": " + ex, ex);
        }
    }

    /**
     * Refuses a ready region whose header differs from {@code config} in a setting that shapes it
     * (slot counts, size), before anything is made beside it. Its sections are compared once it is
     * mapped ({@link #checkSettings(RegionConfig)}).
     */
    private static void checkCompatible(final Path file, final RegionHeader header, final RegionConfig config)
    {
        final List<ConfigMismatchException.Difference> differences = new ArrayList<>();
        if (header.processSlots != config.processSlots())
        {
            differences.add(new ConfigMismatchException.Difference("RegionConfig.processSlots",
                String.valueOf(header.processSlots), String.valueOf(config.processSlots())));
        }
        if (header.rootSlots != config.rootSlots())
        {
            differences.add(new ConfigMismatchException.Difference("RegionConfig.rootSlots",
                String.valueOf(header.rootSlots), String.valueOf(config.rootSlots())));
        }
        final long size = RegionDescriptor.align(config.size(), PAGE_SIZE);
        if (config.size() != 0 && header.regionSize != size)
        {
            differences.add(new ConfigMismatchException.Difference("RegionConfig.size", header.regionSize + " bytes",
                size + " bytes" + (size != config.size() ? " (" + config.size() + " rounded up to a page)" : "")));
        }
        if (!differences.isEmpty())
        {
            throw new ConfigMismatchException(file, differences);
        }
    }

    /**
     * Compares the sections {@code config} asks for with this region's (see {@link
     * #checkSettings(SectionSpec)}), then adopts the region's heartbeat interval: every process
     * refreshes its heartbeat at the interval saved in the region, by which the others judge it
     * stalled.
     */
    private void checkSettings(final RegionConfig config)
    {
        final List<ConfigMismatchException.Difference> refused = new ArrayList<>();
        final List<String> adopted = new ArrayList<>();
        for (final SectionSpec spec : config.sections())
        {
            refused.addAll(compare(spec, adopted));
        }
        if (!refused.isEmpty())
        {
            throw new ConfigMismatchException(file, refused);
        }
        final long heartbeat = config.heartbeatInterval().toMillis();
        if (heartbeat != heartbeatMillis)
        {
            adopted.add(new ConfigMismatchException.Difference("RegionConfig.heartbeatInterval", heartbeatMillis + " ms",
                heartbeat + " ms") + ": every process uses the region's (its heartbeat tells the others whether it is stalled)");
        }
        reportAdopted(adopted);
    }

    /**
     * Compares a section that a configuration asks for with this region's: the section must be
     * there, and each of its settings ({@link SectionSpec#settings()}) must have the value saved in
     * the region, except those adopted ({@link SectionSettings.Builder#adoptable}), whose saved
     * value is kept and reported on the {@code io.shmtx.region} logger at INFO; without settings to
     * compare, its length and recovery flag must be the region's. {@link #openOrCreate} does this
     * for every section of its configuration; a module's open with an expected configuration (e.g.
     * {@code TieredPool.open(region, expected)}) for its own.
     *
     * @param spec the section as a configuration asks for it.
     * @throws ConfigMismatchException naming every setting that differs, with both values.
     * @throws IllegalStateException   when the region is closed.
     */
    public void checkSettings(final SectionSpec spec)
    {
        if (spec == null)
        {
            throw new IllegalArgumentException("spec=null");
        }
        checkOpen();
        final List<String> adopted = new ArrayList<>();
        final List<ConfigMismatchException.Difference> refused = compare(spec, adopted);
        if (!refused.isEmpty())
        {
            throw new ConfigMismatchException(file, refused);
        }
        reportAdopted(adopted);
    }

    /**
     * The differences of one section that are refused; those adopted go to {@code adopted}. The
     * length is compared only when the settings agree: it follows from them.
     */
    private List<ConfigMismatchException.Difference> compare(final SectionSpec spec, final List<String> adopted)
    {
        final String name = SectionSpec.nameOf(spec.id());
        final Section section = header.section(spec.id());
        if (section == null)
        {
            return List.of(new ConfigMismatchException.Difference("section " + name, "absent", "present"));
        }
        final List<ConfigMismatchException.Difference> refused = new ArrayList<>();
        final SectionSettings settings = spec.settings();
        final List<ConfigMismatchException.Difference> found = settings == null ? null
            : settings.differences(new UnsafeBuffer(buffer, (int)section.offset(), (int)section.length()));
        if (found != null)
        {
            for (final ConfigMismatchException.Difference difference : found)
            {
                if (settings.isAdoptable(difference.setting()))
                {
                    adopted.add(difference + ": the region's is kept (processes may change it at run time)");
                }
                else
                {
                    refused.add(difference);
                }
            }
        }
        if (refused.isEmpty() && section.length() != spec.length())
        {
            refused.add(new ConfigMismatchException.Difference("section " + name + " length", section.length() + " bytes",
                spec.length() + " bytes"));
        }
        if (refused.isEmpty() && section.needsRecovery() != spec.needsRecovery())
        {
            refused.add(new ConfigMismatchException.Difference("section " + name + " needsRecovery",
                String.valueOf(section.needsRecovery()), String.valueOf(spec.needsRecovery())));
        }
        return refused;
    }

    private void reportAdopted(final List<String> adopted)
    {
        for (final String setting : adopted)
        {
            LOG.log(Level.INFO, () -> "region " + file + ": " + setting);
        }
    }

    /**
     * Builds the region in a private file beside {@code file} and publishes it. The private file
     * is created exclusively with the configured permissions (so no other file is ever adopted,
     * and the umask cannot change them); the first bytes written to it are the INIT magic and this
     * pid, so that from then on a creator's death leaves a file recognisably its own; then the file
     * is extended, the header written, the sections formatted, and the magic published with a
     * release store. Only then is it linked under {@code file}: a hard link never replaces a file,
     * so the name only ever shows a ready region or what someone else put there. The private name
     * is dropped last (an opener meeting the region's second name meanwhile waits for the creation
     * lock the caller holds).
     *
     * @return the header, or null when a file appeared under the name meanwhile (made by someone not
     *         using the creation lock; the caller looks at it again).
     */
    private static RegionHeader initialise(final Path file, final RegionConfig config)
    {
        final RegionHeader header = RegionHeader.layout(file, config);
        final Path temp = RegionFiles.newTempPath(file);
        boolean made = false;
        try
        {
            try (FileChannel channel = PrivateFiles.createExclusive(temp, config.permissions()))
            {
                made = true;
                build(channel, header, config);
            }
            Files.createLink(file, temp);
            return header;
        }
        catch (final FileAlreadyExistsException ex)
        {
            return null;
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            throw new RegionException(file, "cannot initialise (in " + temp + "): " + ex, ex);
        }
        finally
        {
            if (made)
            {
                deleteQuietly(temp); // published: a second name of the region; not published: an unfinished file
            }
        }
    }

    private static void build(final FileChannel channel, final RegionHeader header, final RegionConfig config) throws IOException
    {
        final ByteBuffer init = ByteBuffer.allocate(CREATOR_PID_OFFSET + Long.BYTES).order(java.nio.ByteOrder.nativeOrder());
        init.putLong(MAGIC_OFFSET, INIT_MAGIC);
        init.putLong(CREATOR_PID_OFFSET, ProcessHandle.current().pid()); // the pid the private file's name carries
        while (init.hasRemaining())
        {
            channel.write(init, init.position());
        }
        channel.write(ByteBuffer.wrap(new byte[1]), header.regionSize - 1);
        final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, header.regionSize);
        try
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(mapped);
            header.write(buffer);
            buffer.putLong(CLEAN_CLOSE_OFFSET, 1);
            buffer.putLong(COARSE_TIME_OFFSET, System.currentTimeMillis());
            for (final SectionSpec spec : config.sections())
            {
                if (spec.formatter() != null)
                {
                    spec.formatter().format(buffer, header.section(spec.id()));
                }
            }
            initHook.run();
            buffer.putLongRelease(MAGIC_OFFSET, MAGIC);
        }
        finally
        {
            IoUtil.unmap(mapped);
        }
    }

    private static void deleteQuietly(final Path path)
    {
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException ex)
        {
            // left for the next creator, which recognises it by its name and first bytes
        }
    }

    /**
     * Maps the region file, opened without following a link, once it is checked to still be the
     * region whose header was validated: a regular file of that length, whose header read again
     * through this very channel is valid and has the same identity (creation time, creator, size).
     */
    private static MappedByteBuffer map(final Path file, final RegionHeader expected, final boolean readOnly)
    {
        final RegionFiles.Facts facts = RegionFiles.facts(file);
        if (facts == null)
        {
            throw new RegionException(file, "was deleted while being opened");
        }
        if (!facts.regular)
        {
            throw new RegionFormatException(file, "fileType", facts.type, "a regular file (a region)");
        }
        try (FileChannel channel = readOnly
            ? FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)
            : FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS))
        {
            final long length = channel.size();
            final byte[] page = new byte[HEADER_LENGTH];
            if (Probe.readPage(channel, page, length) < HEADER_LENGTH)
            {
                throw new RegionFormatException(file, "fileLength", String.valueOf(length), expected.regionSize
                    + " (the region size in the header)");
            }
            final RegionHeader header = RegionHeader.validate(file, page, length);
            if (header.regionSize != expected.regionSize || header.createdMillis != expected.createdMillis
                || header.creatorPid != expected.creatorPid)
            {
                throw new RegionException(file, "was replaced by another region while being opened");
            }
            return channel.map(readOnly ? FileChannel.MapMode.READ_ONLY : FileChannel.MapMode.READ_WRITE, 0, length);
        }
        catch (final NoSuchFileException ex)
        {
            throw new RegionException(file, "was deleted while being opened", ex);
        }
        catch (final IOException ex)
        {
            throw new RegionException(file, "cannot map" + (readOnly ? " read-only" : "") + ": " + ex, ex);
        }
    }

    // ------------------------------------------------------------------ attachment

    /**
     * Claims a process slot for this object (this process), then recovers every dead slot it can
     * (with the steps registered so far: register them before attaching). When no slot is free, it
     * recovers a dead slot and takes it (see the class comment), waiting (bounded) for recoveries
     * that other threads or processes have under way. Starts the daemon thread (heartbeat,
     * periodic recovery).
     *
     * @return the slot index.
     * @throws ProcessTableFullException when every slot belongs to a live process, or to dead ones
     *                                   this process cannot recover (the message says which).
     * @throws IllegalStateException when already attached or closed.
     */
    public int attach()
    {
        synchronized (attachLock)
        {
            checkOpen();
            if (slot >= 0)
            {
                throw new IllegalStateException("region " + file + ": already attached as slot " + slot);
            }
            final int claimed = claimSlot();
            attachSequence = sequence(buffer.getLongVolatile(stateOffset(claimed)));
            slot = claimed;
            buffer.putLongVolatile(CLEAN_CLOSE_OFFSET, 0);
            buffer.putLongOpaque(COARSE_TIME_OFFSET, System.currentTimeMillis());
            // reopening after an unclean end (or joining survivors of a crash): recover the dead now
            recoverDeadSlots();
            startDaemon();
            LOG.log(Level.DEBUG, () -> "region " + file + ": attached as slot " + claimed + " (attachment " + attachSequence + ")");
            return claimed;
        }
    }

    /**
     * A free slot, or a dead one recovered and taken; waits while a live recoverer works on a slot
     * (it frees it soon), up to {@link #ATTACH_WAIT_NANOS}.
     */
    private int claimSlot()
    {
        final long deadline = System.nanoTime() + ATTACH_WAIT_NANOS;
        while (true)
        {
            int claimed = claimFreeSlot();
            if (claimed < 0)
            {
                claimed = takeOverDeadSlot();
            }
            if (claimed >= 0)
            {
                return claimed;
            }
            if (!recoveryUnderWay() || System.nanoTime() > deadline)
            {
                throw tableFull();
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /**
     * Recovers dead slots in turn until one is recovered completely, and keeps that one: it becomes
     * this attachment's without its lock byte ever being let go, so nobody can take it in between.
     *
     * @return the slot taken, or -1.
     */
    private int takeOverDeadSlot()
    {
        for (int i = 0; i < header.processSlots; i++)
        {
            final int state = state(buffer.getLongVolatile(stateOffset(i)));
            if (state != STATE_ATTACHED && state != STATE_RECOVERING)
            {
                continue;
            }
            final boolean[] taken = new boolean[1];
            final OwnerDeathReport report;
            recovering.readLock().lock();
            try
            {
                report = recoverSlot(i, taken);
            }
            finally
            {
                recovering.readLock().unlock();
            }
            if (report != null)
            {
                tellListeners(report);
            }
            if (taken[0])
            {
                return i;
            }
        }
        return -1;
    }

    /** Whether some slot is being recovered by a live recoverer (its lock byte held): it will be free soon. */
    private boolean recoveryUnderWay()
    {
        for (int i = 0; i < header.processSlots; i++)
        {
            if (state(buffer.getLongVolatile(stateOffset(i))) == STATE_RECOVERING && isAlive(i))
            {
                return true;
            }
        }
        return false;
    }

    private ProcessTableFullException tableFull()
    {
        int dead = 0;
        for (int i = 0; i < header.processSlots; i++)
        {
            if (!isAlive(i))
            {
                dead++;
            }
        }
        final Set<Integer> missing = missingSteps();
        if (dead > 0 && !missing.isEmpty())
        {
            final List<String> names = new ArrayList<>();
            missing.forEach(id -> names.add(SectionSpec.nameOf(id)));
            return new ProcessTableFullException(file, header.processSlots, dead + " of them held by dead processes that"
                + " this process cannot recover: it has no recovery step for " + names
                + " (open those modules, e.g. TieredPool.open, before attach())");
        }
        if (dead > 0)
        {
            return new ProcessTableFullException(file, header.processSlots, dead + " of them held by dead processes whose"
                + " recovery failed (see the OwnerDeathListener reports); the others by live processes");
        }
        return new ProcessTableFullException(file, header.processSlots);
    }

    /**
     * Frees this object's process slot. Does nothing when not attached. Every detach hook runs and
     * the slot is freed even when a hook throws; the first failure is then thrown, the others
     * suppressed in it.
     *
     * @throws RegionException when a module's detach hook failed (the process is detached all the same).
     */
    public void detach()
    {
        synchronized (attachLock)
        {
            final int mine = slot;
            if (mine < 0)
            {
                return;
            }
            stopDaemon();
            final List<Runnable> hooks = new ArrayList<>(detachHooks);
            java.util.Collections.reverse(hooks);
            Throwable failure = null;
            for (final Runnable hook : hooks)
            {
                try
                {
                    hook.run(); // modules give back what this process holds while it still owns the slot
                }
                catch (final RuntimeException | InternalError ex) // InternalError: the file was truncated under the mapping
                {
                    // the others still run and the slot is still freed: a failing module must not keep the process attached
                    if (failure == null)
                    {
                        failure = ex;
                    }
                    else
                    {
                        failure.addSuppressed(ex);
                    }
                }
            }
            try
            {
                final int offset = stateOffset(mine);
                final long word = buffer.getLongVolatile(offset);
                if (state(word) == STATE_ATTACHED && sequence(word) == attachSequence)
                {
                    // state first, lock last: a process that sees the lock free must see FREE or a dead owner
                    buffer.compareAndSetLong(offset, word, stateWord(STATE_FREE, attachSequence));
                }
            }
            catch (final InternalError ex)
            {
                // the file was truncated under the mapping: the slot's lock is dropped all the same (below), so
                // others see this slot as a dead one and recover it
                failure = failure == null ? ex : failure;
            }
            lockFile.unlock(lockPosition(mine));
            slot = -1;
            LOG.log(Level.DEBUG, () -> "region " + file + ": detached from slot " + mine);
            try
            {
                if (attachedSlots() == 0)
                {
                    buffer.putLongVolatile(CLEAN_CLOSE_OFFSET, 1);
                }
            }
            catch (final InternalError ex)
            {
                failure = failure == null ? ex : failure;
            }
            if (failure != null)
            {
                throw new RegionException(file, "detached from slot " + mine + ", but a module could not give back all it held: "
                    + failure.getMessage(), failure);
            }
        }
    }

    private int claimFreeSlot()
    {
        for (int i = 0; i < header.processSlots; i++)
        {
            final int offset = stateOffset(i);
            if (state(buffer.getLongVolatile(offset)) != STATE_FREE)
            {
                continue;
            }
            if (!tryLock(file, lockFile, lockPosition(i)))
            {
                continue;
            }
            final long word = buffer.getLongVolatile(offset);
            if (state(word) == STATE_FREE && occupy(i, word))
            {
                return i;
            }
            lockFile.unlock(lockPosition(i));
        }
        return -1;
    }

    /**
     * Writes this process into slot {@code i}, whose lock byte the caller holds, and moves its
     * state from {@code word} to ATTACHED with the next claim sequence.
     *
     * @return whether the state word was still {@code word}.
     */
    private boolean occupy(final int i, final long word)
    {
        final long now = System.currentTimeMillis();
        final int base = slotOffset(i);
        buffer.putLong(base + PID_OFFSET, ProcessHandle.current().pid());
        buffer.putLong(base + START_TIME_OFFSET, START_TIME);
        buffer.putLong(base + ATTACH_TIME_OFFSET, now);
        buffer.putLong(base + HEARTBEAT_OFFSET, now);
        buffer.putLong(base + RECOVERER_PID_OFFSET, 0);
        buffer.putLong(base + TXN_STATE_OFFSET, 0);
        buffer.putLong(base + WOUNDED_OFFSET, 0);
        return buffer.compareAndSetLong(stateOffset(i), word, stateWord(STATE_ATTACHED, sequence(word) + 1));
    }

    private int attachedSlots()
    {
        int count = 0;
        for (int i = 0; i < header.processSlots; i++)
        {
            if (state(buffer.getLongVolatile(stateOffset(i))) == STATE_ATTACHED && isAlive(i))
            {
                count++;
            }
        }
        return count;
    }

    /**
     * This object's process slot.
     *
     * @return the slot, or -1 when not attached.
     */
    public int slot()
    {
        return slot;
    }

    long attachSequence()
    {
        return attachSequence;
    }

    private static final long TOKEN_SEQUENCE_MASK = (1L << 50) - 1;

    private static long token(final int slot, final long sequence)
    {
        return ((sequence & TOKEN_SEQUENCE_MASK) << 13) | (slot + 1);
    }

    /**
     * A word naming this attachment (its slot and claim sequence), for modules that store "who
     * holds this" in shared memory (lock words): {@link #isOwnerGone(long)} tells, from any
     * process, whether that holder is still there. Never 0.
     *
     * @return the token.
     * @throws IllegalStateException when not attached.
     */
    public long ownerToken()
    {
        final int mine = slot;
        if (mine < 0)
        {
            throw new IllegalStateException("region " + file + ": attach() first");
        }
        return token(mine, attachSequence);
    }

    /**
     * A word naming the recovery claim this process holds on dead slot {@code slot} (the slot and
     * the claim's sequence), for recovery steps that store "who holds this" in shared memory (lock
     * words, journals) in the recovery's name: {@link #isOwnerGone(long)} reports it held, in
     * every process, for as long as this process holds the claim, whether or not this process is
     * attached. Never 0, and never equal to a token of any attachment.
     *
     * @param slot a slot this process is recovering (the {@link DeadProcess#slot()} a step was given).
     * @return the token.
     * @throws IllegalStateException when this process holds no recovery claim on {@code slot}.
     * @throws IllegalArgumentException when {@code slot} is out of range.
     */
    public long recoveryToken(final int slot)
    {
        checkOpen();
        checkSlot(slot);
        final long word = buffer.getLongVolatile(stateOffset(slot));
        if (state(word) != STATE_RECOVERING || !lockFile.isHeldHere(lockPosition(slot)))
        {
            throw new IllegalStateException("region " + file + ": slot " + slot + " is not being recovered by this process");
        }
        return token(slot, sequence(word));
    }

    /**
     * Whether the holder named by a token ({@link #ownerToken()} or {@link #recoveryToken(int)})
     * is gone: the attachment detached, or its slot was recovered or reused, or its process died;
     * the recovery finished, or its recoverer died (the kernel's word, not a timeout). A slot
     * being recovered has a new claim sequence, so the tokens of its dead attachment are gone (a
     * recoverer may need what it held). A token that names no slot (corrupt) is gone.
     *
     * @param token a token read from shared memory.
     * @return {@code true} when nobody will release what the token's holder holds.
     */
    public boolean isOwnerGone(final long token)
    {
        checkOpen();
        final int owner = (int)(token & 0x1FFF) - 1;
        if (owner < 0 || owner >= header.processSlots)
        {
            return true;
        }
        final long word = buffer.getLongVolatile(stateOffset(owner));
        if ((sequence(word) & TOKEN_SEQUENCE_MASK) != token >>> 13)
        {
            return true;
        }
        final int state = state(word);
        return (state != STATE_ATTACHED && state != STATE_RECOVERING) || !isAlive(owner);
    }

    /**
     * Whether the process owning {@code slot} is alive: its slot lock is held (by it, or by a
     * process recovering it). A stopped or stalled process is alive.
     *
     * @param slot slot index.
     * @return {@code false} for a free slot or a dead owner.
     * @throws IllegalArgumentException when {@code slot} is out of range.
     */
    public boolean isAlive(final int slot)
    {
        checkSlot(slot);
        checkOpen();
        if (state(buffer.getLongVolatile(stateOffset(slot))) == STATE_FREE)
        {
            return false;
        }
        try
        {
            return lockFile.isHeld(lockPosition(slot));
        }
        catch (final IOException ex)
        {
            throw new RegionException(file, "cannot probe the lock of slot " + slot + ": " + ex, ex);
        }
    }

    /**
     * The state word of a slot, for modules that check an owner (e.g. lock holders).
     *
     * @param slot slot index.
     * @return the raw state word.
     */
    public long slotStateWord(final int slot)
    {
        checkOpen();
        checkSlot(slot);
        return buffer.getLongVolatile(stateOffset(slot));
    }

    /**
     * Snapshot of every slot that is not free.
     *
     * @return slot infos in slot order.
     */
    public List<ProcessSlotInfo> processes()
    {
        checkOpen();
        final List<ProcessSlotInfo> result = new ArrayList<>();
        final long now = System.currentTimeMillis();
        for (int i = 0; i < header.processSlots; i++)
        {
            final int base = slotOffset(i);
            final long word = buffer.getLongVolatile(base + STATE_OFFSET);
            final int state = state(word);
            if (state == STATE_FREE)
            {
                continue;
            }
            final String name = state == STATE_ATTACHED ? "ATTACHED" : state == STATE_RECOVERING ? "RECOVERING" : "CORRUPT(" + state + ")";
            final boolean alive = state <= STATE_RECOVERING && isAlive(i);
            final long heartbeat = buffer.getLongOpaque(base + HEARTBEAT_OFFSET);
            final boolean stalled = alive && state == STATE_ATTACHED && now - heartbeat > 3 * heartbeatMillis;
            result.add(new ProcessSlotInfo(i, name, buffer.getLong(base + PID_OFFSET), buffer.getLong(base + START_TIME_OFFSET),
                buffer.getLong(base + ATTACH_TIME_OFFSET), heartbeat, alive, stalled, sequence(word)));
        }
        return result;
    }

    // ------------------------------------------------------------------ recovery

    /**
     * Registers a recovery step, run for every dead slot this process recovers. The step of each
     * section must be registered before {@link #attach()}, which recovers the dead processes it
     * finds with the steps registered by then: a module first opened later (its open registers its
     * step) is refused, as the dead it would recover would otherwise wait, unrecovered, for the next
     * periodic check, or for ever with the watchdog off. A module opened again on an attached region
     * (its section has a step already) is accepted.
     *
     * @param step the step.
     * @throws IllegalStateException naming the step and its module when this object is attached and
     *                               no step of the step's section was registered before
     *                               ({@link #detach()} first, or open the module before attaching).
     */
    public void registerRecoveryStep(final RecoveryStep step)
    {
        if (step == null)
        {
            throw new IllegalArgumentException("step=null");
        }
        synchronized (attachLock) // a concurrent attach() recovers with this step, or this registration is refused
        {
            final int mine = slot;
            if (mine >= 0 && steps.stream().noneMatch(registered -> registered.sectionId() == step.sectionId()))
            {
                throw new IllegalStateException("region " + file + ": the recovery step '" + step.name() + "' (section "
                    + SectionSpec.nameOf(step.sectionId()) + ") is registered after attach() (slot " + mine + "): open every"
                    + " module (TieredPool.open, RefCounts.open, LockManager.open) and register every recovery step before"
                    + " attach(), which recovers the dead processes it finds with the steps registered by then");
            }
            steps.add(step);
        }
    }

    /**
     * Registers a hook run by {@link #detach()} (and {@link #close()}) while this process still
     * owns its slot, in reverse order of registration: modules use it to give back what the
     * process holds (thread caches, references), so a clean exit leaves nothing for recovery.
     * Not run by {@link #abandon()} or when the process dies.
     *
     * @param hook the hook.
     */
    public void registerDetachHook(final Runnable hook)
    {
        if (hook == null)
        {
            throw new IllegalArgumentException("hook=null");
        }
        detachHooks.add(hook);
    }

    /**
     * Registers a hook run as this object gives the mapping up, by {@link #close()} (after the
     * detach hooks) and by {@link #abandon()}: a module that reaches the mapping by address rather
     * than through {@link #buffer()} stops doing so. The hook must not touch the region.
     *
     * @param hook the hook.
     */
    public void registerUnmapHook(final Runnable hook)
    {
        if (hook == null)
        {
            throw new IllegalArgumentException("hook=null");
        }
        unmapHooks.add(hook);
    }

    private void runUnmapHooks()
    {
        for (final Runnable hook : unmapHooks)
        {
            hook.run();
        }
    }

    /**
     * Adds a task this process's region thread runs on every heartbeat tick while attached (see
     * {@link RegionConfig#heartbeatInterval()}): upkeep of a module's own process-local state,
     * such as finding transactions whose thread has ended. It must be quick; an exception it
     * throws is logged like a watchdog failure and the task keeps its place.
     *
     * @param task the task.
     */
    public void addMaintenanceTask(final Runnable task)
    {
        if (task == null)
        {
            throw new IllegalArgumentException("task=null");
        }
        maintenanceTasks.add(task);
    }

    /**
     * Removes a task added by {@link #addMaintenanceTask}.
     *
     * @param task the task.
     */
    public void removeMaintenanceTask(final Runnable task)
    {
        maintenanceTasks.remove(task);
    }

    /**
     * Adds a listener told of every recovery this process runs.
     *
     * @param listener the listener.
     */
    public void addOwnerDeathListener(final OwnerDeathListener listener)
    {
        if (listener == null)
        {
            throw new IllegalArgumentException("listener=null");
        }
        listeners.add(listener);
    }

    /**
     * Removes a listener.
     *
     * @param listener the listener.
     */
    public void removeOwnerDeathListener(final OwnerDeathListener listener)
    {
        listeners.remove(listener);
    }

    /**
     * Finds slots whose owner is dead (or whose recoverer died) and recovers each one this
     * process can claim. Needs no attachment. Safe to call concurrently from several threads,
     * several {@code Region} objects and several processes: each dead slot is recovered by one of
     * them at a time (see the class comment).
     *
     * @return a report for each slot recovered or attempted.
     */
    public List<OwnerDeathReport> recoverDeadSlots()
    {
        checkOpen();
        final List<OwnerDeathReport> reports = new ArrayList<>();
        for (int i = 0; i < header.processSlots; i++)
        {
            final int state = state(buffer.getLongVolatile(stateOffset(i)));
            if ((state != STATE_ATTACHED && state != STATE_RECOVERING) || i == slot)
            {
                continue;
            }
            final OwnerDeathReport report;
            recovering.readLock().lock();
            try
            {
                if (closed)
                {
                    break;
                }
                report = recoverSlot(i, null);
            }
            finally
            {
                recovering.readLock().unlock();
            }
            if (report != null)
            {
                reports.add(report);
                tellListeners(report);
            }
        }
        return reports;
    }

    private void tellListeners(final OwnerDeathReport report)
    {
        logReport(report);
        for (final OwnerDeathListener listener : listeners)
        {
            listener.onOwnerDeath(report);
        }
    }

    /** A recovery at INFO, one that failed at WARNING, a deferral (this process lacks a step) at INFO. */
    private void logReport(final OwnerDeathReport report)
    {
        final DeadProcess dead = report.dead();
        final boolean deferred = isDeferral(report);
        LOG.log(report.completed() || deferred ? Level.INFO : Level.WARNING, () -> "region " + file + ": "
            + (report.completed() ? "recovered" : deferred ? "left for a process with every recovery step:" : "failed to recover")
            + " slot " + dead.slot() + " of dead pid " + dead.pid() + " (attachment " + dead.attachSequence() + ")"
            + (deferred ? "" : " in pid " + report.recovererPid()) + ": " + String.join("; ", report.stepResults()));
    }

    private static boolean isDeferral(final OwnerDeathReport report)
    {
        return !report.completed() && report.stepResults().size() == 1 && report.stepResults().get(0).startsWith(DEFERRED);
    }

    /**
     * Claims slot {@code dead} (its lock byte, then its state word to RECOVERING with the next
     * claim sequence), runs every step, and frees the slot, or, given {@code taken}, attaches this
     * process to it without letting its lock byte go (and sets {@code taken[0]}). The caller holds
     * the read lock of {@link #recovering}.
     *
     * @param taken null to free the slot once recovered; else where to say it was taken.
     * @return the report, or {@code null} when the slot is alive, free, or claimed by another recoverer.
     */
    private OwnerDeathReport recoverSlot(final int dead, final boolean[] taken)
    {
        final long position = lockPosition(dead);
        if (lockFile.isHeldHere(position) || !tryLock(file, lockFile, position))
        {
            return null; // alive, or claimed by another recoverer
        }
        boolean kept = false;
        try
        {
            final int offset = stateOffset(dead);
            final long word = buffer.getLongVolatile(offset);
            final int state = state(word);
            if (state != STATE_ATTACHED && state != STATE_RECOVERING)
            {
                return null;
            }
            final int base = slotOffset(dead);
            final DeadProcess info = new DeadProcess(dead, buffer.getLong(base + PID_OFFSET),
                buffer.getLong(base + START_TIME_OFFSET), sequence(word));
            final long me = ProcessHandle.current().pid();
            final Set<Integer> missing = missingSteps();
            if (!missing.isEmpty())
            {
                return deferral(info, missing);
            }
            // a new claim sequence: the dead attachment's tokens (and a dead recoverer's) are gone from here on,
            // and recoveryToken(dead) names this claim alone
            final long claim = stateWord(STATE_RECOVERING, sequence(word) + 1);
            if (!buffer.compareAndSetLong(offset, word, claim))
            {
                return null;
            }
            buffer.putLongVolatile(base + RECOVERER_PID_OFFSET, me);
            final List<String> results = new ArrayList<>();
            if (!runSteps(info, results))
            {
                return new OwnerDeathReport(info, me, results, false);
            }
            kept = finish(dead, claim, taken, results);
            return new OwnerDeathReport(info, me, results, true);
        }
        finally
        {
            if (!kept)
            {
                lockFile.unlock(position);
            }
        }
    }

    /**
     * The report of a dead slot left for a process with the steps this one lacks, once per claim
     * sequence of the slot; {@code null} when already reported.
     */
    private OwnerDeathReport deferral(final DeadProcess info, final Set<Integer> missing)
    {
        synchronized (deferredReported)
        {
            if (!deferredReported.add(((long)info.slot() << 40) ^ info.attachSequence()))
            {
                return null;
            }
        }
        final List<String> names = new ArrayList<>();
        missing.forEach(id -> names.add(SectionSpec.nameOf(id)));
        return new OwnerDeathReport(info, ProcessHandle.current().pid(), List.of(DEFERRED + "this process has no recovery step for "
            + String.join(", ", names)), false);
    }

    /**
     * After the steps of a recovery: releases the roots lock the dead slot held, then frees the
     * slot, or, given {@code taken}, writes this process into it (ATTACHED, the next sequence).
     *
     * @return whether the slot was taken (its lock byte is then this attachment's).
     */
    private boolean finish(final int dead, final long claim, final boolean[] taken, final List<String> results)
    {
        final String roots = "region: roots lock " + (this.roots.releaseIfHeldBy(dead) ? "released" : "not held");
        if (taken != null && occupy(dead, claim))
        {
            taken[0] = true;
            results.add(roots + ", slot taken by this process");
            return true;
        }
        results.add(roots + ", slot freed");
        buffer.putLongRelease(stateOffset(dead), stateWord(STATE_FREE, sequence(claim)));
        return false;
    }

    /**
     * Runs every step in order, adding each result.
     *
     * @return whether all of them completed.
     */
    private boolean runSteps(final DeadProcess info, final List<String> results)
    {
        final List<RecoveryStep> ordered = new ArrayList<>(steps);
        ordered.sort(Comparator.comparingInt(RecoveryStep::order));
        for (final RecoveryStep step : ordered)
        {
            try
            {
                results.add(step.name() + ": " + step.recover(this, info));
            }
            catch (final RuntimeException ex)
            {
                results.add(step.name() + ": FAILED " + ex);
                return false;
            }
        }
        return true;
    }

    private Set<Integer> missingSteps()
    {
        final Set<Integer> missing = new TreeSet<>();
        for (final Section section : header.sections)
        {
            if (section.needsRecovery())
            {
                missing.add(section.id());
            }
        }
        for (final RecoveryStep step : steps)
        {
            missing.remove(step.sectionId());
        }
        return missing;
    }

    /**
     * The last error the daemon thread's periodic recovery met, for diagnosis.
     *
     * @return the error, or {@code null}.
     */
    public Throwable lastWatchdogError()
    {
        return lastWatchdogError;
    }

    /**
     * Keeps the daemon's error for {@link #lastWatchdogError()} and logs it at WARNING, once while
     * the same failure repeats at every check (then at DEBUG).
     */
    private void watchdogFailed(final Throwable ex)
    {
        watchdogFailed(ex, "failed to recover dead slots (it tries again in " + watchdogMillis + " ms)");
    }

    private void watchdogFailed(final Throwable ex, final String what)
    {
        final Throwable previous = lastWatchdogError;
        lastWatchdogError = ex;
        final boolean repeated = previous != null && previous.getClass() == ex.getClass()
            && Objects.equals(previous.getMessage(), ex.getMessage());
        final int mine = slot;
        LOG.log(repeated ? Level.DEBUG : Level.WARNING, () -> "region " + file + ": the watchdog of slot " + mine
            + " " + what + (repeated ? " (again)" : ""), ex);
    }

    private void startDaemon()
    {
        final Thread thread = new Thread(this::daemonLoop, "shmtx-region-" + file.getFileName() + "-slot-" + slot);
        thread.setDaemon(true);
        daemon = thread;
        thread.start();
    }

    private void stopDaemon()
    {
        final Thread thread = daemon;
        daemon = null;
        if (thread != null)
        {
            thread.interrupt();
            try
            {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void daemonLoop()
    {
        final Thread self = Thread.currentThread();
        final long tick = watchdogMillis > 0 ? Math.min(heartbeatMillis, watchdogMillis) : heartbeatMillis;
        long nextWatchdog = System.currentTimeMillis() + watchdogMillis;
        while (daemon == self && !self.isInterrupted())
        {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(tick));
            if (daemon != self || self.isInterrupted())
            {
                return;
            }
            final int mine = slot;
            final long now = System.currentTimeMillis();
            if (mine >= 0)
            {
                buffer.putLongOpaque(slotOffset(mine) + HEARTBEAT_OFFSET, now); // diagnosis only: no ordering needed
            }
            buffer.putLongOpaque(COARSE_TIME_OFFSET, now); // several writers: any recent value will do
            for (final Runnable task : maintenanceTasks)
            {
                try
                {
                    task.run();
                }
                catch (final Throwable ex)
                {
                    watchdogFailed(ex, "ran a maintenance task that failed (it runs again at the next heartbeat)");
                }
            }
            if (watchdogMillis > 0 && now >= nextWatchdog)
            {
                nextWatchdog = now + watchdogMillis;
                try
                {
                    recoverDeadSlots();
                }
                catch (final Throwable ex)
                {
                    watchdogFailed(ex);
                }
            }
        }
    }

    // ------------------------------------------------------------------ roots and clock

    /**
     * Binds {@code name} to {@code handle}, visible to every process at once.
     *
     * @param name   1 to 44 characters: letters, digits, {@code _ - . : /}.
     * @param handle non-zero handle.
     * @throws RootException when the name is bound already or the table is full.
     * @throws IllegalArgumentException for a bad name or a zero handle.
     * @throws IllegalStateException when not attached.
     */
    public void bindRoot(final String name, final long handle)
    {
        checkOpen();
        roots.bind(name, handle);
    }

    /**
     * The handle bound to {@code name}.
     *
     * @param name root name.
     * @return the handle.
     * @throws RootException when the name is not bound.
     */
    public long root(final String name)
    {
        checkOpen();
        final long handle = roots.find(name);
        if (handle == 0)
        {
            throw new RootException(file, name, "is not bound");
        }
        return handle;
    }

    /**
     * The handle bound to {@code name}, or 0.
     *
     * @param name root name.
     * @return the handle, or 0 when not bound.
     */
    public long findRoot(final String name)
    {
        checkOpen();
        return roots.find(name);
    }

    /**
     * Removes the binding of {@code name}.
     *
     * @param name root name.
     * @return the handle that was bound.
     * @throws RootException when the name is not bound.
     * @throws IllegalStateException when not attached.
     */
    public long unbindRoot(final String name)
    {
        checkOpen();
        return roots.unbind(name);
    }

    /**
     * Every bound root.
     *
     * @return name to handle, in slot order.
     */
    public Map<String, Long> roots()
    {
        checkOpen();
        return roots.snapshot();
    }

    /**
     * Advances the region clock and returns the new value: unique and increasing across every
     * thread of every process of the region. Starts at 1.
     *
     * @return the timestamp.
     */
    public long nextTimestamp()
    {
        checkOpen();
        return buffer.getAndAddLong(CLOCK_OFFSET, 1) + 1;
    }

    /**
     * A coarse wall-clock time (epoch ms) shared by the region: refreshed by the daemon thread of
     * every attached process at each heartbeat tick, read without a system call. Never ahead of
     * the real time; behind it by up to a heartbeat interval (more when no process is attached).
     *
     * @return epoch milliseconds.
     */
    public long coarseMillis()
    {
        checkOpen();
        return buffer.getLongOpaque(COARSE_TIME_OFFSET);
    }

    /**
     * The current region clock value, without advancing it.
     *
     * @return the last timestamp handed out, 0 if none.
     */
    public long currentTimestamp()
    {
        checkOpen();
        return buffer.getLongVolatile(CLOCK_OFFSET);
    }

    // ------------------------------------------------------------------ accessors

    /**
     * The region file.
     *
     * @return the path.
     */
    public Path file()
    {
        return file;
    }

    /**
     * Whether this region was opened with {@link #openReadOnly}: mapped read-only, it cannot be
     * written nor attached.
     *
     * @return {@code true} when read-only.
     */
    public boolean isReadOnly()
    {
        return readOnly;
    }

    /**
     * The region size in bytes.
     *
     * @return the size.
     */
    public long size()
    {
        return header.regionSize;
    }

    /**
     * Number of process slots.
     *
     * @return the capacity of the process table.
     */
    public int processSlots()
    {
        return header.processSlots;
    }

    /**
     * The section table.
     *
     * @return sections in layout order.
     */
    public List<Section> sections()
    {
        return header.sections;
    }

    /**
     * A section by id.
     *
     * @param id section id.
     * @return the section.
     * @throws RegionFormatException when the region has no such section.
     */
    public Section section(final int id)
    {
        final Section section = header.section(id);
        if (section == null)
        {
            throw new RegionFormatException(file, "section " + SectionSpec.nameOf(id), "absent", "present (create the region with it)");
        }
        return section;
    }

    /**
     * The whole mapped region, for modules that lay out their own sections. Do not use it after
     * {@link #close()}.
     *
     * @return the buffer.
     */
    public AtomicBuffer buffer()
    {
        checkOpen();
        return buffer;
    }

    /**
     * A snapshot for diagnostics.
     *
     * @return header, sections, live process table and roots.
     */
    public RegionInfo inspect()
    {
        checkOpen();
        final List<String> problems = new ArrayList<>();
        final Map<String, Long> rootSnapshot = roots.snapshot(problems);
        return new RegionInfo(file, header.regionSize, LAYOUT_VERSION, header.createdMillis, header.creatorPid,
            heartbeatMillis, buffer.getLongVolatile(CLEAN_CLOSE_OFFSET) == 1, currentTimestamp(), header.sections,
            processes(), header.processSlots, header.rootSlots, rootSnapshot, List.copyOf(problems));
    }

    /**
     * Whether {@link #close()} was called.
     *
     * @return {@code true} once closed.
     */
    public boolean isClosed()
    {
        return closed;
    }

    /**
     * Abandons this attachment as a killed process would: stops the daemon thread and drops the
     * slot's lock without detaching, so the slot is left ATTACHED with a dead owner for another
     * attachment to find and recover; then gives the mapping up like {@link #close()}. For crash tests and fault
     * injection within one JVM. Idempotent with close.
     */
    public void abandon()
    {
        synchronized (attachLock)
        {
            if (closed)
            {
                return;
            }
            checkNotInRecovery();
            stopDaemon();
            final int mine = slot;
            if (mine >= 0)
            {
                lockFile.unlock(lockPosition(mine));
                slot = -1;
            }
            giveUp();
        }
    }

    /**
     * Marks this object closed and drops its use of the mapping and the lock file, once no
     * recovery of this object is under way (one would otherwise lose its claim with the lock file).
     */
    private void giveUp()
    {
        recovering.writeLock().lock();
        try
        {
            closed = true;
            runUnmapHooks();
            // the buffer is not re-wrapped to an empty one: a thread inside an access would then read a torn
            // (address, array) pair and could crash the JVM; every method of this class and of the modules
            // checks closed instead
            lockFile.release();
        }
        finally
        {
            recovering.writeLock().unlock();
        }
    }

    /** Closing from within a recovery step of this object would wait for that recovery for ever. */
    private void checkNotInRecovery()
    {
        if (recovering.getReadHoldCount() > 0)
        {
            throw new IllegalStateException("region " + file + ": cannot close or abandon from within a recovery step");
        }
    }

    /**
     * Detaches, gives up the mapping and drops this object's use of the lock file. Idempotent,
     * and always completes: a detach hook that throws does not keep the process attached (the
     * exception is rethrown once the region is closed).
     * <p>Every shmtx object on this region refuses use from then on with an exception. The mapping
     * itself is not unmapped here but released by the garbage collector once nothing refers to it
     * (as {@link FileChannel#map} does): a thread still inside an operation on another thread's
     * close, or a payload view ({@code TieredPool.payload}) kept after close, then touches memory
     * that is still mapped instead of crashing the JVM. Such a view still reads and writes the
     * file: do not use views after close.
     */
    @Override
    public void close()
    {
        synchronized (attachLock)
        {
            if (closed)
            {
                return;
            }
            checkNotInRecovery();
            RuntimeException failure = null;
            try
            {
                detach();
            }
            catch (final RuntimeException ex)
            {
                failure = ex;
            }
            catch (final InternalError ex)
            {
                // a fault of an access to a file truncated under the mapping, delivered by the JVM at some later
                // native call inside detach(): the exception is consumed now, so detach again (idempotent hooks)
                failure = new RegionException(file, "closed, but the mapped file failed under it: " + ex.getMessage(), ex);
                try
                {
                    detach();
                }
                catch (final RuntimeException | InternalError again)
                {
                    failure.addSuppressed(again);
                }
            }
            giveUp();
            if (failure != null)
            {
                throw failure;
            }
        }
    }

    @Override
    public String toString()
    {
        return "Region{file=" + file + ", size=" + header.regionSize + ", slot=" + slot + (closed ? ", closed" : "") + '}';
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("region " + file + " is closed");
        }
    }

    private void checkSlot(final int slot)
    {
        if (slot < 0 || slot >= header.processSlots)
        {
            throw new IllegalArgumentException("region " + file + ": slot=" + slot + " is out of range 0.." + (header.processSlots - 1));
        }
    }

    private int slotOffset(final int slot)
    {
        return processTableOffset + slot * SLOT_SIZE;
    }

    private int stateOffset(final int slot)
    {
        return slotOffset(slot) + STATE_OFFSET;
    }
}
