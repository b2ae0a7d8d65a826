package io.shmtx.refcount;

import static io.shmtx.refcount.RefCountDescriptor.*;

import io.shmtx.pool.Handles;
import io.shmtx.region.DeadProcess;
import io.shmtx.region.ProcessTableDescriptor;
import io.shmtx.region.RecoveryStep;
import io.shmtx.region.Region;
import io.shmtx.region.SectionSpec;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.AtomicBuffer;

/**
 * Recovery step 3 of DESIGN's order: drop the references a dead process held and free what
 * reaches zero. See {@link RefCounts} for the rules; this class adds the recoverer's own crash
 * safety: one recoverer at a time (recovery lock word, taken over from a dead holder) and a
 * one-record journal written before each count word is changed and cleared after the dead
 * slot's ledger entry is cleared, so a successor finishes a half-applied entry instead of
 * subtracting it twice.
 */
final class RefCountRecovery implements RecoveryStep
{
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long VALID = 1;
    private static final long FREE = 2;

    private final RefCounts refs;

    RefCountRecovery(final RefCounts refs)
    {
        this.refs = refs;
    }

    @Override
    public String name()
    {
        return "refcount: drop references";
    }

    @Override
    public int order()
    {
        return 3;
    }

    @Override
    public int sectionId()
    {
        return SectionSpec.REFCOUNT;
    }

    @Override
    public String recover(final Region region, final DeadProcess dead)
    {
        final int me = region.slot();
        if (me < 0)
        {
            throw new IllegalStateException("reference-count recovery needs an attached process");
        }
        final AtomicBuffer buffer = refs.buffer();
        final int lock = refs.base() + RECOVERY_LOCK_OFFSET;
        final long mine = region.ownerToken();
        acquire(region, buffer, lock, mine);
        try
        {
            replayJournal(region, buffer, me);
            final int s = dead.slot();
            // the dead slot's intents: words it may hold locked, and its holdings before an update
            final Map<Long, Long> heldBefore = new LinkedHashMap<>();
            final Set<Long> handles = new LinkedHashSet<>();
            for (int c = 0; c < refs.cellsPerSlot(); c++)
            {
                final int cell = refs.cellOffset(s, c);
                final long handle = buffer.getLongVolatile(cell + CELL_HANDLE_OFFSET);
                if (handle != 0)
                {
                    handles.add(handle);
                    final long before = buffer.getLongVolatile(cell + CELL_HELD_BEFORE_OFFSET);
                    if (before != NOT_LOCKED)
                    {
                        heldBefore.put(handle, before);
                    }
                }
            }
            // words locked by the dead slot first, so no other recovery ever waits for them
            final Set<Long> ledgerHandles = new LinkedHashSet<>();
            final int ledger = refs.ledgerOffset(s);
            for (int i = 0; i < refs.ledgerCapacity(); i++)
            {
                final int entry = ledger + i * ENTRY_SIZE;
                final long key = buffer.getLongVolatile(entry + ENTRY_HANDLE_OFFSET);
                if (key != 0 && buffer.getLongVolatile(entry + ENTRY_HELD_OFFSET) != 0)
                {
                    ledgerHandles.add(key);
                }
            }
            handles.addAll(ledgerHandles);
            int dropped = 0;
            int freed = 0;
            for (final long handle : handles)
            {
                final int result = recoverHandle(region, buffer, me, s, handle, heldBefore);
                dropped += result >> 1;
                freed += result & 1;
            }
            for (int c = 0; c < refs.cellsPerSlot(); c++)
            {
                buffer.putLongRelease(refs.cellOffset(s, c) + CELL_HANDLE_OFFSET, 0);
            }
            buffer.setMemory(ledger, refs.ledgerCapacity() * ENTRY_SIZE, (byte)0);
            return "dropped " + dropped + " references on " + handles.size() + " handles, freed " + freed + " blocks";
        }
        finally
        {
            buffer.putLongRelease(lock, 0);
        }
    }

    /**
     * @return (references dropped << 1) | (1 if the block was freed).
     */
    private int recoverHandle(final Region region, final AtomicBuffer buffer, final int me, final int s, final long handle,
        final Map<Long, Long> heldBefore)
    {
        final int word;
        try
        {
            word = refs.wordOffset(handle);
        }
        catch (final RuntimeException ex)
        {
            return 0; // a corrupt ledger entry names no block: nothing to subtract
        }
        final long deadline = System.nanoTime() + WAIT_NANOS;
        long w;
        boolean lockedByDead;
        while (true)
        {
            w = buffer.getLongVolatile(word);
            final int owner = lockOwner(w);
            lockedByDead = owner == s;
            if (owner < 0 || owner == s)
            {
                if (buffer.compareAndSetLong(word, w, locked(w, me)))
                {
                    break;
                }
                continue;
            }
            if (owner != me && refs.ownerGone(owner))
            {
                throw new IllegalStateException("the count of handle " + Handles.toString(handle) + " is locked by slot " + owner
                    + ", also dead: recover it first (retried on the next pass)");
            }
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("the count of handle " + Handles.toString(handle) + " stayed locked by slot " + owner);
            }
            LockSupport.parkNanos(20_000);
        }
        final int entry = refs.findEntry(s, handle, false);
        final long ledgerHeld = entry < 0 ? 0 : buffer.getLongVolatile(entry + ENTRY_HELD_OFFSET);
        final boolean midUpdate = lockedByDead && heldBefore.containsKey(handle); // validated, count not stored yet
        final long recorded = midUpdate ? heldBefore.get(handle) : ledgerHeld;
        final boolean pending = recorded == PENDING_FREE || ledgerHeld == PENDING_FREE;
        final long contribution = Math.max(0, recorded);
        final int generation = Handles.generation(handle);
        final boolean live = refs.pool().isLive(handle);
        long newWord = unlocked(w);
        boolean free;
        final boolean corrupt = generation(w) == generation && contribution > count(w);
        if (corrupt)
        {
            // the dead slot's record claims more references than the whole count: a buggy writer's
            // ledger. Freeing would pull the block from live holders: leave the count, free nothing
            // (the orphan report shows the block if nobody holds it)
            free = false;
        }
        else if (generation(w) == generation)
        {
            final int newCount = (int)(count(w) - contribution);
            newWord = word(generation, newCount, -1);
            free = newCount == 0 && (contribution > 0 || pending || midUpdate);
        }
        else
        {
            // only a share passes validation with another generation in the word: it died sharing
            free = lockedByDead && (midUpdate || (live && refs.pool().ownerSlot(handle) == s));
        }
        free = free && live;
        // journal, then apply: a successor that finds the journal finishes it
        buffer.putLong(refs.base() + JOURNAL_HANDLE_OFFSET, handle);
        buffer.putLong(refs.base() + JOURNAL_DEAD_SLOT_OFFSET, s);
        buffer.putLong(refs.base() + JOURNAL_WORD_OFFSET, locked(newWord, me));
        buffer.putLongRelease(refs.base() + JOURNAL_FLAGS_OFFSET, VALID | (free ? FREE : 0));
        apply(buffer, word, handle, s, locked(newWord, me), free);
        return (corrupt ? 0 : (int)Math.min(contribution, MAX_COUNT) << 1) | (free ? 1 : 0);
    }

    private void apply(final AtomicBuffer buffer, final int word, final long handle, final int s, final long lockedWord,
        final boolean free)
    {
        buffer.putLongVolatile(word, lockedWord);
        if (free && refs.pool().isLive(handle))
        {
            refs.freeBlock(handle);
        }
        refs.clearEntries(s, handle);
        buffer.putLongRelease(word, unlocked(lockedWord));
        buffer.putLongRelease(refs.base() + JOURNAL_FLAGS_OFFSET, 0);
    }

    private void replayJournal(final Region region, final AtomicBuffer buffer, final int me)
    {
        final long flags = buffer.getLongVolatile(refs.base() + JOURNAL_FLAGS_OFFSET);
        if ((flags & VALID) == 0)
        {
            return;
        }
        final long handle = buffer.getLong(refs.base() + JOURNAL_HANDLE_OFFSET);
        final int s = (int)buffer.getLong(refs.base() + JOURNAL_DEAD_SLOT_OFFSET);
        final long journalWord = buffer.getLong(refs.base() + JOURNAL_WORD_OFFSET);
        final int word;
        try
        {
            word = refs.wordOffset(handle);
        }
        catch (final RuntimeException ex)
        {
            buffer.putLongRelease(refs.base() + JOURNAL_FLAGS_OFFSET, 0);
            return;
        }
        if (s < 0 || s >= region.processSlots())
        {
            buffer.putLongRelease(refs.base() + JOURNAL_FLAGS_OFFSET, 0);
            return;
        }
        final long current = buffer.getLongVolatile(word);
        if (lockOwner(current) == lockOwner(journalWord))
        {
            // the previous recoverer died before unlocking: redo under our name
            apply(buffer, word, handle, s, locked(journalWord, me), (flags & FREE) != 0);
        }
        else
        {
            refs.clearEntries(s, handle);
            buffer.putLongRelease(refs.base() + JOURNAL_FLAGS_OFFSET, 0);
        }
    }

    private void acquire(final Region region, final AtomicBuffer buffer, final int lock, final long mine)
    {
        final long deadline = System.nanoTime() + WAIT_NANOS;
        while (!buffer.compareAndSetLong(lock, 0, mine))
        {
            final long holder = buffer.getLongVolatile(lock);
            if (holder == mine)
            {
                return;
            }
            if (holder != 0 && region.isOwnerGone(holder) && buffer.compareAndSetLong(lock, holder, mine))
            {
                return;
            }
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("reference-count recovery lock held by 0x" + Long.toHexString(holder));
            }
            LockSupport.parkNanos(100_000);
        }
    }
}
