package io.shmtx.refcount;

import static io.shmtx.refcount.RefCountDescriptor.*;

import io.shmtx.pool.Handles;
import io.shmtx.region.DeadProcess;
import io.shmtx.region.ProcessTableDescriptor;
import io.shmtx.region.RecoveryStep;
import io.shmtx.region.Region;
import io.shmtx.region.SectionSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import org.agrona.concurrent.AtomicBuffer;

/**
 * Recovery step 3 of the fixed order (docs/ARCHITECTURE.md, Recovery): drop the references a dead process held and free what
 * reaches zero. See {@link RefCounts} for the rules; this class adds the recoverer's own crash
 * safety: one recoverer at a time (a recovery lock word holding the recovery's claim token, taken
 * over from a dead holder: recoveries in two threads of one process exclude each other through it
 * as recoveries in two processes do) and a one-record journal of the count word it holds, in
 * phases LOCKING, APPLY, DONE ({@link RefCountDescriptor#JOURNAL_FLAGS_OFFSET}), so a successor
 * finishes a half-applied entry instead of subtracting it twice and unlocks a word the dead
 * recoverer held. A corrupt count word ({@link RefCounts#wordProblem}) is never locked or waited
 * for: it is left as found and named in the summary, and the rest of the dead slot is recovered;
 * so is a word locked by the recovering process's own attachment that none of its threads holds.
 * <p>Handles in order: those whose cell has a held-before (the word's holder, mid-update: at most one
 * per block) first, then the other handles of the cells and the ledger. A cell may name another
 * generation of a held block (a thread of the dead slot waiting for the word with a stale handle);
 * treated first, it would unlock the word with the holder's count not stored yet, and the holder's
 * handle would then be read as finished (its ledger holding, already changed, subtracted from the
 * old count: one reference too many or too few). Treated after the holder's, it finds the word
 * unlocked with its final count, another generation and no holding of its own: it changes nothing.
 */
final class RefCountRecovery implements RecoveryStep
{
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final RefCounts refs;
    /**
     * Held by the thread running a recovery of this object: a recovery started again on that
     * thread from within (a zero callback) fails at once instead of waiting for the shared lock its
     * own outer recovery holds. (The shared lock, in each recovery claim's name, excludes every other
     * recoverer, of this process or another.)
     */
    private final ReentrantLock local = new ReentrantLock();

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

    /**
     * Drops what {@code dead} held, in the name of this recovery's claim on the slot: the recovery
     * lock holds {@link Region#recoveryToken} and the words and journal it holds name the dead
     * slot itself (no other process uses that slot while it is claimed), so it needs no attachment.
     */
    @Override
    public String recover(final Region region, final DeadProcess dead)
    {
        if (local.isHeldByCurrentThread())
        {
            // a zero callback run by this recovery recovered again: the journal is in use
            throw new IllegalStateException("reference-count recovery of slot " + dead.slot()
                + " started from within another one on the same thread (retried on the next pass)");
        }
        final long mine = region.recoveryToken(dead.slot());
        final AtomicBuffer buffer = refs.buffer();
        final int lock = refs.base() + RECOVERY_LOCK_OFFSET;
        local.lock();
        try
        {
            return recover(region, dead, buffer, lock, mine, dead.slot());
        }
        finally
        {
            local.unlock();
        }
    }

    private String recover(final Region region, final DeadProcess dead, final AtomicBuffer buffer, final int lock,
        final long mine, final int me)
    {
        acquire(region, buffer, lock, mine);
        try
        {
            final String replayed = replayJournal(region, buffer, me);
            final int s = dead.slot();
            // the dead slot's intents: words it may hold locked, and its holding before an update
            // (a held-before exists only in the one cell whose thread holds the word: see RefCounts)
            final Map<Long, Long> heldBefore = new LinkedHashMap<>();
            final Set<Long> waiters = new LinkedHashSet<>();
            for (int c = 0; c < refs.cellsPerSlot(); c++)
            {
                final int cell = refs.cellOffset(s, c);
                final long handle = buffer.getLongVolatile(cell + CELL_HANDLE_OFFSET);
                if (handle != 0)
                {
                    waiters.add(handle);
                    final long before = buffer.getLongVolatile(cell + CELL_HELD_BEFORE_OFFSET);
                    if (before != NOT_LOCKED)
                    {
                        heldBefore.put(handle, before);
                    }
                }
            }
            // the holders' handles first: a cell naming another generation of a held block (a thread
            // that was waiting for its word with a stale handle) would otherwise unlock the word with
            // the holder's half-done count in it, and the holder's handle be taken for a finished one
            final Set<Long> handles = new LinkedHashSet<>(heldBefore.keySet());
            handles.addAll(waiters);
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
            final List<String> corruptWords = new ArrayList<>();
            for (final long handle : handles)
            {
                final int result = recoverHandle(region, buffer, me, s, handle, heldBefore, corruptWords);
                dropped += result >> 1;
                freed += result & 1;
            }
            for (int c = 0; c < refs.cellsPerSlot(); c++)
            {
                buffer.putLongRelease(refs.cellOffset(s, c) + CELL_HANDLE_OFFSET, 0);
            }
            buffer.setMemory(ledger, refs.ledgerCapacity() * ENTRY_SIZE, (byte)0);
            return replayed + "dropped " + dropped + " references on " + handles.size() + " handles, freed " + freed + " blocks"
                + (corruptWords.isEmpty() ? "" : "; left " + corruptWords.size() + " corrupt count words as found: "
                    + String.join("; ", corruptWords));
        }
        finally
        {
            buffer.putLongRelease(lock, 0);
        }
    }

    /**
     * @param corruptWords receives a note when the handle's count word is corrupt (then left as found).
     * @return (references dropped << 1) | (1 if the block was freed).
     */
    private int recoverHandle(final Region region, final AtomicBuffer buffer, final int me, final int s, final long handle,
        final Map<Long, Long> heldBefore, final List<String> corruptWords)
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
        // LOCKING before the lock: a successor finds the word this recoverer may hold
        final int journal = refs.base();
        buffer.putLong(journal + JOURNAL_HANDLE_OFFSET, handle);
        buffer.putLong(journal + JOURNAL_DEAD_SLOT_OFFSET, s);
        buffer.putLong(journal + JOURNAL_WRITER_OFFSET, me);
        buffer.putLong(journal + JOURNAL_WORD_OFFSET, 0); // nothing found yet (not the last record's word)
        buffer.putLongRelease(journal + JOURNAL_FLAGS_OFFSET, JOURNAL_LOCKING);
        final long w;
        try
        {
            w = lock(region, buffer, word, me, s, handle);
        }
        catch (final RuntimeException ex)
        {
            emptyJournal(buffer); // the word was not locked
            throw ex;
        }
        final String problem = lockProblem(w, s);
        if (problem != null)
        {
            emptyJournal(buffer); // not locked either: nothing to subtract from
            corruptWords.add("handle " + Handles.toString(handle) + ": 0x" + Long.toHexString(w) + ": " + problem);
            return 0;
        }
        refs.hook(RefCounts.STEP_RECOVERY_LOCKED);
        final boolean lockedByDead = lockOwner(w) == s;
        // validated, count not stored yet (a STORED word holds its final count: the ledger's)
        final boolean midUpdate = lockedByDead && !stored(w) && heldBefore.containsKey(handle);
        final int entry = refs.findEntry(s, handle, false);
        final long ledgerHeld = entry < 0 ? 0 : buffer.getLongVolatile(entry + ENTRY_HELD_OFFSET);
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
        // APPLY before any change: a successor that finds it finishes it
        buffer.putLong(journal + JOURNAL_WORD_OFFSET, lockedStored(newWord, me));
        buffer.putLongRelease(journal + JOURNAL_FLAGS_OFFSET, JOURNAL_APPLY | (free ? JOURNAL_FREE : 0));
        refs.hook(RefCounts.STEP_RECOVERY_JOURNALED);
        apply(buffer, word, handle, s, lockedStored(newWord, me), free, me);
        return (corrupt ? 0 : (int)Math.min(contribution, MAX_COUNT) << 1) | (free ? 1 : 0);
    }

    /**
     * Why {@link #lock} returned {@code w} without locking it, or {@code null} when it locked it:
     * the word is corrupt, or it is locked by this process's own attachment and none of its
     * threads holds it (nobody will unlock it while this process stays attached).
     */
    private String lockProblem(final long w, final int s)
    {
        final String problem = refs.wordProblem(w);
        if (problem != null || lockOwner(w) < 0 || lockOwner(w) == s)
        {
            return problem;
        }
        return "it is locked by slot " + lockOwner(w) + ", this recovering process's own attachment, but none of its"
            + " threads holds it (" + RefCounts.OWN_LEFTOVER + ")";
    }

    /**
     * Locks {@code handle}'s count word for this recoverer (with STORED) once it is unlocked or
     * held by the dead slot {@code s}, the word as found in the journal first (a successor puts it
     * back if this recoverer dies before APPLY: a lock of {@code s} keeps meaning what it meant).
     * A corrupt word is returned as found, not locked and not waited for; so is a word locked by
     * this process's own attachment that none of its threads holds (dropped at once when none of
     * them has used the reference counts yet: see {@link RefCounts#dropOwnLeftover}).
     *
     * @return the word as it was before this lock, or the word found when not locked (see {@link #lockProblem}).
     */
    private long lock(final Region region, final AtomicBuffer buffer, final int word, final int me, final int s,
        final long handle)
    {
        final long deadline = System.nanoTime() + WAIT_NANOS;
        final LeftoverProbe probe = new LeftoverProbe();
        while (true)
        {
            final long w = buffer.getLongVolatile(word);
            if (refs.wordProblem(w) != null)
            {
                return w; // its owner is no slot: nobody will unlock it, and nothing in it can be trusted
            }
            final int owner = lockOwner(w);
            if (owner < 0 || owner == s)
            {
                buffer.putLong(refs.base() + JOURNAL_WORD_OFFSET, w);
                if (buffer.compareAndSetLong(word, w, lockedStored(w, me)))
                {
                    return w;
                }
                continue;
            }
            if (owner == region.slot())
            {
                if (refs.dropOwnLeftover(word, w))
                {
                    continue;
                }
                if (probe.leftover(refs, word, w, handle, -1))
                {
                    return w; // nobody will unlock it while this process stays attached: left as found
                }
            }
            else if (owner != me && refs.ownerGone(owner))
            {
                if (refs.releaseAbandoned(word, w, owner))
                {
                    continue; // held by a slot given back mid-update: nobody will recover it
                }
                throw new IllegalStateException("the count of handle " + Handles.toString(handle) + " is locked by slot " + owner
                    + ", also dead: recover it first (retried on the next pass)");
            }
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("the count of handle " + Handles.toString(handle) + " stayed locked by slot " + owner);
            }
            LockSupport.parkNanos(20_000);
        }
    }

    /**
     * Stores the journal's word (locked by the journal's writer: a replay keeps that name, so the
     * journal stays true if the replayer dies too), frees the block if asked (in the name of
     * {@code freeAs}, the slot this recovery has claimed: see {@link RefCounts#freeInRecovery}),
     * clears the dead slot's entries (each idempotent), marks the journal DONE, then unlocks.
     */
    private void apply(final AtomicBuffer buffer, final int word, final long handle, final int s, final long lockedWord,
        final boolean free, final int freeAs)
    {
        buffer.putLongVolatile(word, lockedWord);
        if (free && refs.pool().isLive(handle))
        {
            refs.freeInRecovery(handle, freeAs);
        }
        refs.clearEntries(s, handle);
        buffer.putLongRelease(refs.base() + JOURNAL_FLAGS_OFFSET, JOURNAL_DONE);
        refs.hook(RefCounts.STEP_RECOVERY_DONE);
        giveBack(buffer, word, unlocked(lockedWord));
    }

    /** Stores {@code value} over a word this recoverer (or the dead one it replays) holds, then empties the journal. */
    private void giveBack(final AtomicBuffer buffer, final int word, final long value)
    {
        buffer.putLongRelease(word, value);
        emptyJournal(buffer);
    }

    private void emptyJournal(final AtomicBuffer buffer)
    {
        buffer.putLongRelease(refs.base() + JOURNAL_FLAGS_OFFSET, 0);
    }

    /**
     * Finishes the journal a recoverer that died (or failed here) left, only while the word is still
     * held, with STORED, by the journal's writer (gone, or this attachment whose earlier recovery
     * failed: this one holds the recovery lock now): in LOCKING puts back the word it found (unlocked,
     * or locked by the dead slot) if its count and generation are unchanged, in APPLY applies again
     * if the generation is the journal's, in DONE unlocks if the word is the one stored. Anything
     * else changes nothing: the block was freed and reused, or the word is held by a live slot (its
     * holder will finish), or the journal is corrupt. Every value read is range-checked at full width
     * before use.
     *
     * @return a note for the recovery summary, empty when the journal was empty.
     */
    private String replayJournal(final Region region, final AtomicBuffer buffer, final int me)
    {
        final int journal = refs.base();
        final long flags = buffer.getLongVolatile(journal + JOURNAL_FLAGS_OFFSET);
        if (flags == 0)
        {
            return "";
        }
        final long handle = buffer.getLong(journal + JOURNAL_HANDLE_OFFSET);
        final long deadSlot = buffer.getLong(journal + JOURNAL_DEAD_SLOT_OFFSET);
        final long journalWord = buffer.getLong(journal + JOURNAL_WORD_OFFSET);
        final long writerSlot = buffer.getLong(journal + JOURNAL_WRITER_OFFSET);
        final String problem = journalProblem(region, flags, handle, deadSlot, writerSlot, journalWord);
        if (problem != null)
        {
            emptyJournal(buffer);
            return "ignored a corrupt journal: " + problem + "; ";
        }
        final int writer = (int)writerSlot; // range-checked by journalProblem
        final int word = refs.wordOffset(handle); // checked by journalProblem
        final long current = buffer.getLongVolatile(word);
        final boolean heldByWriter = lockOwner(current) == writer && stored(current) && (writer == me || refs.ownerGone(writer));
        final String what = "journal of handle " + Handles.toString(handle) + " by slot " + writer;
        final int foundOwner = lockOwner(journalWord);
        if (heldByWriter && flags == JOURNAL_LOCKING && unlocked(current) == unlocked(journalWord)
            && (foundOwner < 0 || foundOwner == deadSlot))
        {
            giveBack(buffer, word, journalWord);
            return "gave back the word of the " + what + "; ";
        }
        if (heldByWriter && (flags & JOURNAL_APPLY) != 0 && generation(current) == generation(journalWord))
        {
            apply(buffer, word, handle, (int)deadSlot, journalWord, (flags & JOURNAL_FREE) != 0, me); // dead slot range-checked
            return "replayed the " + what + "; ";
        }
        if (heldByWriter && flags == JOURNAL_DONE && current == journalWord)
        {
            giveBack(buffer, word, unlocked(journalWord));
            return "unlocked the word of the " + what + "; ";
        }
        emptyJournal(buffer);
        return (flags & JOURNAL_APPLY) == 0 ? "" : "did not replay the " + what + ": its count word 0x" + Long.toHexString(current)
            + " is not held by that slot, gone, with generation " + generation(journalWord) + "; ";
    }

    /**
     * @return why the journal is corrupt, or {@code null}.
     */
    private String journalProblem(final Region region, final long flags, final long handle, final long deadSlot,
        final long writer, final long journalWord)
    {
        if (flags != JOURNAL_LOCKING && flags != JOURNAL_APPLY && flags != (JOURNAL_APPLY | JOURNAL_FREE) && flags != JOURNAL_DONE)
        {
            return "flags=0x" + Long.toHexString(flags) + " name no phase";
        }
        if (deadSlot < 0 || deadSlot >= region.processSlots())
        {
            return "dead slot=" + deadSlot + " is out of range 0.." + (region.processSlots() - 1);
        }
        if (writer < 0 || writer >= region.processSlots())
        {
            return "writer slot=" + writer + " is out of range 0.." + (region.processSlots() - 1);
        }
        if (flags != JOURNAL_LOCKING && (lockOwner(journalWord) != writer || !stored(journalWord)))
        {
            return "word=0x" + Long.toHexString(journalWord) + " is not held by writer slot " + writer;
        }
        final String wordProblem = refs.wordProblem(journalWord);
        if (wordProblem != null)
        {
            return "word=0x" + Long.toHexString(journalWord) + " is corrupt: " + wordProblem; // never recorded: never put back
        }
        try
        {
            refs.wordOffset(handle);
        }
        catch (final RuntimeException ex)
        {
            return "handle=0x" + Long.toHexString(handle) + " names no block";
        }
        return null;
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
