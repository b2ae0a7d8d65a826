package io.shmtx.region;

import static io.shmtx.region.ProcessTableDescriptor.*;
import static io.shmtx.region.RegionDescriptor.*;

import io.shmtx.region.internal.LockFile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
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
 * <p>Creation protocol. A creator takes an exclusive lock on a fixed byte of the lock file
 * (the creation lock), writes {@link RegionDescriptor#INIT_MAGIC} before extending the file,
 * writes the header, then publishes {@link RegionDescriptor#MAGIC} with a release store. A
 * reader that finds no magic waits (bounded) for the creation lock: if its holder died, the kernel
 * dropped the lock and the file is seen half-initialised: {@link #open} rejects it with a clear
 * error, {@link #create} and {@link #openOrCreate} initialise it again. Two creators racing end
 * with one region: the second finds it ready.
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
    static final Runnable NO_HOOK = () -> { };
    /** Test hook run between writing the header and publishing the magic (same package only). */
    static volatile Runnable initHook = NO_HOOK;

    private static final long DEFAULT_OPEN_TIMEOUT_MS = 10_000;
    /** How long attach() waits for recoveries under way when the table is full. */
    private static final long ATTACH_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long START_TIME = ProcessHandle.current().info().startInstant().map(i -> i.toEpochMilli()).orElse(0L);

    private final Path file;
    private final LockFile lockFile;
    private final MappedByteBuffer mapped;
    private final UnsafeBuffer buffer;
    private final RegionHeader header;
    private final int processTableOffset;
    private final Roots roots;
    private final long heartbeatMillis;
    private final long watchdogMillis;
    private final List<RecoveryStep> steps = new CopyOnWriteArrayList<>();
    private final List<OwnerDeathListener> listeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> detachHooks = new CopyOnWriteArrayList<>();
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
        final long watchdogMillis)
    {
        this.file = file;
        this.lockFile = lockFile;
        this.mapped = mapped;
        this.buffer = new UnsafeBuffer(mapped);
        this.header = header;
        this.processTableOffset = (int)header.section(SectionSpec.PROCESS_TABLE).offset();
        final Section rootsSection = header.section(SectionSpec.ROOTS);
        this.roots = new Roots(this, buffer, file, (int)rootsSection.offset(), header.rootSlots);
        this.heartbeatMillis = header.heartbeatMillis;
        this.watchdogMillis = watchdogMillis;
    }

    // ------------------------------------------------------------------ opening

    /**
     * Creates a new region at {@code file}. A file left half-initialised by a creator that died,
     * or an empty file, is initialised again.
     *
     * @param file   region file, e.g. under {@code /dev/shm}.
     * @param config layout and settings.
     * @return the mapped region, not yet attached.
     * @throws RegionExistsException when a ready region is already there.
     * @throws RegionFormatException when the file holds something that is not a region.
     */
    public static Region create(final Path file, final RegionConfig config)
    {
        return openInternal(file, config, Mode.CREATE, -1);
    }

    /**
     * Opens the region at {@code file}, or creates it with {@code config} if there is none; safe
     * when several processes do this at once (one creates, the others open what it created).
     *
     * @param file   region file.
     * @param config layout and settings; an existing region must have the same layout.
     * @return the mapped region, not yet attached.
     * @throws RegionFormatException when the file is not a compatible region.
     */
    public static Region openOrCreate(final Path file, final RegionConfig config)
    {
        return openInternal(file, config, Mode.OPEN_OR_CREATE, -1);
    }

    /**
     * Opens an existing region. Its settings come from its header; the watchdog runs at the
     * heartbeat interval.
     *
     * @param file region file.
     * @return the mapped region, not yet attached.
     * @throws RegionException when the file is missing.
     * @throws RegionFormatException when the file is not a valid region of this layout.
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
     * The lock file beside a region file: {@code <file>.lock}.
     *
     * @param file region file.
     * @return lock file path.
     */
    public static Path lockFilePath(final Path file)
    {
        return file.resolveSibling(file.getFileName() + ".lock");
    }

    /**
     * Deletes a region file and its lock file. Processes that still map it keep their mapping
     * (the file system frees the memory when the last one unmaps). A file that is not a region
     * (another magic number, a directory) is refused and left as it is: a wrong path must not cost
     * a file; a region that is truncated or was never made ready is deleted.
     *
     * @param file region file.
     * @return whether the region file existed.
     * @throws RegionFormatException naming the file and what it holds, when it is not a region.
     */
    public static boolean delete(final Path file)
    {
        if (file == null)
        {
            throw new IllegalArgumentException("file=null");
        }
        Probe.checkRegionOrMissing(file);
        try
        {
            Files.deleteIfExists(lockFilePath(file));
            return Files.deleteIfExists(file);
        }
        catch (final IOException ex)
        {
            throw new RegionException(file, "cannot delete: " + ex, ex);
        }
    }

    private enum Mode
    {
        CREATE, OPEN, OPEN_OR_CREATE
    }

    private static Region openInternal(final Path given, final RegionConfig config, final Mode mode, final long watchdogMillis)
    {
        if (given == null)
        {
            throw new IllegalArgumentException("file=null");
        }
        if (mode != Mode.OPEN && config == null)
        {
            throw new IllegalArgumentException("config=null");
        }
        // every process must name the same lock file, whatever link or relative path it was given
        final Path file = canonical(given);
        if (mode == Mode.OPEN && !Files.exists(file))
        {
            throw new RegionException(file, "does not exist");
        }
        if (Files.exists(file) && !Files.isRegularFile(file))
        {
            throw new RegionFormatException(file, "fileType", "not a regular file", "a regular file");
        }
        checkSingleName(file);
        if (mode == Mode.OPEN)
        {
            final Probe probe = Probe.of(file); // a foreign or truncated file is refused before a lock file is made beside it
            if (probe.kind == Probe.Kind.INCOMPLETE && !Files.exists(lockFilePath(file)))
            {
                // a creator makes the lock file before the region file: without one, nobody is creating this
                throw neverReady(file, probe);
            }
        }
        else
        {
            RegionHeader.layout(file, config); // so is a configuration that cannot be laid out
        }
        final LockFile lockFile;
        try
        {
            lockFile = LockFile.acquire(lockFilePath(file), permissionsFor(file, config));
        }
        catch (final IOException ex)
        {
            throw new RegionException(file, "cannot open lock file " + lockFilePath(file) + ": " + ex.getMessage(), ex);
        }
        try
        {
            final RegionHeader header = prepare(file, lockFile, config, mode);
            final MappedByteBuffer mapped = map(file, header.regionSize);
            final long watchdog = watchdogMillis >= 0 ? watchdogMillis
                : config != null ? config.watchdogInterval().toMillis() : header.heartbeatMillis;
            return new Region(file, lockFile, mapped, header, watchdog);
        }
        catch (final RuntimeException | Error ex)
        {
            lockFile.release();
            throw ex;
        }
    }

    /**
     * Liveness lives in the lock file named after the region's path (symbolic links are resolved),
     * so two processes that opened one file by two hard-linked names would each hold their own lock
     * file and declare the other dead: such a file is refused.
     */
    private static void checkSingleName(final Path file)
    {
        try
        {
            final Object links = Files.exists(file) ? Files.getAttribute(file, "unix:nlink") : null;
            if (links instanceof Integer && (Integer)links > 1)
            {
                throw new RegionException(file, "has " + links + " hard links: processes must open a region by one name,"
                    + " as its liveness lock file is named after it (" + lockFilePath(file) + "); remove the other links");
            }
        }
        catch (final UnsupportedOperationException | IOException ex)
        {
            // no unix attribute view here: nothing to check
        }
    }

    private static Path canonical(final Path file)
    {
        try
        {
            if (Files.exists(file))
            {
                return file.toRealPath();
            }
            final Path absolute = file.toAbsolutePath().normalize();
            final Path parent = absolute.getParent();
            return parent != null && Files.isDirectory(parent) ? parent.toRealPath().resolve(absolute.getFileName()) : absolute;
        }
        catch (final IOException ex)
        {
            throw new RegionException(file, "cannot resolve the path: " + ex.getMessage(), ex);
        }
    }

    private static Set<PosixFilePermission> permissionsFor(final Path file, final RegionConfig config)
    {
        if (config != null)
        {
            return config.permissions();
        }
        try
        {
            return Files.getPosixFilePermissions(file);
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            return null;
        }
    }

    private static RegionFormatException neverReady(final Path file, final Probe probe)
    {
        return new RegionFormatException(file, "magic", RegionHeader.hex(probe.magic), RegionHeader.hex(MAGIC)
            + (probe.magic == INIT_MAGIC
            ? " (the region was never made ready: its creator" + (probe.creatorPid != 0 ? " pid " + probe.creatorPid : "")
            + " died during initialisation; re-create it with Region.create or openOrCreate)"
            : " (the file is empty or all zeros: never initialised; create it with Region.create or openOrCreate)"));
    }

    private static RegionHeader prepare(final Path file, final LockFile lockFile, final RegionConfig config, final Mode mode)
    {
        final long timeoutMs = config != null ? config.initTimeout().toMillis() : DEFAULT_OPEN_TIMEOUT_MS;
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true)
        {
            final Probe probe = Probe.of(file);
            if (probe.kind == Probe.Kind.READY)
            {
                // validated first: a damaged region is reported as such, not as one ready to open
                final RegionHeader header = RegionHeader.validate(file, probe.page, probe.length);
                if (mode == Mode.CREATE)
                {
                    throw new RegionExistsException(file);
                }
                if (config != null)
                {
                    checkCompatible(file, header, config);
                }
                return header;
            }
            if (probe.kind == Probe.Kind.MISSING && mode == Mode.OPEN)
            {
                throw new RegionException(file, "does not exist");
            }
            if (tryLock(file, lockFile, INIT_LOCK_POSITION))
            {
                try
                {
                    final Probe locked = Probe.of(file);
                    if (locked.kind == Probe.Kind.READY)
                    {
                        continue;
                    }
                    if (mode == Mode.OPEN)
                    {
                        if (locked.kind == Probe.Kind.MISSING)
                        {
                            throw new RegionException(file, "does not exist");
                        }
                        throw neverReady(file, locked);
                    }
                    return initialise(file, config);
                }
                finally
                {
                    lockFile.unlock(INIT_LOCK_POSITION);
                }
            }
            if (System.nanoTime() > deadline)
            {
                throw new RegionException(file, "timed out after " + timeoutMs
                    + " ms waiting for another process to finish initialising the region");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
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

    private static void checkCompatible(final Path file, final RegionHeader header, final RegionConfig config)
    {
        if (header.processSlots != config.processSlots())
        {
            throw new RegionFormatException(file, "processSlots", String.valueOf(header.processSlots),
                config.processSlots() + " (from the config)");
        }
        if (header.rootSlots != config.rootSlots())
        {
            throw new RegionFormatException(file, "rootSlots", String.valueOf(header.rootSlots),
                config.rootSlots() + " (from the config)");
        }
        if (config.size() != 0 && header.regionSize != RegionDescriptor.align(config.size(), PAGE_SIZE))
        {
            throw new RegionFormatException(file, "regionSize", String.valueOf(header.regionSize),
                RegionDescriptor.align(config.size(), PAGE_SIZE) + " (from the config)");
        }
        for (final SectionSpec spec : config.sections())
        {
            final Section section = header.section(spec.id());
            if (section == null || section.length() != spec.length() || section.needsRecovery() != spec.needsRecovery())
            {
                throw new RegionFormatException(file, SectionSpec.nameOf(spec.id()), String.valueOf(section),
                    spec + " (from the config)");
            }
        }
    }

    private static RegionHeader initialise(final Path file, final RegionConfig config)
    {
        final RegionHeader header = RegionHeader.layout(file, config);
        final boolean existed = Files.exists(file, LinkOption.NOFOLLOW_LINKS);
        try (FileChannel channel = FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            if (!existed)
            {
                setPermissions(file, config.permissions());
            }
            channel.truncate(0);
            final ByteBuffer init = ByteBuffer.allocate(CREATOR_PID_OFFSET + Long.BYTES).order(java.nio.ByteOrder.nativeOrder());
            init.putLong(0, INIT_MAGIC);
            init.putLong(CREATOR_PID_OFFSET, ProcessHandle.current().pid()); // so a creator dying next is named
            channel.write(init, 0); // from here on a crash leaves a file marked INIT, never one that looks foreign
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
        catch (final IOException ex)
        {
            throw new RegionException(file, "cannot initialise: " + ex.getMessage(), ex);
        }
        return header;
    }

    private static void setPermissions(final Path file, final Set<PosixFilePermission> permissions)
    {
        try
        {
            Files.setPosixFilePermissions(file, permissions);
        }
        catch (final UnsupportedOperationException ex)
        {
            // not a POSIX file system: nothing to set
        }
        catch (final IOException ex)
        {
            throw new RegionException(file, "cannot set permissions: " + ex, ex);
        }
    }

    private static MappedByteBuffer map(final Path file, final long size)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final long length = channel.size();
            if (length != size)
            {
                throw new RegionFormatException(file, "fileLength", String.valueOf(length), size + " (the region size in the header)");
            }
            return channel.map(FileChannel.MapMode.READ_WRITE, 0, size);
        }
        catch (final NoSuchFileException ex)
        {
            throw new RegionException(file, "was deleted while being opened", ex);
        }
        catch (final IOException ex)
        {
            throw new RegionException(file, "cannot map: " + ex, ex);
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
     * Registers a recovery step, run for every dead slot this process recovers. Register before
     * {@link #attach()}.
     *
     * @param step the step.
     */
    public void registerRecoveryStep(final RecoveryStep step)
    {
        if (step == null)
        {
            throw new IllegalArgumentException("step=null");
        }
        steps.add(step);
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
        for (final OwnerDeathListener listener : listeners)
        {
            listener.onOwnerDeath(report);
        }
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
        return new OwnerDeathReport(info, ProcessHandle.current().pid(), List.of("deferred: this process has no recovery step for "
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
            if (watchdogMillis > 0 && now >= nextWatchdog)
            {
                nextWatchdog = now + watchdogMillis;
                try
                {
                    recoverDeadSlots();
                }
                catch (final Throwable ex)
                {
                    lastWatchdogError = ex;
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
