package io.shmtx.pool;

import static io.shmtx.pool.PoolDescriptor.*;

import io.shmtx.region.DeadProcess;
import io.shmtx.region.ProcessTableDescriptor;
import io.shmtx.region.RecoveryStep;
import io.shmtx.region.Region;
import io.shmtx.region.SectionSpec;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.AtomicBuffer;

/**
 * The pool's recovery step (step 4 of the fixed order in docs/ARCHITECTURE.md: return blocks a dead process owned and never
 * published) and its validation walk. Both lock one tier at a time; see {@link TieredPool} for
 * the invariant they rely on.
 * <p>Concurrent recoveries. A recovery locks each tier in the name of its claim on the dead slot
 * ({@link Region#recoveryToken}), so any two recoveries, in one process or two, hold a tier's lock
 * in turn: the listing each takes under the lock stays true while it pushes blocks, and no block is
 * pushed twice. A recovery leaves the in-flight blocks named by the intents of another slot under
 * recovery (that slot's recoverer returns them) and does not wait for such a slot's intents to
 * settle (its process is dead: they never change until its recoverer clears them), so two
 * recoveries at once neither take each other's blocks nor leave the counters approximate.
 * Everything a recovery does is idempotent: a block it returned is FREE and listed, and a
 * recoverer that dies leaves the tier's lock word to be taken over and the slot to be recovered
 * again.
 */
final class PoolRecovery implements RecoveryStep
{
    private static final long SETTLE_NANOS = 1_000_000_000L;
    /** Readings a validation outside the tier lock makes before it gives the tier up as too busy. */
    private static final int QUIET_ATTEMPTS = 100;

    private final TieredPool pool;

    PoolRecovery(final TieredPool pool)
    {
        this.pool = pool;
    }

    @Override
    public String name()
    {
        return "pool: return owned and in-flight blocks";
    }

    @Override
    public int order()
    {
        return 4;
    }

    @Override
    public int sectionId()
    {
        return SectionSpec.POOL;
    }

    /**
     * Returns the blocks {@code dead} owned and the blocks left in flight, tier by tier, each tier
     * locked in the name of this recovery's claim ({@link Region#recoveryToken}): needs no
     * attachment, and excludes every other recovery and validation, in this process or another.
     */
    @Override
    public String recover(final Region region, final DeadProcess dead)
    {
        final long token = region.recoveryToken(dead.slot());
        final AtomicBuffer buffer = pool.buffer();
        final BitSet live = liveSlots(region, dead.slot());
        int owned = 0;
        int inFlight = 0;
        boolean approximate = false;
        for (int t = 0; t < pool.tierCount(); t++)
        {
            final int count = pool.layout().blockCount[t];
            pool.lockTier(t, token);
            try
            {
                final Listing listing = new Listing(pool, t, null);
                final List<Integer> candidates = new ArrayList<>();
                int recoveredAllocated = 0;
                for (int i = 0; i < count; i++)
                {
                    final int header = pool.blockHeader(t, i);
                    final long word = buffer.getLongVolatile(header);
                    final int state = state(word);
                    if (owner(word) == dead.slot() && (state == ALLOCATED || state == CACHED))
                    {
                        final int generation = state == ALLOCATED ? nextGeneration(generation(word)) : generation(word);
                        if (buffer.compareAndSetLong(header, word, stateWord(FREE, -1, generation, isReserve(word))))
                        {
                            pushLocked(t, i, isReserve(word), listing);
                            owned++;
                            if (state == ALLOCATED)
                            {
                                recoveredAllocated++;
                            }
                        }
                    }
                    else if (state == FREE && !listing.listed(i))
                    {
                        candidates.add(i);
                    }
                }
                if (!candidates.isEmpty())
                {
                    final BitSet named = named(region, t, live);
                    for (final int i : candidates)
                    {
                        final long word = buffer.getLongVolatile(pool.blockHeader(t, i));
                        if (!named.get(i) && state(word) == FREE && !listing.listed(i))
                        {
                            pushLocked(t, i, isReserve(word), listing);
                            inFlight++;
                        }
                    }
                }
                // the blocks it held allocated are freed now: counted as frees
                buffer.getAndAddLong(pool.tierHeader(t) + RETIRED_FREES_OFFSET, recoveredAllocated);
                // it may also have died between a block's state change and its counter bump (at most one such
                // block per thread): make allocations - frees equal the blocks allocated, but only from a quiet
                // reading; live threads pass through the same window all the time, and a correction read while
                // one is in it would be wrong for good
                if (!correctWindows(pool, t))
                {
                    approximate = true;
                }
                if (settle(pool, t, live, listing))
                {
                    final int reserve = pool.layout().reserve[t];
                    buffer.putLongVolatile(pool.tierHeader(t) + OUTSTANDING_OFFSET, (count - reserve) - listing.mainCount);
                    buffer.putLongVolatile(pool.tierHeader(t) + RESERVE_IN_USE_OFFSET, reserve - listing.reserveCount);
                }
                else
                {
                    approximate = true;
                }
            }
            finally
            {
                pool.unlockTier(t);
            }
        }
        pool.retireCells(dead.slot());
        return "returned " + owned + " owned and " + inFlight + " in-flight blocks"
            + (approximate ? "; counters left approximate (a live process stayed mid-operation)" : "");
    }

    /**
     * Sets allocations - frees to the blocks allocated when two readings of the counters around a
     * scan of the headers agree (no live operation completed meanwhile); otherwise leaves them.
     *
     * @return whether the counters were read quietly (and are now exact).
     */
    private static boolean correctWindows(final TieredPool pool, final int tier)
    {
        final AtomicBuffer buffer = pool.buffer();
        for (int attempt = 0; attempt < 3; attempt++)
        {
            final long before = pool.countedInUse(tier);
            int allocated = 0;
            for (int i = 0; i < pool.layout().blockCount[tier]; i++)
            {
                if (state(buffer.getLongVolatile(pool.blockHeader(tier, i))) == ALLOCATED)
                {
                    allocated++;
                }
            }
            if (pool.countedInUse(tier) == before)
            {
                if (before != allocated)
                {
                    buffer.getAndAddLong(pool.tierHeader(tier) + RETIRED_FREES_OFFSET, before - allocated);
                }
                return true;
            }
        }
        return false;
    }

    private void pushLocked(final int tier, final int index, final boolean reserve, final Listing listing)
    {
        final AtomicBuffer buffer = pool.buffer();
        final int head = pool.tierHeader(tier) + (reserve ? RESERVE_HEAD_OFFSET : MAIN_HEAD_OFFSET);
        final int aux = pool.blockHeader(tier, index) + BLOCK_AUX_OFFSET;
        while (true)
        {
            final long h = buffer.getLongVolatile(head);
            buffer.putLong(aux, headIndex(h) + 1);
            if (buffer.compareAndSetLong(head, h, headWord(h, index)))
            {
                break;
            }
        }
        listing.add(index, reserve);
    }

    /**
     * Waits (bounded) until no process of {@code slots} is between a CAS on the tier's lists and
     * the counter update that follows it: a pop whose first block has left the list, or a push
     * whose first block is in it, with the intent still set. The tier is locked, so no new CAS
     * starts meanwhile; intents are read before the caller reads the counters. A slot being
     * recovered is not waited for: its process is dead and its intents change no more (its
     * recoverer returns what they name and recounts, under this same lock).
     *
     * @return true when settled, false when a process stayed mid-operation (stopped or dead).
     */
    private static boolean settle(final TieredPool pool, final int tier, final BitSet live, final Listing listing)
    {
        final long deadline = System.nanoTime() + SETTLE_NANOS;
        while (true)
        {
            boolean settled = true;
            for (int s = live.nextSetBit(0); s >= 0 && settled; s = live.nextSetBit(s + 1))
            {
                settled = !midOperation(pool, tier, s, listing);
            }
            if (settled)
            {
                return true;
            }
            if (System.nanoTime() > deadline)
            {
                return false;
            }
            Thread.yield();
        }
    }

    /** Whether a cell of slot {@code s}, not being recovered, has popped or pushed on the tier without counting it yet. */
    private static boolean midOperation(final TieredPool pool, final int tier, final int s, final Listing listing)
    {
        for (int c = 0; c < pool.cellsPerSlot(); c++)
        {
            final long intent = pool.buffer().getLongVolatile(pool.cellOffset(s, c) + CELL_INTENT_OFFSET);
            final int op = intentOp(intent);
            if (op == OP_NONE || intentTier(intent) != tier)
            {
                continue;
            }
            final int first = intentFirst(intent);
            final boolean popping = op == OP_POP_MAIN || op == OP_POP_RESERVE;
            if (first >= 0 && first < pool.layout().blockCount[tier] && popping != listing.listed(first)
                && ProcessTableDescriptor.state(pool.region().slotStateWord(s)) != ProcessTableDescriptor.STATE_RECOVERING)
            {
                return true; // popped but not counted yet, or pushed but not counted yet
            }
        }
        return false;
    }

    /**
     * Blocks of {@code tier} named by the intents of the given slots' cells.
     */
    private static BitSet named(final Region region, final TieredPool pool, final int tier, final BitSet slots)
    {
        final BitSet named = new BitSet();
        final AtomicBuffer buffer = pool.buffer();
        final int count = pool.layout().blockCount[tier];
        for (int s = slots.nextSetBit(0); s >= 0; s = slots.nextSetBit(s + 1))
        {
            for (int c = 0; c < pool.cellsPerSlot(); c++)
            {
                final long intent = buffer.getLongVolatile(pool.cellOffset(s, c) + CELL_INTENT_OFFSET);
                if (intentOp(intent) == OP_NONE || intentTier(intent) != tier)
                {
                    continue;
                }
                int index = intentFirst(intent);
                for (int k = 0; k < intentCount(intent) && index >= 0 && index < count; k++)
                {
                    named.set(index);
                    index = (int)buffer.getLong(pool.blockHeader(tier, index) + BLOCK_AUX_OFFSET) - 1;
                }
            }
        }
        return named;
    }

    private BitSet named(final Region region, final int tier, final BitSet live)
    {
        return named(region, pool, tier, live);
    }

    /**
     * Slots other than {@code dead} whose process is alive or being recovered (lock byte held):
     * their intents name blocks that are theirs, or their recoverer's, to put back.
     */
    private static BitSet liveSlots(final Region region, final int dead)
    {
        final BitSet live = new BitSet();
        for (int s = 0; s < region.processSlots(); s++)
        {
            final int state = ProcessTableDescriptor.state(region.slotStateWord(s));
            if (s != dead && state != ProcessTableDescriptor.STATE_FREE && region.isAlive(s))
            {
                live.set(s);
            }
        }
        return live;
    }

    /**
     * The free lists of one tier, walked with the tier locked (or, by a validation outside the
     * lock, while its heads do not change).
     */
    static final class Listing
    {
        final BitSet main = new BitSet();
        final BitSet reserve = new BitSet();
        int mainCount;
        int reserveCount;

        Listing(final TieredPool pool, final int tier, final List<String> problems)
        {
            mainCount = walk(pool, tier, MAIN_HEAD_OFFSET, main, "main", problems);
            reserveCount = walk(pool, tier, RESERVE_HEAD_OFFSET, reserve, "reserve", problems);
        }

        boolean listed(final int index)
        {
            return main.get(index) || reserve.get(index);
        }

        void add(final int index, final boolean inReserve)
        {
            if (inReserve)
            {
                reserve.set(index);
                reserveCount++;
            }
            else
            {
                main.set(index);
                mainCount++;
            }
        }

        private int walk(final TieredPool pool, final int tier, final int headOffset, final BitSet set, final String name,
            final List<String> problems)
        {
            final AtomicBuffer buffer = pool.buffer();
            final int count = pool.layout().blockCount[tier];
            int index = headIndex(buffer.getLongVolatile(pool.tierHeader(tier) + headOffset));
            int n = 0;
            while (index != -1) // -1: the end of the list (a stored 0)
            {
                final String error = index < 0 || index >= count ? "index " + index + " is out of range 0.." + (count - 1)
                    : set.get(index) || main.get(index) || reserve.get(index) ? "block " + index + " is linked twice (a cycle)" : null;
                if (error != null)
                {
                    if (problems == null)
                    {
                        throw new PoolCorruptException(pool.file(), "tier[" + tier + "]." + name + " free list", error,
                            "a chain of distinct blocks");
                    }
                    problems.add("tier " + tier + " " + name + " free list: " + error);
                    break;
                }
                set.set(index);
                n++;
                index = (int)buffer.getLong(pool.blockHeader(tier, index) + BLOCK_AUX_OFFSET) - 1;
            }
            return n;
        }
    }

    /**
     * A free-list head whose recovery-lock bit is set while the tier's lock word is free: the word
     * is taken before the bits are set and freed after they are cleared, so only a buggy writer
     * leaves that (allocations wait on it until they clear it). Read twice to let an unlock finish.
     */
    private static void strayLockBits(final TieredPool pool, final int tier, final boolean locking, final List<String> problems)
    {
        final AtomicBuffer buffer = pool.buffer();
        for (final int offset : new int[] {MAIN_HEAD_OFFSET, RESERVE_HEAD_OFFSET})
        {
            final int head = pool.tierHeader(tier) + offset;
            if (isLocked(buffer.getLongVolatile(head)) && buffer.getLongVolatile(pool.tierHeader(tier) + LOCK_WORD_OFFSET) == 0)
            {
                LockSupport.parkNanos(1_000_000);
                if (isLocked(buffer.getLongVolatile(head)) && buffer.getLongVolatile(pool.tierHeader(tier) + LOCK_WORD_OFFSET) == 0)
                {
                    problems.add("tier " + tier + " " + (offset == MAIN_HEAD_OFFSET ? "main" : "reserve")
                        + " free list: head is marked locked for recovery but nobody holds the tier's lock ("
                        + (locking ? "cleared now" : "the next allocation clears it") + ")");
                }
            }
        }
    }

    /**
     * Accounts for every block of every tier exactly once. An attached process locks each tier in
     * turn (in its attachment's name); a process that is not attached (it has no token others can
     * check, so it must not hold a lock) reads each tier without locking it, and keeps a reading
     * only when the tier's two list heads, whose tags change with every push and pop, are the same
     * after it as before: no list changed meanwhile, so the reading is as good as a locked one.
     */
    static ValidationReport validate(final TieredPool pool)
    {
        final Region region = pool.region();
        final List<String> problems = new ArrayList<>();
        final List<ValidationReport.TierCounts> tiers = new ArrayList<>();
        final boolean attached = region.slot() >= 0;
        for (int t = 0; t < pool.tierCount(); t++)
        {
            strayLockBits(pool, t, attached, problems);
            tiers.add(attached ? validateLocked(pool, t, problems) : validateQuiet(pool, t, problems));
        }
        return new ValidationReport(problems, tiers);
    }

    private static ValidationReport.TierCounts validateLocked(final TieredPool pool, final int tier, final List<String> problems)
    {
        pool.lockTier(tier, pool.region().ownerToken());
        try
        {
            return checkTier(pool, tier, problems);
        }
        finally
        {
            pool.unlockTier(tier);
        }
    }

    /**
     * Validation of a tier without its lock: readings are retried (bounded) until one starts and
     * ends with the same two head words and no recovery or validation holding the tier.
     */
    private static ValidationReport.TierCounts validateQuiet(final TieredPool pool, final int tier, final List<String> problems)
    {
        final AtomicBuffer buffer = pool.buffer();
        final int main = pool.tierHeader(tier) + MAIN_HEAD_OFFSET;
        final int reserve = pool.tierHeader(tier) + RESERVE_HEAD_OFFSET;
        final int lock = pool.tierHeader(tier) + LOCK_WORD_OFFSET;
        for (int attempt = 0; attempt < QUIET_ATTEMPTS; attempt++)
        {
            final long mainBefore = buffer.getLongVolatile(main);
            final long reserveBefore = buffer.getLongVolatile(reserve);
            if (heldByAnother(pool, lock))
            {
                LockSupport.parkNanos(1_000_000); // a recovery or a validation holds the tier: let it finish
                continue;
            }
            final List<String> found = new ArrayList<>();
            final ValidationReport.TierCounts counts = checkTier(pool, tier, found);
            if (buffer.getLongVolatile(main) == mainBefore && buffer.getLongVolatile(reserve) == reserveBefore
                && !heldByAnother(pool, lock))
            {
                problems.addAll(found);
                return counts;
            }
            Thread.yield();
        }
        problems.add("tier " + tier + " changed during each of " + QUIET_ATTEMPTS + " readings: not validated"
            + " (an attached process validates under the tier's lock)");
        return new ValidationReport.TierCounts(tier, pool.layout().blockCount[tier], 0, 0, 0, 0);
    }

    /** Whether the tier's lock word names a holder that is there (a gone one changes nothing any more). */
    private static boolean heldByAnother(final TieredPool pool, final int lock)
    {
        final long holder = pool.buffer().getLongVolatile(lock);
        return holder != 0 && !pool.region().isOwnerGone(holder);
    }

    /**
     * Accounts for every block of one tier, whose lists do not change meanwhile (locked, or
     * checked unchanged by the caller).
     */
    private static ValidationReport.TierCounts checkTier(final TieredPool pool, final int t, final List<String> problems)
    {
        final Region region = pool.region();
        final AtomicBuffer buffer = pool.buffer();
        final BitSet everySlot = new BitSet();
        everySlot.set(0, region.processSlots());
        final int count = pool.layout().blockCount[t];
        final Listing listing = new Listing(pool, t, problems);
        final List<Integer> unlistedFree = new ArrayList<>();
        int listed = 0;
        int cached = 0;
        int allocated = 0;
        int inFlight = 0;
        for (int i = 0; i < count; i++)
        {
            final long word = buffer.getLongVolatile(pool.blockHeader(t, i));
            final int state = state(word);
            final boolean inList = listing.listed(i);
            if (state > CACHED)
            {
                problems.add("tier " + t + " block " + i + ": state " + state + " is not a block state");
            }
            else if (inList && state != FREE)
            {
                problems.add("tier " + t + " block " + i + ": both in a free list and " + (state == ALLOCATED ? "allocated" : "cached"));
            }
            else if (inList)
            {
                listed++;
                if (isReserve(word) != listing.reserve.get(i))
                {
                    problems.add("tier " + t + " block " + i + ": in the wrong free list");
                }
            }
            else if (state == FREE)
            {
                unlistedFree.add(i); // judged below: intents are read after the state, as recovery does
            }
            else if (owner(word) >= region.processSlots())
            {
                problems.add("tier " + t + " block " + i + ": owner slot " + owner(word) + " is out of range");
            }
            else if (state == CACHED)
            {
                cached++;
            }
            else
            {
                allocated++;
            }
        }
        if (!unlistedFree.isEmpty())
        {
            // a pusher writes its intent before it marks blocks FREE (release), so an intent read after
            // seeing FREE names the block if it is in flight
            final BitSet named = named(region, pool, t, everySlot);
            for (final int i : unlistedFree)
            {
                final long word = buffer.getLongVolatile(pool.blockHeader(t, i));
                if (named.get(i) || state(word) != FREE)
                {
                    inFlight++;
                }
                else
                {
                    problems.add("tier " + t + " block " + i + ": lost (free, in no list, named by no intent)");
                }
            }
        }
        // the counters lag a live CAS until its process updates them: compare only when settled
        if (inFlight == 0 && settle(pool, t, everySlot, listing))
        {
            final int reserve = pool.layout().reserve[t];
            final long outstanding = buffer.getLongVolatile(pool.tierHeader(t) + OUTSTANDING_OFFSET);
            final long expected = (count - reserve) - listing.mainCount;
            if (outstanding != expected)
            {
                problems.add("tier " + t + ": outstanding counter is " + outstanding + " but " + expected
                    + " blocks are out of the main list");
            }
            final long reserveInUse = buffer.getLongVolatile(pool.tierHeader(t) + RESERVE_IN_USE_OFFSET);
            if (reserveInUse != reserve - listing.reserveCount)
            {
                problems.add("tier " + t + ": reserve-in-use counter is " + reserveInUse + " but "
                    + (reserve - listing.reserveCount) + " reserve blocks are out of their list");
            }
        }
        return new ValidationReport.TierCounts(t, count, listed, cached, allocated, inFlight);
    }
}
