package io.shmtx.stress;

import io.shmtx.pool.PoolConfig;
import io.shmtx.pool.TieredPool;
import io.shmtx.refcount.RefCountConfig;
import io.shmtx.refcount.RefCounts;
import io.shmtx.region.Region;
import io.shmtx.region.RegionConfig;
import io.shmtx.region.SectionSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import org.agrona.concurrent.AtomicBuffer;

/**
 * JVM-wide shmtx regions with a {@link TieredPool} (and {@link RefCounts}) that the jcstress
 * states of the pool and reference-count tests share: each is created, opened and attached once
 * per JVM on first use (a holder class per region), never per state.
 *
 * <p>This class is threadsafe: the holders are initialised once by the JVM, and the pools and the
 * reference counts are threadsafe (each thread gets its own pool cache and intent cell).
 *
 * <p>jcstress creates state objects by the thousand (in quick mode an epoch holds at most
 * 256 x 40 = 10,240 of them), runs the arbiter of every state of an epoch before it makes the
 * next ones, and each state lets go of everything it took in its arbiter. So a region must hold
 * what one epoch's states hold at once: 2 blocks a state for the pool tests ({@link #POOL_BLOCKS}
 * = 65,536), 1 block and 1 ledger entry a state for the reference-count tests
 * ({@link #REF_BLOCKS} = 32,768 blocks, {@link #REF_LEDGER} ledger entries per side), with room
 * for the blocks parked in the caches of dead jcstress threads. A test that runs out anyway sees
 * it as an ACCEPTABLE_INTERESTING "exhausted" outcome, not as an error.
 *
 * <p>The reference-count region is attached {@link #SLOTS} times ({@link RefSide}): see there why.
 *
 * <p>Each region file is created in {@code /dev/shm} (or the temporary folder where there is no
 * {@code /dev/shm}) under a unique name, and deleted with {@link Region#delete} as soon as this
 * process has attached: the mapping lives on until the JVM exits and nothing else opens the file
 * by name, so no file is left behind even when jcstress kills a fork. A shutdown hook deletes it
 * again in case the early delete failed.
 */
final class SharedPools
{
    /** Process slots of every region, as in the pool and refcount test fixtures. */
    static final int SLOTS = 8;

    /** Blocks of the single 8-byte tier of the pool tests' regions. */
    static final int POOL_BLOCKS = 1 << 16;

    /** Blocks of the single 8-byte tier of the reference-count test's region. */
    static final int REF_BLOCKS = 1 << 15;

    /**
     * Ledger entries per process of the reference-count test's region: 128 Ki entries of 24 bytes
     * (3 MiB a slot, touched as used). The ledger is an open-addressing table whose entries are
     * never emptied again, only reused, and a new handle's insert probes up to the next
     * never-used entry: with 32 Ki entries it reached full-table probes (13 µs a state and
     * rising) within one fork's few hundred thousand states; with 128 Ki spread over the sides it
     * stays a few probes.
     */
    static final int REF_LEDGER = 1 << 17;

    /** Threads that may use a {@link RefSide} before new states move on to the next. */
    static final int SIDE_THREADS = 128;

    /**
     * One tier, no per-thread cache: every allocate pops and every free pushes the tier's shared
     * lock-free stack, so two actors contend on its head word each time.
     */
    static final PoolConfig SHARED_STACK = PoolConfig.builder().tier(8, POOL_BLOCKS).strict(true).cacheSize(0).build();

    /**
     * One tier, the default per-thread cache (32 blocks): allocations and frees go through the
     * thread's cache, and only refills and drains (16 blocks with one CAS) touch the shared stack.
     */
    static final PoolConfig THREAD_CACHES = PoolConfig.builder().tier(8, POOL_BLOCKS).strict(true).build();

    /** One tier for the reference-counted blocks (payload: the offset of the state's free counter). */
    static final PoolConfig REF_POOL = PoolConfig.builder().tier(8, REF_BLOCKS).strict(true).build();

    /** Ledger of {@link #REF_LEDGER} entries; an own intent cell for each of up to 256 threads a side (the most). */
    static final RefCountConfig REF_CONFIG = RefCountConfig.builder().ledgerCapacity(REF_LEDGER).threadsPerProcess(256).build();

    private SharedPools()
    {
    }

    /**
     * The pool without thread caches ({@link #SHARED_STACK}).
     *
     * @return the pool, created and attached on first use.
     */
    static TieredPool sharedStack()
    {
        return SharedStackHolder.POOL;
    }

    /**
     * The pool with thread caches ({@link #THREAD_CACHES}).
     *
     * @return the pool, created and attached on first use.
     */
    static TieredPool threadCaches()
    {
        return ThreadCachesHolder.POOL;
    }

    /**
     * The attachment of the reference-count region that new states use now: its pool hands out
     * the reference-counted blocks, its reference counts count them. Every block it frees must
     * carry, at payload offset 0, the offset of an int counter in {@link #freeCounters()}: an
     * {@code onZero} callback (run just before the block goes back to the pool) adds 1 to that
     * counter, so a state can count how many times its block was freed.
     *
     * @return the side, all of them created and attached on first use.
     */
    static RefSide refSide()
    {
        return RefHolder.SIDES[RefHolder.CURRENT.get()];
    }

    /**
     * The buffer of the free counters of the {@link RefSide reference-count sides}: slots of {@link Slots#direct()}.
     *
     * @return the buffer.
     */
    static AtomicBuffer freeCounters()
    {
        return Slots.direct().buffer();
    }

    private static final class SharedStackHolder
    {
        static final TieredPool POOL;

        static
        {
            POOL = openAttached("pool-shared-stack", TieredPool.section(SHARED_STACK, SLOTS),
                region -> TieredPool.open(region, SHARED_STACK));
        }
    }

    private static final class ThreadCachesHolder
    {
        static final TieredPool POOL;

        static
        {
            POOL = openAttached("pool-thread-caches", TieredPool.section(THREAD_CACHES, SLOTS),
                region -> TieredPool.open(region, THREAD_CACHES));
        }
    }

    private static final class RefHolder
    {
        static final RefSide[] SIDES = new RefSide[SLOTS];
        static final AtomicInteger CURRENT = new AtomicInteger();
        static final ThreadLocal<boolean[]> ENTERED = ThreadLocal.withInitial(() -> new boolean[SLOTS]);

        static
        {
            final Path file = newRegionFile("refcount");
            Region.create(file, RegionConfig.builder().processSlots(SLOTS).watchdogInterval(Duration.ZERO)
                .section(TieredPool.section(REF_POOL, SLOTS))
                .section(RefCounts.section(REF_POOL, REF_CONFIG, SLOTS)).build()).close();
            for (int i = 0; i < SLOTS; i++)
            {
                SIDES[i] = new RefSide(i, Region.open(file, Duration.ZERO));
            }
            Region.delete(file);
        }

        /** Moves new states on from a side that has seen {@link #SIDE_THREADS} threads (up to the last side). */
        static void advance(final int from)
        {
            if (from + 1 < SLOTS)
            {
                CURRENT.compareAndSet(from, from + 1);
            }
        }
    }

    /**
     * One attachment (process slot) of the reference-count region, with its own pool and
     * reference counts: own per-thread pool caches, own per-thread intent cells, own ledger.
     *
     * <p>This class is threadsafe. Call {@link #enter()} before every use of {@link #refs} or
     * {@link #pool} from a thread.
     *
     * <p>Why several: {@link RefCounts} leases an intent cell to each thread that updates a count
     * and never takes it back when the thread dies; past {@code threadsPerProcess} threads, every
     * later thread shares one cell and its updates run one at a time under a lock, so two actors
     * could never race. jcstress starts new threads all the time: about 500 in a quick-mode fork,
     * most of them in its resource estimation (two per trial run, before the measured
     * iterations). So new states move on to the next side once {@link #SIDE_THREADS} threads have
     * used the current one (8 sides: room for about 1,000 threads a JVM), and the actors of the
     * measured iterations get cells of their own. All the references of one block are held by one
     * side (one process slot), as the variants need: a release must come from the slot that holds
     * the reference.
     */
    static final class RefSide
    {
        final int index;
        final Region region;
        final TieredPool pool;
        final RefCounts refs;
        private final AtomicInteger threads = new AtomicInteger();

        RefSide(final int index, final Region region)
        {
            this.index = index;
            this.region = region;
            this.pool = TieredPool.open(region, REF_POOL);
            this.refs = RefCounts.open(region, pool);
            final AtomicBuffer counters = freeCounters();
            final TieredPool blocks = pool;
            refs.onZero(handle -> counters.getAndAddInt((int)blocks.getLong(handle, 0), 1));
            region.attach();
        }

        /** Counts the calling thread in on its first use of this side. */
        void enter()
        {
            final boolean[] entered = RefHolder.ENTERED.get();
            if (!entered[index])
            {
                entered[index] = true;
                if (threads.incrementAndGet() == SIDE_THREADS)
                {
                    RefHolder.advance(index);
                }
            }
        }
    }

    /**
     * A fresh region with one section, {@code SLOTS} process slots and no watchdog, opened,
     * given to {@code module} (which opens what it needs before the attach), attached, and its
     * file deleted at once (the mapping stays).
     *
     * @param kind    a word for the file name.
     * @param section the region's section.
     * @param module  opens the module on the region.
     * @param <T>     the module's type.
     * @return what {@code module} returned.
     */
    static <T> T openAttached(final String kind, final SectionSpec section, final Function<Region, T> module)
    {
        final Path file = newRegionFile(kind);
        Region.create(file, RegionConfig.builder().processSlots(SLOTS).watchdogInterval(Duration.ZERO).section(section)
            .build()).close();
        final Region region = Region.open(file, Duration.ZERO);
        final T opened = module.apply(region);
        region.attach();
        Region.delete(file);
        return opened;
    }

    /**
     * A unique name for a new region in {@code /dev/shm} (or the temporary folder), nothing there
     * yet ({@link Region#create} refuses any existing file, an empty one too), deleted by a
     * shutdown hook if the region is still there then.
     *
     * @param kind a word for the file name.
     * @return the path.
     */
    static Path newRegionFile(final String kind)
    {
        final Path shm = Paths.get("/dev/shm");
        final Path dir = Files.isDirectory(shm) && Files.isWritable(shm) ?
            shm : Paths.get(System.getProperty("java.io.tmpdir"));
        final Path file = dir.resolve("shmtx-stress-" + kind + "-" + UUID.randomUUID() + ".region");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> Region.delete(file), "shmtx-stress-delete-" + kind));
        return file;
    }
}
