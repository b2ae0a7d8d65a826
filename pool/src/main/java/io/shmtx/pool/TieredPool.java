package io.shmtx.pool;

import static io.shmtx.pool.PoolDescriptor.*;

import io.shmtx.region.ProcessTableDescriptor;
import io.shmtx.region.Region;
import io.shmtx.region.RegionDescriptor;
import io.shmtx.region.Section;
import io.shmtx.region.SectionSpec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import org.agrona.UnsafeApi;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Tiered pools of fixed-size blocks inside a region, shared lock-free by every thread of every
 * attached process, addressed by {@link Handles handles}.
 *
 * <p>This class is threadsafe. One instance per process and region attachment; open it with
 * {@link #open(Region)} after the region was created with {@link #section(PoolConfig, int)}.
 *
 * <pre>{@code
 * PoolConfig poolConfig = PoolConfig.defaults();
 * RegionConfig config = RegionConfig.builder().processSlots(16).section(TieredPool.section(poolConfig, 16)).build();
 * try (Region region = Region.openOrCreate(path, config); TieredPool pool = TieredPool.open(region))
 * {
 *     region.attach();
 *     long handle = pool.allocate(48);           // served by the 64-byte tier
 *     pool.putLong(handle, 0, 42L);
 *     pool.free(handle);
 * }
 * }</pre>
 *
 * <h2>Algorithm</h2>
 * Each tier keeps its free blocks in a Treiber stack whose head word holds the top block's index
 * and an ABA tag bumped by every successful CAS; a popper may follow the {@code next} links of
 * blocks it does not own yet because the tag makes its CAS fail if anything changed. A second
 * stack per tier holds the emergency reserve: blocks flagged at creation that go back to it on
 * free, so the reserve never leaks into ordinary use.
 * <p>Each thread has a cache per tier (up to {@code cacheSize} blocks, at most 1/64 of the tier):
 * an allocation pops its cache and writes the block header (owner slot, allocation time); a
 * free CASes the block header from ALLOCATED with the handle's generation to CACHED with the
 * next generation (so a double or stale free fails and changes nothing) and pushes the block on
 * the cache. Only a refill or a drain touches the shared stack, half a cache at a time, with one
 * CAS: the shared counters (outstanding, high-water mark) are updated per batch, and the
 * per-block counters live in the thread's own cell, written without atomics.
 * <p>Hot path: a cache entry carries the block's generation, so an allocation from the cache
 * writes the header without reading it; a free first tries one CAS from the header this process
 * would have written (ALLOCATED, own slot, the handle's generation) without reading it, and only
 * when that fails (another process's or a published block, a reserve block, a bad handle) reads
 * the header, checks it and reports what is wrong. These two paths skip the buffer's bounds
 * checks (they use the region's base address directly): every offset they touch is derived
 * from a tier and an index already checked against the layout validated at open, and every
 * index that enters a thread cache has been range-checked. Everything else goes through the
 * bounds-checked buffer.
 *
 * <h2>Crash safety</h2>
 * A block is FREE only while it is in a stack or moving into or out of one; every such move is
 * announced in the mover's cell (the intent word: operation, tier, first block, count) before
 * its CAS and cleared after the blocks are marked. So after a crash, a block is either owned by
 * a slot (ALLOCATED or CACHED with the owner in its header), published (ALLOCATED, no owner),
 * in a list, or FREE outside every list with the dead process's intent naming it. Recovery of a
 * dead slot locks each tier (a bit in the head words that makes pushes and pops wait, owner in a
 * lock word so a dead recoverer's lock is taken over), walks the lists, returns the dead slot's
 * owned unpublished blocks, and returns every FREE block outside the lists that no live
 * process's intent names. Its walk is a snapshot of the lists that only the lock keeps true, so
 * the lock must exclude every other recovery and validation: the lock word holds the recovery's
 * own token ({@link Region#recoveryToken}, one per claim on a dead slot) and is not re-entrant,
 * so two recoveries exclude each other whether they run in two processes or in two threads of
 * one (and an attached process's validations, which lock in its attachment's name, exclude each
 * other and every recovery). Recovery is idempotent; its cost is a walk of the tier's free lists and
 * a scan of its block headers: O(blocks in the pool), about 1 ns per block here, not proportional
 * to what the dead process held.
 * <p>Invariant at every instruction boundary: each block is exactly one of listed, owned (by a
 * slot), published, or in flight under an intent.
 */
public final class TieredPool implements MemoryStrategy, AutoCloseable
{
    /** The pool module's logger: a tier lock taken over from a holder that is gone (INFO). */
    static final System.Logger LOG = System.getLogger(TieredPool.class.getPackageName());
    private static final long LOCK_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final int MAIN = 0;
    private static final int RESERVE = 1;
    /** The memo when no thread's cache is memoised: an owner id no thread has. */
    private static final long[] NO_MEMO = {-1};
    /** Misses of the memo after which a thread takes it over (see cacheSlowPath). */
    static final int MEMO_HANDOVER = 64;
    private static final int HOT_ADDRESS = 0;
    private static final int HOT_STRIDE = 1;
    private static final int HOT_COUNT = 2;
    /** Hot word: the tier's count-word index in a thread cache's slots, and (high half) the cache capacity. */
    private static final int HOT_CACHE = 3;
    private static final int HOT_WORDS = 4;

    /**
     * Constants read through Agrona's Unsafe, apart so that this class initialises without it: in a
     * JVM without the option Agrona needs, {@link #section} still runs and the region's entry
     * points name the missing option instead of this class failing to initialise.
     */
    private static final class ArrayOffsets
    {
        static final long LONGS = UnsafeApi.arrayBaseOffset(long[].class);
    }

    private final Region region;
    private final Path file;
    private final AtomicBuffer buffer;
    /**
     * The mapping's base address, for the hot path's unchecked access by absolute address (no
     * base object: the JIT then knows those stores cannot touch this object's fields).
     */
    private final long address;
    private final int base;
    private final PoolLayout layout;
    private final int tierCount;
    private final int[] blockSize;
    private final int[] blockCount;
    private final int[] blocks;
    /**
     * Per size bucket ({@link PoolDescriptor#bucket}), the first tier whose blocks hold the
     * bucket's smallest size: where {@link #tierFor} starts looking (one step for power-of-two tiers).
     */
    private final int[] firstTier;
    /**
     * What the hot paths need of a tier, {@link #HOT_WORDS} words per tier (first block's absolute
     * address, stride, block count, thread-cache base and capacity), read without array bounds
     * checks once the tier is known to be in range.
     */
    private final long[] hot;
    private final int[] stride;
    private final int[] tierHeader;
    private final int cellsBase;
    private final int cellSize;
    private final int cellsPerSlot;
    private final int histogramOffset;
    /** Where each tier's count word sits in a thread cache's slots (the same for every cache). */
    private final int[] cacheBase;
    private final boolean strict;
    private final ThreadLocal<ThreadCache> caches = new ThreadLocal<>();
    private final List<ThreadCache> allCaches = new ArrayList<>();
    private final BitSet leasedCells = new BitSet();
    private final ReentrantLock sharedLock = new ReentrantLock();
    private final List<ThresholdListener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicIntegerArray lastLevel;
    private volatile ThreadCache sharedCache;
    /** Last cache handed out: a racy one-entry memo in front of the ThreadLocal (its fields are final, so safe to read). */
    private ThreadCache lastCache;
    /**
     * The slots of the last cache handed out, for the hot paths: racy too, and safe because a
     * thread uses them only when their owner word is its own id (and the array is never replaced).
     */
    private long[] memo = NO_MEMO;
    private volatile int slot = -1;
    private volatile boolean closed;

    private TieredPool(final Region region, final PoolLayout layout, final int base)
    {
        this.region = region;
        this.file = region.file();
        this.buffer = region.buffer();
        if (buffer.byteArray() != null)
        {
            throw new IllegalArgumentException("region " + file + ": a pool needs a mapped region buffer, not a heap array");
        }
        this.address = buffer.addressOffset();
        this.base = base;
        this.layout = layout;
        this.tierCount = layout.tierCount;
        this.blockSize = layout.blockSize;
        this.blockCount = layout.blockCount;
        this.stride = layout.stride;
        this.blocks = new int[tierCount];
        this.hot = new long[tierCount * HOT_WORDS];
        final int[] cacheBases = ThreadCache.bases(layout.magazine);
        this.tierHeader = new int[tierCount];
        for (int t = 0; t < tierCount; t++)
        {
            blocks[t] = (int)(base + layout.blocksOffset[t]);
            hot[t * HOT_WORDS + HOT_ADDRESS] = address + blocks[t];
            hot[t * HOT_WORDS + HOT_STRIDE] = stride[t];
            hot[t * HOT_WORDS + HOT_COUNT] = blockCount[t];
            hot[t * HOT_WORDS + HOT_CACHE] = cacheBases[t] | (long)layout.magazine[t] << 32;
            tierHeader[t] = base + TIER_HEADERS_OFFSET + t * TIER_HEADER_SIZE;
        }
        this.firstTier = new int[Integer.SIZE + 1];
        for (int b = 0; b <= Integer.SIZE; b++)
        {
            final long smallest = b == 0 ? 1 : (1L << (b - 1)) + 1;
            int t = 0;
            while (t < tierCount && blockSize[t] < smallest)
            {
                t++;
            }
            firstTier[b] = t;
        }
        this.cellsBase = base + CELLS_OFFSET;
        this.cellSize = layout.cellSize;
        this.cellsPerSlot = layout.cellsPerSlot;
        this.histogramOffset = PoolDescriptor.cellHistogramOffset(tierCount);
        this.cacheBase = cacheBases;
        this.strict = layout.config.strict();
        this.lastLevel = new AtomicIntegerArray(tierCount);
    }

    // ------------------------------------------------------------------ set-up

    /**
     * The region section a pool with {@code config} needs; add it to the region's configuration.
     * It is formatted (every block linked into its tier's free list) while the region is created.
     *
     * @param config       pool configuration.
     * @param processSlots the region's process slot count (each slot gets thread cells).
     * @throws IllegalArgumentException when {@code processSlots} is outside 1..4096 or config is null.
     * @return the section to pass to {@code RegionConfig.Builder.section}.
     */
    public static SectionSpec section(final PoolConfig config, final int processSlots)
    {
        final PoolLayout layout = new PoolLayout(config, processSlots);
        if (layout.length > RegionDescriptor.MAX_REGION_SIZE)
        {
            throw new IllegalArgumentException("pool needs " + layout.length + " bytes, more than the largest region "
                + RegionDescriptor.MAX_REGION_SIZE);
        }
        return new SectionSpec(SectionSpec.POOL, layout.length, true,
            (buffer, section) -> layout.format(buffer, (int)section.offset()), layout.settings());
    }

    /**
     * Opens the pool of a region and registers its recovery step. Open it before
     * {@link Region#attach()} (which recovers the dead with the steps registered by then);
     * allocating and freeing need the region attached.
     *
     * @param region a region created with {@link #section(PoolConfig, int)}.
     * @return the pool.
     * @throws io.shmtx.region.RegionFormatException when the region has no pool section or it is corrupt.
     * @throws IllegalStateException when the region is attached already.
     */
    public static TieredPool open(final Region region)
    {
        final Section section = region.section(SectionSpec.POOL);
        final PoolLayout layout = PoolLayout.read(region.file(), region.buffer(), (int)section.offset(), section.length(),
            region.processSlots());
        final TieredPool pool = new TieredPool(region, layout, (int)section.offset());
        region.registerRecoveryStep(new PoolRecovery(pool));
        region.registerDetachHook(pool::close);
        region.registerUnmapHook(pool::stopAddressAccess);
        return pool;
    }

    /**
     * Opens the pool once its settings are checked to be those {@code expected} describes (every
     * pool setting is fixed when the region is created: see {@link PoolConfig}).
     *
     * @param region   the region.
     * @param expected the configuration this process was built for.
     * @return the pool.
     * @throws io.shmtx.region.ConfigMismatchException naming every setting that differs, with the
     *                                                 region's value and {@code expected}'s.
     * @throws IllegalStateException when the region is attached already.
     */
    public static TieredPool open(final Region region, final PoolConfig expected)
    {
        if (expected == null)
        {
            throw new IllegalArgumentException("expected=null: a PoolConfig is required");
        }
        region.checkSettings(section(expected, region.processSlots()));
        return open(region);
    }

    // ------------------------------------------------------------------ allocation

    /**
     * Hands out a block of at least {@code size} bytes from the smallest tier that fits, falling
     * back to larger tiers unless strict.
     *
     * @param size requested bytes.
     * @return the handle.
     * @throws PoolExhaustedException naming the tier when no block is left.
     */
    @Override
    public long allocate(final int size)
    {
        return allocate(size, Priority.NORMAL);
    }

    /**
     * Hands out a block; {@link Priority#CRITICAL} may take a tier's emergency reserve.
     *
     * @param size     requested bytes.
     * @param priority request priority.
     * @return the handle.
     * @throws PoolExhaustedException naming the tier when no block is left.
     */
    public long allocate(final int size, final Priority priority)
    {
        final long handle = tryAllocate(size, priority);
        if (handle == Handles.NULL)
        {
            throw exhausted(size, priority);
        }
        return handle;
    }

    private PoolExhaustedException exhausted(final int size, final Priority priority)
    {
        final int tier = tierFor(size);
        return new PoolExhaustedException(file, tier, blockSize[tier], size, strict
            ? "strict mode: no fallback to larger tiers" : "every tier from " + tier + " up is exhausted"
            + (priority == Priority.NORMAL ? " (the emergency reserve needs Priority.CRITICAL)" : ""));
    }

    /**
     * Like {@link #allocate(int)} but returns {@link Handles#NULL} instead of throwing when no
     * block is left: for hot paths that must not throw.
     *
     * @param size requested bytes.
     * @return the handle, or 0.
     */
    public long tryAllocate(final int size)
    {
        return tryAllocate(size, Priority.NORMAL);
    }

    /**
     * Like {@link #allocate(int, Priority)} but returns {@link Handles#NULL} when no block is left.
     *
     * @param size     requested bytes.
     * @param priority request priority.
     * @return the handle, or 0.
     */
    public long tryAllocate(final int size, final Priority priority)
    {
        if (priority == null)
        {
            throw new IllegalArgumentException("region " + file + ": priority=null must be Priority.NORMAL or Priority.CRITICAL");
        }
        final int tier = tierFor(size);
        final long[] m = memo;
        if (m[ThreadCache.OWNER] == Thread.currentThread().getId())
        {
            // this thread's cache, memoised
            final long entry = ThreadCache.pop(m, (int)hot(tier, HOT_CACHE));
            if (entry >= 0)
            {
                return grant((int)m[ThreadCache.SLOT], (int)m[ThreadCache.CELL], tier, ThreadCache.index(entry),
                    ThreadCache.generation(entry), false, size);
            }
        }
        return allocateFromCache(size, tier, priority);
    }

    private long allocateFromCache(final int size, final int tier, final Priority priority)
    {
        final ThreadCache cache = cache();
        final long entry = cache.pop(tier); // the shared cache holds no blocks: its users take the locked path
        if (entry >= 0)
        {
            return grant(cache.slot, cache.cell, tier, ThreadCache.index(entry), ThreadCache.generation(entry), false, size);
        }
        return cache.shared ? allocateShared(cache, size, tier, priority) : allocateWith(cache, size, tier, priority);
    }

    private long allocateShared(final ThreadCache cache, final int size, final int tier, final Priority priority)
    {
        sharedLock.lock();
        try
        {
            return allocateWith(cache, size, tier, priority);
        }
        finally
        {
            sharedLock.unlock();
        }
    }

    /**
     * Allocates a block owned by the caller alone, freed when closed.
     *
     * @param size requested bytes.
     * @return the block.
     */
    public PooledBlock allocateBlock(final int size)
    {
        return new PooledBlock(this, allocate(size));
    }

    private long allocateWith(final ThreadCache cache, final int size, final int tier, final Priority priority)
    {
        final int last = strict ? tier : tierCount - 1;
        for (int t = tier; t <= last; t++)
        {
            final long entry = cache.pop(t);
            final int index = entry >= 0 ? ThreadCache.index(entry) : popChain(cache, t, MAIN, Math.max(1, layout.magazine[t] / 2));
            if (index >= 0)
            {
                if (t != tier)
                {
                    buffer.getAndAddLong(tierHeader[tier] + FALLBACKS_OFFSET, 1);
                }
                return grant(cache, t, index, size);
            }
        }
        if (priority == Priority.CRITICAL)
        {
            for (int t = tier; t <= last; t++)
            {
                final int index = popChain(cache, t, RESERVE, 1);
                if (index >= 0)
                {
                    return grant(cache, t, index, size);
                }
            }
        }
        buffer.getAndAddLong(tierHeader[tier] + FAILURES_OFFSET, 1);
        checkThreshold(tier);
        return Handles.NULL;
    }

    /** Hands a block CACHED by this thread (its header not yet read) to the caller. */
    private long grant(final ThreadCache cache, final int tier, final int index, final int size)
    {
        final long word = buffer.getLong(blocks[tier] + index * stride[tier]); // CACHED by this thread: nobody else writes it
        return grant(cache.slot, cache.cell, tier, index, generation(word), isReserve(word), size);
    }

    /**
     * Hands a block CACHED by this thread with {@code generation} to the caller. Unchecked
     * access: {@code index} is below the tier's validated block count (every index entering a
     * cache is range-checked), and the cell and the time word lie inside the validated region.
     */
    private long grant(final int slot, final int cellOffset, final int tier, final int index, final int generation,
        final boolean reserve, final int size)
    {
        final long header = hot(tier, HOT_ADDRESS) + index * hot(tier, HOT_STRIDE);
        UnsafeApi.putLong(null, header + BLOCK_AUX_OFFSET, UnsafeApi.getLongOpaque(null, address + RegionDescriptor.COARSE_TIME_OFFSET));
        UnsafeApi.putLongRelease(null, header, stateWord(ALLOCATED, slot, generation, reserve));
        final long cell = address + cellOffset;
        final long counters = cell + CELL_COUNTERS_OFFSET + tier * CELL_TIER_COUNTERS_SIZE;
        bump(counters + COUNTER_ALLOCATIONS, 1);
        bump(counters + COUNTER_BYTES_REQUESTED, size);
        bump(cell + histogramOffset + bucket(size) * Long.BYTES, 1);
        return Handles.encode(tier, generation, index);
    }

    /**
     * Single-writer counter in the thread's own cell (an absolute address inside the region):
     * opaque so readers in other processes see whole values.
     */
    private void bump(final long at, final long delta)
    {
        UnsafeApi.putLongOpaque(null, at, UnsafeApi.getLong(null, at) + delta);
    }

    /** Word {@code word} of {@link #hot} for a tier in 0..tierCount-1 (the caller has checked it). */
    private long hot(final int tier, final int word)
    {
        return UnsafeApi.getLong(hot, ArrayOffsets.LONGS + ((long)(tier * HOT_WORDS + word) << 3));
    }

    // ------------------------------------------------------------------ free

    /**
     * Takes back a block.
     *
     * @param handle the block's handle.
     * @throws InvalidHandleException for a null or out-of-range handle, or one with a reserved bit set.
     * @throws StaleHandleException when the block was freed and reused since.
     * @throws DoubleFreeException when the block was already freed through this handle.
     */
    public void free(final long handle)
    {
        final int tier = Handles.tier(handle);
        final int index = Handles.index(handle);
        // also refuses the reserved bits: set, they decode to a tier above 126 or a negative index
        if (tier < 0 || tier >= tierCount || index < 0 || index >= hot(tier, HOT_COUNT))
        {
            throw invalid(handle);
        }
        final long[] m = memo;
        if (m[ThreadCache.OWNER] == Thread.currentThread().getId())
        {
            // the common case in one CAS, without reading first: a block this process allocated, not
            // a reserve block, freed by a thread whose cache is memoised (unchecked access: tier and
            // index were range-checked against the validated layout). Anything else is checked.
            final int slot = (int)m[ThreadCache.SLOT];
            final int generation = Handles.generation(handle);
            final int next = nextGeneration(generation);
            final long cacheWord = hot(tier, HOT_CACHE);
            if (UnsafeApi.compareAndSetLong(null, hot(tier, HOT_ADDRESS) + index * hot(tier, HOT_STRIDE),
                stateWord(ALLOCATED, slot, generation, false), stateWord(CACHED, slot, next, false)))
            {
                bump(address + m[ThreadCache.CELL] + CELL_COUNTERS_OFFSET + tier * CELL_TIER_COUNTERS_SIZE + COUNTER_FREES, 1);
                if (!ThreadCache.push(m, (int)cacheWord, (int)(cacheWord >>> 32), ThreadCache.entry(index, next)))
                {
                    drain(cache(), tier, index);
                }
                return;
            }
        }
        freeChecked(handle, tier, index);
    }

    private void freeChecked(final long handle, final int tier, final int index)
    {
        final int header = blocks[tier] + index * stride[tier];
        final ThreadCache cache = cache();
        final long word = buffer.getLongVolatile(header);
        if (state(word) != ALLOCATED || generation(word) != Handles.generation(handle))
        {
            throw refused(handle, word);
        }
        freeSlowPath(cache, handle, tier, index, header, word);
    }

    private void freeSlowPath(final ThreadCache cache, final long handle, final int tier, final int index, final int header,
        final long word)
    {
        if (!cache.shared)
        {
            freeWith(cache, handle, tier, index, header, word);
            return;
        }
        sharedLock.lock();
        try
        {
            freeWith(cache, handle, tier, index, header, word);
        }
        finally
        {
            sharedLock.unlock();
        }
    }

    @Override
    public void deallocate(final long handle)
    {
        free(handle);
    }

    private void freeWith(final ThreadCache cache, final long handle, final int tier, final int index, final int header, final long word)
    {
        final boolean reserve = isReserve(word);
        final long cached = stateWord(CACHED, cache.slot, nextGeneration(generation(word)), reserve);
        if (!buffer.compareAndSetLong(header, word, cached))
        {
            throw refused(handle, buffer.getLongVolatile(header));
        }
        bump(address + cache.cell + CELL_COUNTERS_OFFSET + tier * CELL_TIER_COUNTERS_SIZE + COUNTER_FREES, 1);
        if (reserve)
        {
            pushOne(cache, tier, RESERVE, index);
        }
        else if (!cache.push(tier, index, generation(cached)))
        {
            drain(cache, tier, index);
        }
    }

    private void drain(final ThreadCache cache, final int tier, final int index)
    {
        final int capacity = cache.capacity(tier);
        if (capacity == 0)
        {
            pushOne(cache, tier, MAIN, index);
            return;
        }
        // push the block just freed with the older half of the cache, keeping the newer half warm
        final int[] chain = cache.takeOldest(tier, capacity / 2);
        chain[chain.length - 1] = index;
        pushChain(cache, tier, MAIN, chain, chain.length);
    }

    private void pushOne(final ThreadCache cache, final int tier, final int list, final int index)
    {
        pushChain(cache, tier, list, new int[] {index}, 1);
    }

    // ------------------------------------------------------------------ the shared stacks

    /**
     * Pops up to {@code n} blocks, returns the first and puts the others in the cache.
     *
     * @return the first block's index, or -1 when the list is empty.
     */
    private int popChain(final ThreadCache cache, final int tier, final int list, final int n)
    {
        if (closed)
        {
            throw new IllegalStateException("pool of region " + file + " is closed");
        }
        final int head = tierHeader[tier] + (list == MAIN ? MAIN_HEAD_OFFSET : RESERVE_HEAD_OFFSET);
        final int intent = cache.cell + CELL_INTENT_OFFSET;
        final int count = blockCount[tier];
        int first;
        int taken;
        while (true)
        {
            final long h = buffer.getLongVolatile(head);
            if (isLocked(h))
            {
                awaitUnlocked(tier, head);
                continue;
            }
            first = headIndex(h);
            if (first == -1)
            {
                return -1;
            }
            if (first < 0 || first >= count) // (a head of index+1 beyond 2^31 reads negative: not "empty")
            {
                throw corrupt(tier, head, h, "a block index below " + count);
            }
            // walk the chain; links of blocks we do not own yet may change under us, the tag catches it
            int last = first;
            taken = 1;
            long next = buffer.getLong(blocks[tier] + first * stride[tier] + BLOCK_AUX_OFFSET);
            while (taken < n && next > 0 && next <= count)
            {
                last = (int)next - 1;
                taken++;
                next = buffer.getLong(blocks[tier] + last * stride[tier] + BLOCK_AUX_OFFSET);
            }
            if (next < 0 || next > count)
            {
                if (buffer.getLongVolatile(head) == h)
                {
                    throw corrupt(tier, blocks[tier] + last * stride[tier] + BLOCK_AUX_OFFSET, next, "0.." + count);
                }
                continue; // a concurrent pop reused a block we walked through: retry
            }
            buffer.putLongOpaque(intent, PoolDescriptor.intent(list == MAIN ? OP_POP_MAIN : OP_POP_RESERVE, tier, taken, first));
            if (buffer.compareAndSetLong(head, h, headWord(h, (int)next - 1)))
            {
                break;
            }
        }
        int current = first;
        for (int i = 0; i < taken; i++)
        {
            if (current < 0 || current >= count) // a link changed after the walk: only a buggy writer does that
            {
                throw corrupt(tier, head, current, "a block index below " + count);
            }
            final int header = blocks[tier] + current * stride[tier];
            final long word = buffer.getLong(header);
            final long next = buffer.getLong(header + BLOCK_AUX_OFFSET);
            if (state(word) != FREE)
            {
                throw new PoolCorruptException(file, "tier[" + tier + "].block[" + current + "].state",
                    String.valueOf(state(word)), "FREE (0) for a block in a free list");
            }
            buffer.putLongRelease(header, stateWord(CACHED, cache.slot, generation(word), isReserve(word)));
            if (i > 0)
            {
                cache.push(tier, current, generation(word));
            }
            current = (int)next - 1;
        }
        if (list == MAIN)
        {
            final long outstanding = buffer.getAndAddLong(tierHeader[tier] + OUTSTANDING_OFFSET, taken) + taken;
            raiseHighWater(tier, outstanding);
        }
        else
        {
            buffer.getAndAddLong(tierHeader[tier] + RESERVE_IN_USE_OFFSET, taken);
        }
        buffer.putLongRelease(intent, 0);
        checkThreshold(tier);
        return first;
    }

    /**
     * Pushes {@code n} blocks owned (CACHED) by this thread onto a list with one CAS.
     */
    private void pushChain(final ThreadCache cache, final int tier, final int list, final int[] chain, final int n)
    {
        final int head = tierHeader[tier] + (list == MAIN ? MAIN_HEAD_OFFSET : RESERVE_HEAD_OFFSET);
        final int intent = cache.cell + CELL_INTENT_OFFSET;
        buffer.putLongOpaque(intent, PoolDescriptor.intent(list == MAIN ? OP_PUSH_MAIN : OP_PUSH_RESERVE, tier, n, chain[0]));
        for (int i = 0; i < n; i++)
        {
            final int header = blocks[tier] + chain[i] * stride[tier];
            if (i + 1 < n)
            {
                buffer.putLong(header + BLOCK_AUX_OFFSET, chain[i + 1] + 1);
            }
            final long word = buffer.getLong(header);
            // release: the intent above is visible to whoever sees the block FREE
            buffer.putLongRelease(header, stateWord(FREE, -1, generation(word), isReserve(word)));
        }
        final int lastAux = blocks[tier] + chain[n - 1] * stride[tier] + BLOCK_AUX_OFFSET;
        while (true)
        {
            final long h = buffer.getLongVolatile(head);
            if (isLocked(h))
            {
                awaitUnlocked(tier, head);
                continue;
            }
            buffer.putLong(lastAux, headIndex(h) + 1);
            if (buffer.compareAndSetLong(head, h, headWord(h, chain[0])))
            {
                break;
            }
        }
        buffer.getAndAddLong(tierHeader[tier] + (list == MAIN ? OUTSTANDING_OFFSET : RESERVE_IN_USE_OFFSET), -n);
        buffer.putLongRelease(intent, 0);
        checkThreshold(tier);
    }

    private void raiseHighWater(final int tier, final long outstanding)
    {
        final int offset = tierHeader[tier] + HIGH_WATER_OFFSET;
        long high = buffer.getLongVolatile(offset);
        while (outstanding > high && !buffer.compareAndSetLong(offset, high, outstanding))
        {
            high = buffer.getLongVolatile(offset);
        }
    }

    private void awaitUnlocked(final int tier, final int head)
    {
        final long deadline = System.nanoTime() + LOCK_WAIT_NANOS;
        long nextCheck = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1);
        int spins = 0;
        while (isLocked(buffer.getLongVolatile(head)))
        {
            if (++spins < 100)
            {
                Thread.onSpinWait();
                continue;
            }
            LockSupport.parkNanos(50_000);
            final long now = System.nanoTime();
            if (now > nextCheck)
            {
                nextCheck = now + TimeUnit.MILLISECONDS.toNanos(1);
                final long holder = buffer.getLongVolatile(tierHeader[tier] + LOCK_WORD_OFFSET);
                // the lock word is taken before the head bits are set and released after they are cleared, so
                // bits with no holder were left by a buggy writer: take the free word and clear them as for a dead one
                if (holder == 0 || region.isOwnerGone(holder))
                {
                    // the recoverer died (or there was none): take its lock word, clear the head bits, release
                    final long mine = region.ownerToken();
                    if (buffer.compareAndSetLong(tierHeader[tier] + LOCK_WORD_OFFSET, holder, mine))
                    {
                        unlockTier(tier);
                    }
                }
            }
            if (now > deadline)
            {
                throw new PoolException(file, "tier " + tier + " has been locked for recovery for more than "
                    + TimeUnit.NANOSECONDS.toSeconds(LOCK_WAIT_NANOS) + " s by lock word 0x"
                    + Long.toHexString(buffer.getLongVolatile(tierHeader[tier] + LOCK_WORD_OFFSET)));
            }
        }
    }

    // ------------------------------------------------------------------ recovery lock

    /**
     * Locks a tier for recovery or validation in the name of {@code token}: an {@link
     * Region#ownerToken()} (validation by an attached process) or a {@link Region#recoveryToken}
     * (recovery of a dead slot). Not re-entrant: a holder that finds its own token in the lock word
     * is another thread of the same attachment (two validations) and waits like anyone else, so the
     * lock excludes threads of one process too. Every recovery has a token of its own (its claim
     * on the dead slot), so recoveries exclude each other wherever they run. A lock word whose
     * holder is gone is taken over. The allocate and free paths never call this.
     *
     * @throws PoolException when the tier stays locked by a live holder for {@link #LOCK_WAIT_NANOS}.
     */
    void lockTier(final int tier, final long token)
    {
        final int lock = tierHeader[tier] + LOCK_WORD_OFFSET;
        final long deadline = System.nanoTime() + LOCK_WAIT_NANOS;
        while (!buffer.compareAndSetLong(lock, 0, token))
        {
            final long holder = buffer.getLongVolatile(lock);
            if (holder != 0 && holder != token && region.isOwnerGone(holder) && buffer.compareAndSetLong(lock, holder, token))
            {
                LOG.log(System.Logger.Level.INFO, () -> "region " + file + ": pool tier " + tier
                    + " was left locked by a recovery or validation that is gone (lock word 0x" + Long.toHexString(holder)
                    + "); taken over");
                break;
            }
            if (System.nanoTime() > deadline)
            {
                throw new PoolException(file, "could not lock tier " + tier + " for recovery within "
                    + TimeUnit.NANOSECONDS.toSeconds(LOCK_WAIT_NANOS) + " s: lock word 0x" + Long.toHexString(holder)
                    + (holder == token ? " (another thread of this attachment)" : ""));
            }
            LockSupport.parkNanos(100_000);
        }
        // only the lock word's holder touches the bits: a bit already set was left by a holder we replaced
        setLockBit(tierHeader[tier] + MAIN_HEAD_OFFSET);
        setLockBit(tierHeader[tier] + RESERVE_HEAD_OFFSET);
    }

    void unlockTier(final int tier)
    {
        clearLockBit(tierHeader[tier] + MAIN_HEAD_OFFSET);
        clearLockBit(tierHeader[tier] + RESERVE_HEAD_OFFSET);
        buffer.putLongRelease(tierHeader[tier] + LOCK_WORD_OFFSET, 0);
    }

    private void setLockBit(final int head)
    {
        long h;
        do
        {
            h = buffer.getLongVolatile(head);
        }
        while (!isLocked(h) && !buffer.compareAndSetLong(head, h, h | HEAD_LOCKED));
    }

    private void clearLockBit(final int head)
    {
        long h;
        do
        {
            h = buffer.getLongVolatile(head);
        }
        while (isLocked(h) && !buffer.compareAndSetLong(head, h, h & ~HEAD_LOCKED));
    }

    // ------------------------------------------------------------------ payload access

    /**
     * Region offset of a block's payload, after checking the handle names a live block.
     *
     * @param handle the block's handle.
     * @return offset in {@link #buffer()}.
     * @throws HandleException when the handle is invalid, stale or freed.
     */
    public int payloadOffset(final long handle)
    {
        return checkedHeader(handle, false) + BLOCK_HEADER_SIZE;
    }

    private int checkedHeader(final long handle, final boolean freeing)
    {
        checkRegionOpen();
        final int tier = Handles.tier(handle);
        final int index = Handles.index(handle);
        if (tier < 0 || tier >= tierCount || index < 0 || index >= blockCount[tier])
        {
            throw invalid(handle);
        }
        final int header = blocks[tier] + index * stride[tier];
        final long word = buffer.getLongVolatile(header);
        if (state(word) != ALLOCATED || generation(word) != Handles.generation(handle))
        {
            throw freeing ? refused(handle, word) : new StaleHandleException(file, handle, "the block is "
                + (state(word) == ALLOCATED ? "generation " + generation(word) + " now (freed and handed out again)" : "free"));
        }
        return header;
    }

    /**
     * Payload size of a handle's tier.
     *
     * @param handle a valid handle.
     * @return bytes.
     */
    public int blockSize(final long handle)
    {
        payloadOffset(handle);
        return blockSize[Handles.tier(handle)];
    }

    /**
     * A view of a block's payload (bounds-checked to the block). Allocates a view object.
     *
     * @param handle the block's handle.
     * @return a buffer over exactly the payload.
     */
    public AtomicBuffer payload(final long handle)
    {
        final int offset = payloadOffset(handle);
        return new UnsafeBuffer(buffer, offset, blockSize[Handles.tier(handle)]);
    }

    private int access(final long handle, final int offset, final int length)
    {
        final int payload = payloadOffset(handle);
        final int size = blockSize[Handles.tier(handle)];
        if (offset < 0 || length < 0 || offset > size - length)
        {
            throw new IndexOutOfBoundsException("region " + file + ": offset=" + offset + " length=" + length
                + " is outside the " + size + "-byte block " + Handles.toString(handle));
        }
        return payload + offset;
    }

    /**
     * Writes a long into a block.
     *
     * @param handle block.
     * @param offset byte offset in the payload.
     * @param value  value.
     */
    public void putLong(final long handle, final int offset, final long value)
    {
        buffer.putLong(access(handle, offset, Long.BYTES), value);
    }

    /**
     * Reads a long from a block.
     *
     * @param handle block.
     * @param offset byte offset in the payload.
     * @return the value.
     */
    public long getLong(final long handle, final int offset)
    {
        return buffer.getLong(access(handle, offset, Long.BYTES));
    }

    /**
     * Writes an int into a block.
     *
     * @param handle block.
     * @param offset byte offset in the payload.
     * @param value  value.
     */
    public void putInt(final long handle, final int offset, final int value)
    {
        buffer.putInt(access(handle, offset, Integer.BYTES), value);
    }

    /**
     * Reads an int from a block.
     *
     * @param handle block.
     * @param offset byte offset in the payload.
     * @return the value.
     */
    public int getInt(final long handle, final int offset)
    {
        return buffer.getInt(access(handle, offset, Integer.BYTES));
    }

    /**
     * Copies bytes into a block.
     *
     * @param handle block.
     * @param offset byte offset in the payload.
     * @param src    source.
     * @param srcOff offset in the source.
     * @param length bytes to copy.
     */
    public void putBytes(final long handle, final int offset, final byte[] src, final int srcOff, final int length)
    {
        buffer.putBytes(access(handle, offset, length), src, srcOff, length);
    }

    /**
     * Copies bytes out of a block.
     *
     * @param handle block.
     * @param offset byte offset in the payload.
     * @param dst    destination.
     * @param dstOff offset in the destination.
     * @param length bytes to copy.
     */
    public void getBytes(final long handle, final int offset, final byte[] dst, final int dstOff, final int length)
    {
        buffer.getBytes(access(handle, offset, length), dst, dstOff, length);
    }

    /**
     * Marks a block as shared: it no longer belongs to this process, so recovery of this process
     * does not free it (whoever holds the handle, or a reference count, frees it).
     *
     * @param handle an allocated block.
     */
    public void publish(final long handle)
    {
        checkRegionOpen();
        while (true)
        {
            final int offset = payloadOffset(handle) - BLOCK_HEADER_SIZE;
            final long word = buffer.getLongVolatile(offset);
            if (owner(word) < 0 || buffer.compareAndSetLong(offset, word,
                stateWord(ALLOCATED, -1, generation(word), isReserve(word))))
            {
                return;
            }
        }
    }

    /**
     * For the recovery steps of modules built on the pool (reference counts): frees a block in
     * the name of the dead slot being recovered, by handing it to that slot; the pool's own
     * recovery step, which runs after every other step of the same recovery, then returns it to
     * its free list with the slot's other blocks. Needs no attachment and no thread cache, and is
     * idempotent: a recoverer that dies after it leaves the block to the dead slot, whose next
     * recovery returns it. Only a published block (or one the dead slot owns already) is taken: a
     * block another live slot owns is not the caller's to free.
     *
     * @param handle   a live block nobody else will free (its last reference was the dead slot's).
     * @param deadSlot the slot this process is recovering.
     * @return whether the block now belongs to {@code deadSlot}; {@code false} when the handle is
     *         stale (freed or reused) or the block is owned by another slot.
     * @throws IllegalStateException when this process is not recovering {@code deadSlot}.
     * @throws InvalidHandleException for a handle that names no block.
     */
    public boolean freeInRecovery(final long handle, final int deadSlot)
    {
        checkRegionOpen();
        region.recoveryToken(deadSlot); // refuses a caller that holds no claim on the slot
        final int tier = Handles.tier(handle);
        final int index = Handles.index(handle);
        if (tier < 0 || tier >= tierCount || index < 0 || index >= blockCount[tier])
        {
            throw invalid(handle);
        }
        final int header = blocks[tier] + index * stride[tier];
        while (true)
        {
            final long word = buffer.getLongVolatile(header);
            if (state(word) != ALLOCATED || generation(word) != Handles.generation(handle)
                || (owner(word) >= 0 && owner(word) != deadSlot))
            {
                return false;
            }
            if (owner(word) == deadSlot
                || buffer.compareAndSetLong(header, word, stateWord(ALLOCATED, deadSlot, generation(word), isReserve(word))))
            {
                return true;
            }
        }
    }

    /**
     * Whether {@code handle} names a block that is allocated now with the handle's generation.
     * Never throws for a bad handle.
     *
     * @param handle any value.
     * @return {@code true} for a live handle.
     */
    public boolean isLive(final long handle)
    {
        checkRegionOpen();
        final int tier = Handles.tier(handle);
        final int index = Handles.index(handle);
        if (tier < 0 || tier >= tierCount || index < 0 || index >= blockCount[tier])
        {
            return false;
        }
        final long word = buffer.getLongVolatile(blocks[tier] + index * stride[tier]);
        return state(word) == ALLOCATED && generation(word) == Handles.generation(handle);
    }

    /**
     * Blocks in a tier.
     *
     * @param tier tier index.
     * @return block count.
     */
    public int blockCount(final int tier)
    {
        if (tier < 0 || tier >= tierCount)
        {
            throw new IllegalArgumentException("region " + file + ": tier=" + tier + " is out of range 0.." + (tierCount - 1));
        }
        return blockCount[tier];
    }

    /** Reads and writes of the region after it was closed would hit a dead buffer: refuse them by name. */
    private void checkRegionOpen()
    {
        if (region.isClosed())
        {
            throw new IllegalStateException("region " + file + " is closed: its pool can no longer be used");
        }
    }

    /**
     * The slot that owns an allocated block.
     *
     * @param handle the block's handle.
     * @return owner slot, or -1 when published.
     */
    public int ownerSlot(final long handle)
    {
        return owner(buffer.getLongVolatile(payloadOffset(handle) - BLOCK_HEADER_SIZE));
    }

    /**
     * The whole region buffer; address payloads with {@link #payloadOffset(long)}.
     *
     * @return the buffer.
     */
    public AtomicBuffer buffer()
    {
        checkRegionOpen();
        return buffer;
    }

    // ------------------------------------------------------------------ checks

    @Override
    public void checkAllocation(final int size)
    {
        tierFor(size);
    }

    @Override
    public void checkDeallocation(final long handle)
    {
        checkedHeader(handle, true);
    }

    int tierFor(final int size)
    {
        if (size <= 0)
        {
            throw new IllegalArgumentException("region " + file + ": size=" + size + " must be positive");
        }
        for (int t = firstTier[bucket(size)]; t < tierCount; t++)
        {
            if (size <= blockSize[t])
            {
                return t;
            }
        }
        throw new IllegalArgumentException("region " + file + ": size=" + size + " is larger than the largest block ("
            + blockSize[tierCount - 1] + " bytes)");
    }

    private HandleException invalid(final long handle)
    {
        if (handle == Handles.NULL)
        {
            return new InvalidHandleException(file, handle, "the null handle names no block");
        }
        if ((handle & Handles.RESERVED_BITS) != 0)
        {
            return new InvalidHandleException(file, handle, "its reserved bit 63 is set (0 in every handle)");
        }
        final int tier = Handles.tier(handle);
        if (tier < 0 || tier >= tierCount)
        {
            return new InvalidHandleException(file, handle, "tier " + tier + " is out of range 0.." + (tierCount - 1));
        }
        return new InvalidHandleException(file, handle, "index " + Handles.index(handle) + " is out of range 0.."
            + (blockCount[tier] - 1) + " of tier " + tier);
    }

    private RuntimeException refused(final long handle, final long word)
    {
        final int generation = Handles.generation(handle);
        final int state = state(word);
        if (state > CACHED)
        {
            return new PoolCorruptException(file, "block " + Handles.toString(handle) + ".state", String.valueOf(state), "0, 1 or 2");
        }
        if (state != ALLOCATED && generation(word) == nextGeneration(generation))
        {
            return new DoubleFreeException(file, handle, "the block was already freed");
        }
        return new StaleHandleException(file, handle, "the block is now generation " + generation(word)
            + (state == ALLOCATED ? " (freed and handed out again)" : " (freed)"));
    }

    private PoolCorruptException corrupt(final int tier, final int offset, final long found, final String required)
    {
        return new PoolCorruptException(file, "tier[" + tier + "] word at offset " + offset, "0x" + Long.toHexString(found), required);
    }

    // ------------------------------------------------------------------ thread caches

    private ThreadCache cache()
    {
        final ThreadCache cache = lastCache;
        // no check of closed here (a volatile read on every call): stopAddressAccess() clears the memo and
        // the slow path checks, so a closed pool never reaches the unchecked accesses
        if (cache != null && cache.owner == Thread.currentThread())
        {
            return cache;
        }
        return cacheSlowPath();
    }

    /**
     * Closed, or the region is being given up (closed or abandoned): no access by address
     * from now on, as every hot path starts at a memo.
     */
    private void stopAddressAccess()
    {
        closed = true;
        lastCache = null;
        memo = NO_MEMO;
    }

    private ThreadCache cacheSlowPath()
    {
        if (closed)
        {
            throw new IllegalStateException("pool of region " + file + " is closed");
        }
        ThreadCache cache = caches.get();
        if (cache == null)
        {
            cache = newCache();
        }
        // the memo is shared by every thread: taking it on every miss would make two busy threads write
        // it in turn on every operation (its cache line bouncing between cores); a thread takes it
        // when nobody has it, or after MEMO_HANDOVER misses, e.g. from a thread that stopped allocating
        if (lastCache == null || ++cache.memoMisses >= MEMO_HANDOVER)
        {
            cache.memoMisses = 0;
            lastCache = cache;
            memo = cache.slots;
            if (closed) // closed meanwhile: do not leave a memo that stopAddressAccess() has already cleared
            {
                lastCache = null;
                memo = NO_MEMO;
                throw new IllegalStateException("pool of region " + file + " is closed");
            }
        }
        return cache;
    }

    private synchronized ThreadCache newCache()
    {
        if (closed)
        {
            throw new IllegalStateException("pool of region " + file + " is closed");
        }
        final int mine = region.slot();
        if (mine < 0)
        {
            throw new IllegalStateException("region " + file + ": attach() before allocating or freeing");
        }
        if (slot < 0)
        {
            slot = mine;
        }
        else if (slot != mine)
        {
            throw new IllegalStateException("region " + file + ": the pool was used as slot " + slot
                + " and the region is now attached as slot " + mine + "; open a new pool");
        }
        int cell = leasedCells.nextClearBit(0);
        if (cell >= cellsPerSlot - 1)
        {
            sweepDeadThreads();
            cell = leasedCells.nextClearBit(0);
        }
        final ThreadCache cache;
        if (cell < cellsPerSlot - 1)
        {
            leasedCells.set(cell);
            cache = new ThreadCache(Thread.currentThread(), mine, cell, cellOffset(mine, cell), false, cacheBase, layout.magazine);
            allCaches.add(cache);
        }
        else
        {
            if (sharedCache == null)
            {
                sharedCache = new ThreadCache(Thread.currentThread(), mine, cellsPerSlot - 1,
                    cellOffset(mine, cellsPerSlot - 1), true, cacheBase, layout.magazine);
            }
            cache = sharedCache;
        }
        caches.set(cache);
        return cache;
    }

    private void sweepDeadThreads()
    {
        for (int i = allCaches.size() - 1; i >= 0; i--)
        {
            final ThreadCache cache = allCaches.get(i);
            if (cache.threadIsDead())
            {
                drainAll(cache);
                leasedCells.clear(cache.cellIndex);
                allCaches.remove(i);
            }
        }
    }

    private void drainAll(final ThreadCache cache)
    {
        for (int t = 0; t < tierCount; t++)
        {
            if (cache.size(t) > 0)
            {
                final int[] chain = cache.takeOldest(t, Integer.MAX_VALUE);
                if (chain.length > 1)
                {
                    pushChain(cache, t, MAIN, chain, chain.length - 1);
                }
            }
        }
    }

    int cellOffset(final int processSlot, final int cell)
    {
        return cellsBase + (processSlot * cellsPerSlot + cell) * cellSize;
    }

    /**
     * Adds the counters of every cell of {@code processSlot} to the tiers' retired counters and
     * zeroes the cells. Called at close (own slot) and by recovery (dead slot).
     */
    void retireCells(final int processSlot)
    {
        for (int c = 0; c < cellsPerSlot; c++)
        {
            final int cell = cellOffset(processSlot, c);
            for (int t = 0; t < tierCount; t++)
            {
                final int counters = cell + CELL_COUNTERS_OFFSET + t * CELL_TIER_COUNTERS_SIZE;
                final long allocations = buffer.getLongVolatile(counters + COUNTER_ALLOCATIONS);
                if (allocations != 0)
                {
                    buffer.getAndAddLong(tierHeader[t] + RETIRED_BYTES_GRANTED_OFFSET, allocations * blockSize[t]);
                }
                retire(counters + COUNTER_ALLOCATIONS, tierHeader[t] + RETIRED_ALLOCATIONS_OFFSET);
                retire(counters + COUNTER_FREES, tierHeader[t] + RETIRED_FREES_OFFSET);
                retire(counters + COUNTER_BYTES_REQUESTED, tierHeader[t] + RETIRED_BYTES_REQUESTED_OFFSET);
            }
            for (int b = 0; b < HISTOGRAM_BUCKETS; b++)
            {
                retire(cell + histogramOffset + b * Long.BYTES, base + RETIRED_HISTOGRAM_OFFSET + b * Long.BYTES);
            }
            buffer.putLongRelease(cell + CELL_INTENT_OFFSET, 0);
        }
    }

    private void retire(final int counter, final int total)
    {
        final long value = buffer.getLongVolatile(counter);
        if (value != 0)
        {
            buffer.getAndAddLong(total, value);
            buffer.putLongVolatile(counter, 0);
        }
    }

    // ------------------------------------------------------------------ thresholds and statistics

    /**
     * Adds a listener of threshold crossings.
     *
     * @param listener the listener.
     */
    public void addThresholdListener(final ThresholdListener listener)
    {
        if (listener == null)
        {
            throw new IllegalArgumentException("listener=null");
        }
        listeners.add(listener);
    }

    private void checkThreshold(final int tier)
    {
        if (listeners.isEmpty())
        {
            return;
        }
        final int percent = utilisationPercent(tier);
        final UsageLevel level = percent >= layout.config.criticalThresholdPercent() ? UsageLevel.CRITICAL
            : percent >= layout.config.lowThresholdPercent() ? UsageLevel.LOW : UsageLevel.NORMAL;
        final int previous = lastLevel.get(tier);
        if (previous != level.ordinal() && lastLevel.compareAndSet(tier, previous, level.ordinal()))
        {
            for (final ThresholdListener listener : listeners)
            {
                listener.onThreshold(tier, blockSize[tier], UsageLevel.values()[previous], level, percent);
            }
        }
    }

    private int utilisationPercent(final int tier)
    {
        final long used = Math.max(0, buffer.getLongVolatile(tierHeader[tier] + OUTSTANDING_OFFSET))
            + Math.max(0, buffer.getLongVolatile(tierHeader[tier] + RESERVE_IN_USE_OFFSET));
        return (int)Math.min(100, used * 100 / blockCount[tier]);
    }

    /**
     * Statistics summed over every process; also checks thresholds.
     *
     * @return a snapshot.
     */
    public PoolStats stats()
    {
        checkRegionOpen();
        final List<TierStats> tiers = new ArrayList<>(tierCount);
        final long[] histogram = new long[HISTOGRAM_BUCKETS];
        for (int b = 0; b < HISTOGRAM_BUCKETS; b++)
        {
            histogram[b] = buffer.getLongVolatile(base + RETIRED_HISTOGRAM_OFFSET + b * Long.BYTES);
        }
        final int slots = region.processSlots();
        for (int t = 0; t < tierCount; t++)
        {
            final int h = tierHeader[t];
            long allocations = buffer.getLongVolatile(h + RETIRED_ALLOCATIONS_OFFSET);
            long frees = buffer.getLongVolatile(h + RETIRED_FREES_OFFSET);
            long requested = buffer.getLongVolatile(h + RETIRED_BYTES_REQUESTED_OFFSET);
            long granted = buffer.getLongVolatile(h + RETIRED_BYTES_GRANTED_OFFSET);
            for (int s = 0; s < slots; s++)
            {
                for (int c = 0; c < cellsPerSlot; c++)
                {
                    final int counters = cellOffset(s, c) + CELL_COUNTERS_OFFSET + t * CELL_TIER_COUNTERS_SIZE;
                    allocations += buffer.getLongOpaque(counters + COUNTER_ALLOCATIONS);
                    frees += buffer.getLongOpaque(counters + COUNTER_FREES);
                    requested += buffer.getLongOpaque(counters + COUNTER_BYTES_REQUESTED);
                    granted += buffer.getLongOpaque(counters + COUNTER_ALLOCATIONS) * blockSize[t]; // every grant is one block
                }
            }
            final long outstanding = buffer.getLongVolatile(h + OUTSTANDING_OFFSET) + buffer.getLongVolatile(h + RESERVE_IN_USE_OFFSET);
            tiers.add(new TierStats(t, blockSize[t], blockCount[t], layout.reserve[t], allocations - frees, outstanding,
                buffer.getLongVolatile(h + HIGH_WATER_OFFSET), allocations, frees,
                buffer.getLongVolatile(h + FAILURES_OFFSET), buffer.getLongVolatile(h + FALLBACKS_OFFSET), requested, granted));
            checkThreshold(t);
        }
        for (int s = 0; s < slots; s++)
        {
            for (int c = 0; c < cellsPerSlot; c++)
            {
                for (int b = 0; b < HISTOGRAM_BUCKETS; b++)
                {
                    histogram[b] += buffer.getLongOpaque(cellOffset(s, c) + histogramOffset + b * Long.BYTES);
                }
            }
        }
        return new PoolStats(tiers, histogram);
    }

    /**
     * Allocations minus frees of a tier, summed over every cell and the retired totals.
     */
    long countedInUse(final int tier)
    {
        final int h = tierHeader[tier];
        long inUse = buffer.getLongVolatile(h + RETIRED_ALLOCATIONS_OFFSET) - buffer.getLongVolatile(h + RETIRED_FREES_OFFSET);
        for (int s = 0; s < region.processSlots(); s++)
        {
            for (int c = 0; c < cellsPerSlot; c++)
            {
                final int counters = cellOffset(s, c) + CELL_COUNTERS_OFFSET + tier * CELL_TIER_COUNTERS_SIZE;
                inUse += buffer.getLongOpaque(counters + COUNTER_ALLOCATIONS) - buffer.getLongOpaque(counters + COUNTER_FREES);
            }
        }
        return inUse;
    }

    /**
     * Blocks allocated by a process and held longer than {@code minAgeMillis}, oldest first.
     * Scans every block header: O(blocks).
     *
     * @param minAgeMillis age threshold.
     * @return the leak report.
     */
    public List<LeakEntry> leakReport(final long minAgeMillis)
    {
        checkRegionOpen();
        final long now = region.coarseMillis();
        final List<LeakEntry> result = new ArrayList<>();
        for (int t = 0; t < tierCount; t++)
        {
            for (int i = 0; i < blockCount[t]; i++)
            {
                final int header = blocks[t] + i * stride[t];
                final long word = buffer.getLongVolatile(header);
                final int owner = owner(word);
                if (state(word) == ALLOCATED && owner >= 0 && owner < region.processSlots())
                {
                    final long age = now - buffer.getLong(header + BLOCK_AUX_OFFSET);
                    if (age >= minAgeMillis)
                    {
                        final long pid = buffer.getLong((int)region.section(SectionSpec.PROCESS_TABLE).offset()
                            + owner * ProcessTableDescriptor.SLOT_SIZE + ProcessTableDescriptor.PID_OFFSET);
                        result.add(new LeakEntry(Handles.encode(t, generation(word), i), owner, pid, age, blockSize[t]));
                    }
                }
            }
        }
        result.sort((a, b) -> Long.compare(b.ageMillis(), a.ageMillis()));
        return result;
    }

    /**
     * A text report of request sizes against the tiers: the size histogram and, per tier, how
     * well requests fit (fragmentation, fallbacks, failures).
     *
     * @return multi-line text.
     */
    public String patternsReport()
    {
        final PoolStats stats = stats();
        final StringBuilder out = new StringBuilder("request sizes:\n");
        final long[] histogram = stats.histogram();
        for (int b = 0; b < histogram.length; b++)
        {
            if (histogram[b] != 0)
            {
                out.append(String.format(java.util.Locale.ROOT, "  <= %10d B : %d%n", 1L << b, histogram[b]));
            }
        }
        out.append("tier fit:\n");
        for (final TierStats t : stats.tiers())
        {
            out.append(String.format(java.util.Locale.ROOT, "  tier %2d %8d B: allocations=%d fragmentation=%.1f%% fallbacks=%d failures=%d%n",
                t.tier(), t.blockSize(), t.allocations(), 100 * t.fragmentation(), t.fallbacks(), t.failures()));
        }
        return out.toString();
    }

    @Override
    public StrategyStatus status()
    {
        checkRegionOpen();
        StrategyStatus status = StrategyStatus.HEALTHY;
        for (int t = 0; t < tierCount; t++)
        {
            final long ordinary = blockCount[t] - layout.reserve[t];
            if (buffer.getLongVolatile(tierHeader[t] + OUTSTANDING_OFFSET) >= ordinary)
            {
                return StrategyStatus.EXHAUSTED;
            }
            if (utilisationPercent(t) >= layout.config.criticalThresholdPercent()
                || buffer.getLongVolatile(tierHeader[t] + FAILURES_OFFSET) > 0)
            {
                status = StrategyStatus.DEGRADED;
            }
        }
        return status;
    }

    /**
     * {@inheritDoc}
     * <p>Needs no attachment. An attached process locks each tier in turn in its attachment's
     * name (pushes and pops on that tier wait meanwhile); one that is not attached (it has no name
     * others could check, so it takes no lock) reads each tier unlocked and keeps a reading only
     * when the tier's list heads did not change during it, retrying a bounded number of times: a
     * tier that never stays still is named as not validated.
     *
     * @return what was found.
     */
    @Override
    public ValidationReport validate()
    {
        checkRegionOpen();
        return PoolRecovery.validate(this);
    }

    // ------------------------------------------------------------------ accessors for recovery and validation

    Region region()
    {
        return region;
    }

    Path file()
    {
        return file;
    }

    PoolLayout layout()
    {
        return layout;
    }

    int blockHeader(final int tier, final int index)
    {
        return blocks[tier] + index * stride[tier];
    }

    int tierHeader(final int tier)
    {
        return tierHeader[tier];
    }

    int cellsPerSlot()
    {
        return cellsPerSlot;
    }

    /**
     * The configuration stored in the region.
     *
     * @return the configuration.
     */
    public PoolConfig config()
    {
        return layout.config;
    }

    /**
     * Number of tiers.
     *
     * @return tier count.
     */
    public int tierCount()
    {
        return tierCount;
    }

    /**
     * Returns every block this process holds in thread caches to the shared lists, retires this
     * process's counters into the shared totals, and stops using the region. Does not close the
     * region; {@link Region#close()} calls it. Idempotent.
     * <p>Call it when no other thread uses the pool: every operation that starts afterwards throws
     * {@link IllegalStateException}, but one already under way in another thread races the
     * draining of its cache and may leave a block cached by this process (it then shows in
     * {@link #leakReport(long)}). Such a race never crashes the JVM (the region stays mapped until
     * nothing refers to it).
     */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        stopAddressAccess(); // first: operations that start from now on take the checked path and are refused
        if (slot >= 0 && region.slot() == slot)
        {
            for (final ThreadCache cache : allCaches)
            {
                drainAll(cache);
            }
            retireCells(slot);
        }
        allCaches.clear();
        leasedCells.clear();
    }

    @Override
    public String toString()
    {
        return "TieredPool{" + file + ", " + tierCount + " tiers" + (closed ? ", closed" : "") + "}";
    }
}
