package io.shmtx.cli;

import io.shmtx.deadlock.AbortReason;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What a soak worker counts, by name as it appears in its {@code STATS} lines and in the
 * coordinator's summary. Expected outcomes (a pool running out, a transaction aborted by the
 * policy, a shared block freed before it could be retained) are counted here; unexpected ones are
 * failures, reported on their own lines.
 */
enum SoakCounter
{
    /** Blocks allocated (allocate, tryAllocate, allocateBlock). */
    POOL_ALLOCATE("pool.allocate", true),
    /** Blocks freed by their allocating thread. */
    POOL_FREE("pool.free", true),
    /** Allocations refused: the tiers that fit were empty (expected now and then). */
    POOL_EXHAUSTED("pool.exhausted", false),
    /** Blocks put in the mailbox for another process. */
    POOL_MAILBOX_PUT("pool.mailbox.put", true),
    /** Blocks taken from the mailbox and freed by the taker (often another process). */
    POOL_MAILBOX_FREE("pool.mailbox.free", true),
    /** Blocks taken from the mailbox that their dead putter's recovery had freed already (expected). */
    POOL_MAILBOX_ORPHAN("pool.mailbox.orphan", false),
    /** Reference-counted blocks created. */
    REFS_CREATE("refs.create", true),
    /** References taken on blocks found in the directory. */
    REFS_RETAIN("refs.retain", true),
    /** References dropped. */
    REFS_RELEASE("refs.release", true),
    /** Releases that brought a count to zero (the block was freed). */
    REFS_ZERO("refs.zero", false),
    /** Directory entries found naming a block freed since (expected: its last holder let go or died). */
    REFS_STALE("refs.stale", false),
    /** Transfers committed (two accounts under exclusive locks). */
    LOCKS_TRANSFER("locks.transfer", true),
    /** Audits committed (two or three accounts under shared locks, one sometimes upgraded). */
    LOCKS_AUDIT("locks.audit", true),
    /** Transactions given up after too many aborts. */
    LOCKS_GAVE_UP("locks.gaveUp", false),
    /** Aborts: DIED. */
    LOCKS_ABORT_DIED("locks.abort.DIED", false),
    /** Aborts: WOUNDED. */
    LOCKS_ABORT_WOUNDED("locks.abort.WOUNDED", false),
    /** Aborts: NO_WAIT. */
    LOCKS_ABORT_NO_WAIT("locks.abort.NO_WAIT", false),
    /** Aborts: TIMEOUT. */
    LOCKS_ABORT_TIMEOUT("locks.abort.TIMEOUT", false),
    /** Aborts: DEADLOCK. */
    LOCKS_ABORT_DEADLOCK("locks.abort.DEADLOCK", false),
    /** Isolation witnesses left by a holder that was killed inside its critical section (expected). */
    LOCKS_STALE_WITNESS("locks.staleWitness", false),
    /** recoverDeadSlots() calls by worker threads. */
    RECOVER_CALLS("recover.calls", false),
    /** Dead slots this process recovered completely (reports its listener saw: explicit calls, watchdog, attach). */
    RECOVER_SLOTS("recover.slots", false),
    /** Attach attempts refused (a full table whose dead slot was being recovered by another process). */
    ATTACH_REFUSED("attach.refused", false),
    /** Failures: isolation failures, unexpected exceptions, incomplete recoveries, stuck threads. */
    FAILURES("failures", false);

    private static final SoakCounter[] VALUES = values();
    private static final SoakCounter[] ABORTS = {
        LOCKS_ABORT_DIED, LOCKS_ABORT_WOUNDED, LOCKS_ABORT_NO_WAIT, LOCKS_ABORT_TIMEOUT, LOCKS_ABORT_DEADLOCK,
    };

    private final String key;
    private final boolean operation;

    SoakCounter(final String key, final boolean operation)
    {
        this.key = key;
        this.operation = operation;
    }

    /**
     * The name in {@code STATS} lines.
     *
     * @return the key.
     */
    String key()
    {
        return key;
    }

    /**
     * The counter of aborts for a reason.
     *
     * @param reason the abort reason.
     * @return its counter.
     */
    static SoakCounter abort(final AbortReason reason)
    {
        return ABORTS[reason.ordinal()];
    }

    /**
     * The counter named {@code key}.
     *
     * @param key a name from a {@code STATS} line.
     * @return the counter, or {@code null} for an unknown name.
     */
    static SoakCounter of(final String key)
    {
        for (final SoakCounter counter : VALUES)
        {
            if (counter.key.equals(key))
            {
                return counter;
            }
        }
        return null;
    }

    /**
     * A set of counters, one per {@link SoakCounter}, updated by any thread.
     *
     * <p>This class is threadsafe.
     */
    static final class Counters
    {
        private final AtomicLongArray values = new AtomicLongArray(VALUES.length);

        void increment(final SoakCounter counter)
        {
            values.incrementAndGet(counter.ordinal());
        }

        void add(final SoakCounter counter, final long delta)
        {
            values.addAndGet(counter.ordinal(), delta);
        }

        long get(final SoakCounter counter)
        {
            return values.get(counter.ordinal());
        }

        /** Operations done: blocks allocated and freed, references created, taken and dropped, transactions committed. */
        long operations()
        {
            long sum = 0;
            for (final SoakCounter counter : VALUES)
            {
                if (counter.operation)
                {
                    sum += get(counter);
                }
            }
            return sum;
        }

        /** The counters as {@code key=value} words, separated by spaces. */
        String format()
        {
            final StringBuilder text = new StringBuilder();
            for (final SoakCounter counter : VALUES)
            {
                if (text.length() > 0)
                {
                    text.append(' ');
                }
                text.append(counter.key).append('=').append(get(counter));
            }
            return text.toString();
        }

        /**
         * Sets the counters from a {@link #format()} text; unknown or malformed words are skipped.
         *
         * @param text the words.
         */
        void parse(final String text)
        {
            for (final String word : text.trim().split("\\s+"))
            {
                final int eq = word.indexOf('=');
                final SoakCounter counter = eq > 0 ? of(word.substring(0, eq)) : null;
                if (counter != null)
                {
                    try
                    {
                        values.set(counter.ordinal(), Long.parseLong(word.substring(eq + 1)));
                    }
                    catch (final NumberFormatException ex)
                    {
                        // a line cut short by a kill: the previous value stays
                    }
                }
            }
        }

        /** Adds every counter of {@code other} to this one. */
        void addAll(final Counters other)
        {
            for (final SoakCounter counter : VALUES)
            {
                add(counter, other.get(counter));
            }
        }
    }
}
