package io.shmtx.consistency;

import static io.shmtx.consistency.ConsistencyDescriptor.*;

import io.shmtx.region.Region;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.AtomicBuffer;

/**
 * Runtime switching of the consistency model, for every attached process at once: the model
 * word of the consistency section, the announcements of the transaction logs, and the switch
 * owner word (see {@link ConsistencyDescriptor}).
 *
 * <p>Threadsafe: {@link #enter} and {@link #leave} are called by a log's own thread; switches,
 * cleanups and listeners may come from any thread.
 *
 * <h2>Protocol</h2>
 * <ul>
 *   <li>Model word: {@code (epoch, model)} in force, or {@code (epoch, target, previous, SWITCHING)}
 *       while a switch drains. Every word ever published has a fresh epoch (a switch publishes
 *       {@code e + 1}; completing it keeps {@code e + 1} without the bit; giving it up publishes
 *       {@code e + 2} with the previous model), so no word is published twice (no ABA).</li>
 *   <li>Begin (per transaction attempt): read the word W; when not switching, store W into the
 *       log's model field (volatile store: a full fence), read the model word again; when it is
 *       still W, run under W's model, else clear the field and start over. End: clear the field
 *       (release store, after every shared effect of the transaction).</li>
 *   <li>Switch: take the switch owner word by a CAS from 0 to this attachment's token; publish the
 *       switching word by a CAS; then wait (bounded) until no log announces an epoch below the new
 *       one; then publish the new model without the bit. On timeout, publish the previous model at
 *       a fresh epoch. Either way, give the owner word back.</li>
 * </ul>
 * <b>No transaction runs under two models, and none of the old epoch is running when the new
 * one takes force:</b> the switcher's publishing CAS and a beginner's announcement are each
 * followed by a read of the other's word (Dekker, over sequentially consistent accesses): either
 * the beginner's second read sees the switching word (it withdraws and waits), or the switcher's
 * scan, which starts after its CAS, sees the announcement (it waits for the transaction to end).
 * A transaction that passed its second read runs entirely under the model it announced; a
 * beginner never runs while the word says switching. So when the scan finds no announcement
 * below the new epoch, every transaction of the old model has ended and every later one reads
 * the new word. A withdrawn announcement may be seen by the scan for a moment: it only waits.
 *
 * <p><b>A dead switcher does not wedge the region.</b> The switching word is published only by
 * the holder of the owner word, and cleared (completed or given up) before the owner word is
 * given back. Anyone who finds the owner word naming a gone attachment ({@link Region#isOwnerGone})
 * reads the owner word, then the model word, then the owner word again: unchanged, so the model
 * word read belongs to that dead switcher; if it is switching, a CAS replaces it by the previous
 * model at a fresh epoch (no transaction ran under the target: nobody runs while it is switching),
 * then a CAS frees the owner word. Waiting beginners do this (probing at most once per
 * millisecond), as do the next switcher and the dead process's recovery step. A stopped (not
 * dead) switcher is waited for at most twice the switch timeout, then the beginner fails with
 * {@link ModelSwitchTimeoutException}. A dead transaction's announcement is cleared by the
 * recovery of its log, which the switcher runs when the announcing process is dead.
 */
final class ModelSwitch
{
    /** Switch step: switching word published, not drained. */
    static final int HOOK_PUBLISHED = 20;
    /** Switch step: drained, new model not yet in force. */
    static final int HOOK_DRAINED = 21;

    private static final ConsistencyModel[] MODELS = ConsistencyModel.values();
    private static final long PROBE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final SharedMemory shm;
    private final Region region;
    private final AtomicBuffer buffer;
    private final Path file;
    private final TxLogs logs;
    private final int modelOffset;
    private final int ownerOffset;
    private final int base;
    private final long timeoutNanos;
    private final List<ModelSwitchListener> listeners = new CopyOnWriteArrayList<>();
    /** The model word in force this process noticed last (listeners are told of each new one). */
    private volatile long lastSeen;

    ModelSwitch(final SharedMemory shm, final Region region, final TxLogs logs, final long timeoutNanos)
    {
        this.shm = shm;
        this.region = region;
        this.buffer = region.buffer();
        this.file = region.file();
        this.logs = logs;
        this.base = logs.base();
        this.modelOffset = base + MODEL_WORD_OFFSET;
        this.ownerOffset = base + SWITCH_OWNER_OFFSET;
        this.timeoutNanos = timeoutNanos;
        final long w = buffer.getLongVolatile(modelOffset);
        this.lastSeen = isSwitching(w) ? modelWord(previousModel(w), epoch(w) - 1) : w;
    }

    // ------------------------------------------------------------------ transactions

    /**
     * Announces a transaction in log {@code log} (region offset) and returns the model word it
     * runs under (never a switching one).
     */
    long enter(final int log)
    {
        final long w = buffer.getLongVolatile(modelOffset);
        if ((w & SWITCHING_BIT) == 0 && w == lastSeen)
        {
            buffer.putLongVolatile(log + LOG_MODEL_OFFSET, w);
            if (buffer.getLongVolatile(modelOffset) == w)
            {
                return w;
            }
            buffer.putLongRelease(log + LOG_MODEL_OFFSET, 0);
        }
        return enterSlow(log);
    }

    /** Withdraws the announcement of log {@code log}: its transaction has ended. */
    void leave(final int log)
    {
        buffer.putLongRelease(log + LOG_MODEL_OFFSET, 0);
    }

    private long enterSlow(final int log)
    {
        final long start = System.nanoTime();
        long nextProbe = start + PROBE_NANOS;
        for (int spins = 0; ; spins++)
        {
            final long w = checkedModelWord();
            if (!isSwitching(w))
            {
                if (w != lastSeen)
                {
                    notice(w); // outside any transaction of this thread: listeners may run transactions
                }
                buffer.putLongVolatile(log + LOG_MODEL_OFFSET, w);
                if (buffer.getLongVolatile(modelOffset) == w)
                {
                    return w;
                }
                buffer.putLongRelease(log + LOG_MODEL_OFFSET, 0);
                continue;
            }
            final long now = System.nanoTime();
            if (now >= nextProbe)
            {
                nextProbe = now + PROBE_NANOS;
                clearDeadSwitcher();
            }
            if (now - start > 2 * timeoutNanos)
            {
                throw new ModelSwitchTimeoutException(file, "a transaction waited " + TimeUnit.NANOSECONDS.toMillis(now - start)
                    + " ms for the switch from " + MODELS[previousModel(w)] + " to " + MODELS[model(w)] + " (epoch " + epoch(w)
                    + ") by " + ownerText(buffer.getLongVolatile(ownerOffset)) + ", which neither finishes nor dies");
            }
            idle(spins);
        }
    }

    // ------------------------------------------------------------------ switching

    /** Switches every process to {@code target} (see the class comment). */
    void switchTo(final ConsistencyModel target)
    {
        final long token = region.ownerToken();
        final long deadline = System.nanoTime() + timeoutNanos;
        acquire(token, deadline, target);
        long published = 0;
        try
        {
            final long w = checkedModelWord();
            if (isSwitching(w))
            {
                throw new ConsistencyException(file, "model word 0x" + Long.toHexString(w)
                    + " says switching while no switch owns it: corrupt");
            }
            final long epoch = epoch(w) + 1;
            final long switching = switchingWord(target.ordinal(), model(w), epoch);
            if (!buffer.compareAndSetLong(modelOffset, w, switching))
            {
                throw new ConsistencyException(file, "model word changed from 0x" + Long.toHexString(w)
                    + " while this process owned the switch: corrupt");
            }
            published = switching;
            shm.commitHook(HOOK_PUBLISHED);
            final String straggler = drain(epoch, deadline);
            if (straggler != null)
            {
                throw new ModelSwitchTimeoutException(file, "the switch from " + MODELS[model(w)] + " to " + target
                    + " gave up after " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms: " + straggler + "; "
                    + MODELS[model(w)] + " stays in force (epoch " + (epoch + 1) + ")");
            }
            shm.commitHook(HOOK_DRAINED);
            if (!buffer.compareAndSetLong(modelOffset, switching, modelWord(target.ordinal(), epoch)))
            {
                throw new ConsistencyException(file, "model word changed from 0x" + Long.toHexString(switching)
                    + " while this process owned the switch: corrupt");
            }
            buffer.getAndAddLong(base + SWITCHES_OFFSET, 1);
            SharedMemory.LOG.log(System.Logger.Level.DEBUG, () -> "region " + file + ": consistency model switched from "
                + MODELS[model(w)] + " to " + target + " (epoch " + epoch + ")");
        }
        finally
        {
            if (published != 0)
            {
                giveUp(published);
            }
            buffer.compareAndSetLong(ownerOffset, token, 0);
        }
        notice(checkedModelWord());
    }

    private void acquire(final long token, final long deadline, final ConsistencyModel target)
    {
        for (int spins = 0; !buffer.compareAndSetLong(ownerOffset, 0, token); spins++)
        {
            final long owner = buffer.getLongVolatile(ownerOffset);
            if (owner == token)
            {
                throw new IllegalStateException("region " + file + ": another thread of this process is switching the model");
            }
            if (owner != 0 && (spins & 63) == 0 && clearDeadSwitcher())
            {
                continue;
            }
            if (System.nanoTime() > deadline)
            {
                throw new ModelSwitchTimeoutException(file, "the switch to " + target + " could not start in "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms: " + ownerText(owner) + " kept switching; "
                    + MODELS[model(checkedModelWord())] + " unchanged");
            }
            idle(spins);
        }
    }

    /** Replaces the switching word {@code switching}, if still published, by its previous model at a fresh epoch. */
    private boolean giveUp(final long switching)
    {
        if (buffer.compareAndSetLong(modelOffset, switching, modelWord(previousModel(switching), epoch(switching) + 1)))
        {
            buffer.getAndAddLong(base + SWITCH_FAILURES_OFFSET, 1);
            return true;
        }
        return false;
    }

    /**
     * Waits until no log announces an epoch below {@code epoch}, recovering dead announcers.
     *
     * @return {@code null} when drained, else what was still running at the deadline.
     */
    private String drain(final long epoch, final long deadline)
    {
        final int logCount = logs.logCount();
        long nextProbe = System.nanoTime() + PROBE_NANOS;
        int from = 0;
        for (int spins = 0; ; spins++)
        {
            while (from < logCount)
            {
                final long announced = buffer.getLongVolatile(logs.logOffset(from) + LOG_MODEL_OFFSET);
                if (announced != 0 && epoch(announced) < epoch)
                {
                    break;
                }
                from++; // a log seen clear stays clear of old epochs: later beginners read the switching word
            }
            if (from == logCount)
            {
                return null;
            }
            final long now = System.nanoTime();
            final int slot = logs.slotOf(from);
            if (now >= nextProbe)
            {
                nextProbe = now + PROBE_NANOS;
                if (slot != region.slot() && !region.isAlive(slot))
                {
                    region.recoverDeadSlots();
                    continue;
                }
            }
            if (now > deadline)
            {
                final long announced = buffer.getLongVolatile(logs.logOffset(from) + LOG_MODEL_OFFSET);
                return "transaction log " + from + " (process slot " + slot + ") still runs a transaction of epoch "
                    + epoch(announced) + " (" + (model(announced) < MODELS.length ? MODELS[model(announced)] : "?") + ")";
            }
            idle(spins);
        }
    }

    /**
     * Clears the switch of a switcher that is gone (see the class comment): gives its switch up
     * and frees the owner word.
     *
     * @return whether anything was cleared.
     */
    boolean clearDeadSwitcher()
    {
        final long owner = buffer.getLongVolatile(ownerOffset);
        if (owner == 0 || !region.isOwnerGone(owner))
        {
            return false;
        }
        final long w = buffer.getLongVolatile(modelOffset);
        if (buffer.getLongVolatile(ownerOffset) != owner)
        {
            return true; // someone else cleared it
        }
        if (isSwitching(w) && giveUp(w))
        {
            SharedMemory.LOG.log(System.Logger.Level.INFO, () -> "region " + file + ": the switch to " + MODELS[model(w)]
                + " of a process that is gone was given up; " + MODELS[previousModel(w)] + " stays in force");
        }
        buffer.compareAndSetLong(ownerOffset, owner, 0);
        return true;
    }

    // ------------------------------------------------------------------ state and listeners

    /** The model word, checked. */
    long checkedModelWord()
    {
        final long w = buffer.getLongVolatile(modelOffset);
        if (!validModelWord(w))
        {
            throw new ConsistencyException(file, "model word 0x" + Long.toHexString(w) + " at offset " + modelOffset
                + " names no model and epoch: corrupt");
        }
        return w;
    }

    /** The model word in force: while switching, the previous model at the epoch before. */
    long inForce()
    {
        final long w = checkedModelWord();
        return isSwitching(w) ? modelWord(previousModel(w), epoch(w) - 1) : w;
    }

    int base()
    {
        return base;
    }

    void addListener(final ModelSwitchListener listener)
    {
        listeners.add(listener);
    }

    void removeListener(final ModelSwitchListener listener)
    {
        listeners.remove(listener);
    }

    /** Tells the listeners of a model word in force this process had not seen (once per word). */
    private void notice(final long w)
    {
        final long before;
        synchronized (listeners)
        {
            before = lastSeen;
            if (isSwitching(w) || epoch(w) <= epoch(before))
            {
                return;
            }
            lastSeen = w;
        }
        for (final ModelSwitchListener listener : listeners)
        {
            listener.onSwitch(MODELS[model(before)], MODELS[model(w)], epoch(w));
        }
    }

    private String ownerText(final long owner)
    {
        return owner == 0 ? "nobody" : "process slot " + ((owner & 0x1FFF) - 1);
    }

    private static void idle(final int spins)
    {
        if (spins < 100)
        {
            Thread.onSpinWait();
        }
        else if (spins < 200)
        {
            Thread.yield();
        }
        else
        {
            LockSupport.parkNanos(20_000);
        }
    }
}
