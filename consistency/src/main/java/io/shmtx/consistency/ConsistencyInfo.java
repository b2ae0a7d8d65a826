package io.shmtx.consistency;

import static io.shmtx.consistency.ConsistencyDescriptor.*;

import io.shmtx.region.Region;
import io.shmtx.region.RegionFormatException;
import io.shmtx.region.Section;
import io.shmtx.region.SectionSpec;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.agrona.concurrent.AtomicBuffer;

/**
 * What a region's consistency section holds, read by a process that need not be attached nor
 * able to write ({@link Region#openReadOnly}): for monitoring tools such as {@code shmtx stat}
 * and {@code inspect}. {@link SharedMemory#stats()} gives the same {@link TxStats} to an attached
 * process.
 *
 * <p>Instances are immutable and threadsafe; {@link #read} only reads the region.
 *
 * <p>How it is read: the section header is checked first ({@link ConsistencyDescriptor#check}:
 * magic, version, slots, log geometry against the section's length, model word), so every log
 * offset read after it lies inside the section. Then each value is read once, with a volatile
 * read: the counters of a log are written by the log's own thread only (release stores), so each
 * value read is one that was written, but the snapshot as a whole is not atomic (transactions go
 * on while it is taken). A value that cannot be true (a negative counter, a log state or model
 * announcement no writer makes, a sum that overflows) is named in {@link #problems()}, and the
 * figure it belongs to is {@link #UNREADABLE} rather than a wrong number.
 *
 * @param stats                    the region's model, epoch and counters, summed over every log;
 *                                 a counter is {@link #UNREADABLE} when a value it sums is corrupt.
 * @param switchingTo              the target of a model switch in progress, {@code null} when none
 *                                 (the model in force stays {@code stats().model()} until it completes).
 * @param switchOwner              the switch owner word: the region owner token of the process
 *                                 switching, 0 when nobody holds it.
 * @param switchOwnerGone          whether that owner is gone ({@link Region#isOwnerGone}): its switch
 *                                 is cleared by the next transaction, switcher or recovery.
 * @param logsPerProcess           transaction logs per process slot.
 * @param maxObjectsPerTransaction object table entries per log.
 * @param redoCapacity             redo (or undo) bytes per log.
 * @param logs                     transaction logs in the section (process slots times logs per slot).
 * @param transactionsRunning      logs announcing a running transaction (begun, not ended).
 * @param logsActive               logs in state ACTIVE (a transaction that may hold version locks or
 *                                 allocations, not yet committing).
 * @param logsCommitting           logs in state COMMITTING (past the commit point, being applied).
 * @param snapshotsPinned          logs pinning a CAUSAL snapshot (history it may need is kept).
 * @param problems                 values that cannot be true, each naming the log and field; empty
 *                                 for a sound section.
 */
public record ConsistencyInfo(
    TxStats stats, ConsistencyModel switchingTo, long switchOwner, boolean switchOwnerGone, int logsPerProcess,
    int maxObjectsPerTransaction, int redoCapacity, int logs, int transactionsRunning, int logsActive,
    int logsCommitting, int snapshotsPinned, List<String> problems)
{
    /** A counter that could not be read (see {@link #problems()}). */
    public static final long UNREADABLE = -1;

    private static final String[] COUNTER_NAMES = counterNames();

    /**
     * A snapshot; {@code problems} is copied.
     *
     * @param stats                    model, epoch and counters.
     * @param switchingTo              target of a switch in progress, or {@code null}.
     * @param switchOwner              switch owner word.
     * @param switchOwnerGone          whether its owner is gone.
     * @param logsPerProcess           logs per process slot.
     * @param maxObjectsPerTransaction object table entries per log.
     * @param redoCapacity             record bytes per log.
     * @param logs                     logs in the section.
     * @param transactionsRunning      logs announcing a transaction.
     * @param logsActive               logs in state ACTIVE.
     * @param logsCommitting           logs in state COMMITTING.
     * @param snapshotsPinned          logs pinning a snapshot.
     * @param problems                 values that cannot be true.
     */
    public ConsistencyInfo
    {
        problems = List.copyOf(problems);
    }

    /**
     * Whether the region has a consistency section.
     *
     * @param region an open region (read-only or not).
     * @return {@code true} when it has one.
     */
    public static boolean present(final Region region)
    {
        for (final Section section : region.sections())
        {
            if (section.id() == SectionSpec.LEDGERS)
            {
                return true;
            }
        }
        return false;
    }

    /**
     * Reads the consistency section of a region.
     *
     * @param region an open region, attached or not, read-only or not; nothing is written.
     * @return the snapshot.
     * @throws RegionFormatException when the region has no consistency section, or its header
     *                               cannot be true (named: field, value found, value required).
     */
    public static ConsistencyInfo read(final Region region)
    {
        final Section section = region.section(SectionSpec.LEDGERS);
        final AtomicBuffer buffer = region.buffer();
        final int base = (int)section.offset();
        check(region.file(), buffer, base, section.length(), region.processSlots());
        final int logsPerSlot = buffer.getInt(base + LOGS_PER_SLOT_OFFSET);
        final int maxObjects = buffer.getInt(base + MAX_OBJECTS_OFFSET);
        final int redo = buffer.getInt(base + REDO_CAPACITY_OFFSET);
        final int logSize = buffer.getInt(base + LOG_SIZE_OFFSET);
        final long owner = buffer.getLongVolatile(base + SWITCH_OWNER_OFFSET);
        final long word = buffer.getLongVolatile(base + MODEL_WORD_OFFSET);
        if (!validModelWord(word))
        {
            throw new RegionFormatException(region.file(), "consistency.modelWord", hex(word),
                "a model ordinal below " + ConsistencyModel.values().length + " and an epoch >= 1");
        }
        final List<String> problems = new ArrayList<>();
        final Logs logs = new Logs(region.processSlots() * logsPerSlot, logsPerSlot);
        for (int k = 0; k < logs.count; k++)
        {
            logs.read(buffer, logOffset(base, k, logSize), k, problems);
        }
        final long clock = region.currentTimestamp(); // after every pin: a sound pin is never above it
        logs.checkPins(clock, problems);
        final boolean switching = isSwitching(word);
        final long inForce = switching ? modelWord(previousModel(word), epoch(word) - 1) : word;
        final TxStats stats = new TxStats(ConsistencyModel.values()[model(inForce)], epoch(inForce),
            nonNegative(buffer, base + SWITCHES_OFFSET, "switches", problems),
            nonNegative(buffer, base + SWITCH_FAILURES_OFFSET, "switchFailures", problems),
            logs.sums[COUNTER_COMMITS], logs.aborts(), logs.sums[COUNTER_RETRIES], logs.sums[COUNTER_RETRY_WAITS],
            nonNegative(buffer, base + VERSIONS_ALIVE_OFFSET, "versionsAlive", problems));
        return new ConsistencyInfo(stats, switching ? ConsistencyModel.values()[model(word)] : null, owner,
            owner != 0 && region.isOwnerGone(owner), logsPerSlot, maxObjects, redo, logs.count, logs.running,
            logs.active, logs.committing, logs.pinned, problems);
    }

    private static long nonNegative(final AtomicBuffer buffer, final int offset, final String field,
        final List<String> problems)
    {
        final long value = buffer.getLongVolatile(offset);
        if (value < 0)
        {
            problems.add("consistency." + field + "=" + value + " is negative");
            return UNREADABLE;
        }
        return value;
    }

    private static String hex(final long value)
    {
        return "0x" + Long.toHexString(value);
    }

    private static String[] counterNames()
    {
        final String[] names = new String[COUNTER_ABORTS + AbortReason.values().length];
        names[COUNTER_COMMITS] = "commits";
        names[COUNTER_RETRIES] = "retries";
        names[COUNTER_RETRY_WAITS] = "retryWaits";
        for (final AbortReason reason : AbortReason.values())
        {
            names[COUNTER_ABORTS + reason.ordinal()] = "aborts." + reason;
        }
        return names;
    }

    /** The per-log part of a reading: sums of the counters and the logs in each state. */
    private static final class Logs
    {
        final int count;
        final int perSlot;
        final long[] sums = new long[COUNTER_NAMES.length];
        final long[] pins;
        int running;
        int active;
        int committing;
        int pinned;

        Logs(final int count, final int perSlot)
        {
            this.count = count;
            this.perSlot = perSlot;
            this.pins = new long[count];
        }

        void read(final AtomicBuffer buffer, final int log, final int k, final List<String> problems)
        {
            final long state = buffer.getLongVolatile(log + LOG_STATE_OFFSET);
            final int phase = (int)(state & 0xFF);
            if (phase == STATE_ACTIVE)
            {
                active++;
            }
            else if (phase == STATE_COMMITTING)
            {
                committing++;
            }
            else if (phase != STATE_IDLE)
            {
                problems.add(name(k) + ": state=" + hex(state) + " is not IDLE, ACTIVE or COMMITTING");
            }
            final long announced = buffer.getLongVolatile(log + LOG_MODEL_OFFSET);
            if (announced != 0)
            {
                if (validModelWord(announced) && !isSwitching(announced))
                {
                    running++;
                }
                else
                {
                    problems.add(name(k) + ": model=" + hex(announced) + " is not a model a transaction runs under");
                }
            }
            pins[k] = buffer.getLongVolatile(log + LOG_SNAPSHOT_OFFSET);
            for (int c = 0; c < sums.length; c++)
            {
                add(c, buffer.getLongVolatile(log + LOG_COUNTERS_OFFSET + c * Long.BYTES), k, problems);
            }
        }

        private void add(final int c, final long value, final int k, final List<String> problems)
        {
            if (sums[c] == UNREADABLE)
            {
                return;
            }
            if (value < 0)
            {
                problems.add(name(k) + ": counter " + COUNTER_NAMES[c] + "=" + value + " is negative");
                sums[c] = UNREADABLE;
                return;
            }
            try
            {
                sums[c] = Math.addExact(sums[c], value);
            }
            catch (final ArithmeticException ex)
            {
                problems.add(name(k) + ": counter " + COUNTER_NAMES[c] + "=" + value + " overflows the sum over the logs");
                sums[c] = UNREADABLE;
            }
        }

        void checkPins(final long clock, final List<String> problems)
        {
            for (int k = 0; k < count; k++)
            {
                final long pin = pins[k];
                if (pin < 0 || pin > clock)
                {
                    problems.add(name(k) + ": snapshot=" + pin + " is not in 0.." + clock + " (the region clock)");
                }
                else if (pin != 0)
                {
                    pinned++;
                }
            }
        }

        Map<AbortReason, Long> aborts()
        {
            final Map<AbortReason, Long> aborts = new EnumMap<>(AbortReason.class);
            for (final AbortReason reason : AbortReason.values())
            {
                aborts.put(reason, sums[COUNTER_ABORTS + reason.ordinal()]);
            }
            return aborts;
        }

        private String name(final int k)
        {
            return String.format(Locale.ROOT, "consistency log %d (slot %d, log %d)", k, k / perSlot, k % perSlot);
        }
    }
}
