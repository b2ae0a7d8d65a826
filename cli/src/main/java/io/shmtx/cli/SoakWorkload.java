package io.shmtx.cli;

import io.shmtx.deadlock.LockManager;
import io.shmtx.deadlock.TxAbortedException;
import io.shmtx.deadlock.Txn;
import io.shmtx.pool.DoubleFreeException;
import io.shmtx.pool.Handles;
import io.shmtx.pool.PoolExhaustedException;
import io.shmtx.pool.PooledBlock;
import io.shmtx.pool.Priority;
import io.shmtx.pool.StaleHandleException;
import io.shmtx.pool.TieredPool;
import io.shmtx.refcount.RefCounts;
import io.shmtx.region.Region;

import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.AtomicBuffer;

/**
 * One soak worker thread: a random mix of pool, reference-count, lock-table and recovery work on
 * the shared {@link SoakLayout}, each operation checking what the modules promise with a witness
 * only a broken promise can upset.
 *
 * <ul>
 *   <li>Pool: every block this thread allocates gets a stamp unique to the allocation and its own
 *       handle; both are checked before the free. A block handed to two owners at once shows as
 *       a stamp that changed under its owner.</li>
 *   <li>Mailbox: an owned block is handed to whichever thread (usually of another process) takes
 *       it and frees it (see {@link SoakLayout} for the entry protocol). A block that is stale
 *       when taken is excused only when the attachment that put it is gone.</li>
 *   <li>Reference counts: a shared block holds its own handle in its first word and is listed in
 *       the directory; a thread that retains one checks the word, and checks it again before it
 *       releases. A block freed while referenced shows as a handle that changed or a handle no
 *       longer live.</li>
 *   <li>Lock table: under its exclusive locks a transfer writes its attachment's token and a
 *       stamp unique to the operation in each account's witness words, updates the counters and
 *       balances, and checks both words before clearing them; a witness of a live attachment found
 *       on entry, or a witness changed meanwhile, is an isolation failure (a witness of a gone
 *       attachment was left by a holder killed inside: counted, expected). An audit under shared
 *       locks reads each counter twice around a yield: a change, or a live witness, is an
 *       isolation failure. Every lock is taken before any witness is written, so an abort (which
 *       releases the locks) never leaves this thread's witness behind.</li>
 *   <li>Recovery: now and then a thread calls {@link Region#recoverDeadSlots()}, so recoverers race
 *       inside one process (with the watchdog and the other threads) and across processes.</li>
 * </ul>
 *
 * <p>Not threadsafe: one instance per thread; the counters and the failure sink are shared.
 */
final class SoakWorkload implements Runnable
{
    /** Where failures go (the worker prints them at once). */
    interface FailureSink
    {
        /**
         * Reports a failure.
         *
         * @param kind short name: {@code isolation}, {@code pool}, {@code refs}, {@code unexpected}, ...
         * @param text what happened, naming handles, slots and values.
         */
        void fail(String kind, String text);
    }

    private static final int[] SIZES = {24, 32, 48, 64, 100, 200, 256, 700, 1000, 3000, 4000};
    private static final int MAX_OWNED = 16;
    private static final int MAX_HELD = 8;
    private static final int MAX_ATTEMPTS = 50;
    /** Backoff after an abort: up to this much per attempt so far (at most 20 of them: 1 ms). */
    private static final long BACKOFF_NANOS = 50_000;

    private final Region region;
    private final TieredPool pool;
    private final RefCounts refs;
    private final LockManager locks;
    private final SoakLayout layout;
    private final AtomicBuffer buffer;
    private final SoakCounter.Counters counters;
    private final FailureSink sink;
    private final SplittableRandom random;
    private final long stampBase;
    private final long token;
    private final long[] owned = new long[MAX_OWNED];
    private final long[] ownedStamps = new long[MAX_OWNED];
    private int ownedCount;
    private final long[] held = new long[MAX_HELD];
    private int heldCount;
    private long sequence;
    private volatile long progressNanos = System.nanoTime();
    private volatile String operation = "starting";

    /**
     * A workload for one thread.
     *
     * @param region    the region, attached.
     * @param pool      its pool.
     * @param refs      its reference counts.
     * @param locks     its lock table.
     * @param layout    the soak's shared blocks.
     * @param counters  the process's counters.
     * @param sink      where failures go.
     * @param seed      this thread's random seed.
     * @param stampBase bits unique to this thread of this process (stamps add a sequence to them).
     */
    SoakWorkload(final Region region, final TieredPool pool, final RefCounts refs, final LockManager locks,
        final SoakLayout layout, final SoakCounter.Counters counters, final FailureSink sink, final long seed,
        final long stampBase)
    {
        this.region = region;
        this.pool = pool;
        this.refs = refs;
        this.locks = locks;
        this.layout = layout;
        this.buffer = layout.buffer();
        this.counters = counters;
        this.sink = sink;
        this.random = new SplittableRandom(seed);
        this.stampBase = stampBase;
        this.token = region.ownerToken();
    }

    /** {@link System#nanoTime()} when this thread last finished an operation. */
    long progressNanos()
    {
        return progressNanos;
    }

    /** The operation under way, for a stuck-thread report. */
    String operation()
    {
        return operation;
    }

    @Override
    public void run()
    {
        while (!Thread.currentThread().isInterrupted())
        {
            final int r = random.nextInt(100);
            final String op = r < 35 ? "pool" : r < 60 ? "refs" : r < 98 ? "locks" : "recover";
            operation = op;
            try
            {
                switch (op)
                {
                    case "pool": poolOperation(); break;
                    case "refs": refsOperation(); break;
                    case "locks": lockOperation(); break;
                    default: recover(); break;
                }
            }
            catch (final RuntimeException | Error ex)
            {
                sink.fail("unexpected", op + ": " + describe(ex));
                pause();
            }
            progressNanos = System.nanoTime();
        }
    }

    // ------------------------------------------------------------------ pool

    private void poolOperation()
    {
        final int r = random.nextInt(100);
        if (ownedCount == MAX_OWNED || (r < 45 && ownedCount > 0))
        {
            freeOwned(random.nextInt(ownedCount));
        }
        else if (r < 85)
        {
            allocateOwned();
        }
        else if (r < 90)
        {
            scopedBlock();
        }
        else if (r < 95)
        {
            mailboxPut();
        }
        else
        {
            mailboxTake();
        }
    }

    private void allocateOwned()
    {
        final int size = SIZES[random.nextInt(SIZES.length)];
        final Priority priority = random.nextInt(50) == 0 ? Priority.CRITICAL : Priority.NORMAL;
        final long handle;
        if (random.nextBoolean())
        {
            handle = pool.tryAllocate(size, priority);
        }
        else
        {
            handle = allocateOrZero(size, priority);
        }
        if (handle == 0)
        {
            counters.increment(SoakCounter.POOL_EXHAUSTED);
            return;
        }
        final long stamp = nextStamp();
        pool.putLong(handle, 0, stamp);
        pool.putLong(handle, 8, handle);
        owned[ownedCount] = handle;
        ownedStamps[ownedCount] = stamp;
        ownedCount++;
        counters.increment(SoakCounter.POOL_ALLOCATE);
    }

    private long allocateOrZero(final int size, final Priority priority)
    {
        try
        {
            return pool.allocate(size, priority);
        }
        catch (final PoolExhaustedException ex)
        {
            return 0;
        }
    }

    private long removeOwned(final int i)
    {
        final long handle = owned[i];
        ownedCount--;
        owned[i] = owned[ownedCount];
        ownedStamps[i] = ownedStamps[ownedCount];
        return handle;
    }

    private void freeOwned(final int i)
    {
        final long stamp = ownedStamps[i];
        final long handle = removeOwned(i);
        final long foundStamp = pool.getLong(handle, 0);
        final long foundHandle = pool.getLong(handle, 8);
        if (foundStamp != stamp || foundHandle != handle)
        {
            sink.fail("isolation", "pool block " + Handles.toString(handle) + " owned by this thread holds stamp "
                + hex(foundStamp) + " and handle " + hex(foundHandle) + ", written " + hex(stamp) + " and "
                + hex(handle) + ": the block was handed to another owner meanwhile (live: " + pool.isLive(handle) + ")");
        }
        pool.free(handle);
        counters.increment(SoakCounter.POOL_FREE);
    }

    private void scopedBlock()
    {
        final int size = SIZES[random.nextInt(SIZES.length)];
        final PooledBlock block;
        try
        {
            block = pool.allocateBlock(size);
        }
        catch (final PoolExhaustedException ex)
        {
            counters.increment(SoakCounter.POOL_EXHAUSTED);
            return;
        }
        try (block)
        {
            counters.increment(SoakCounter.POOL_ALLOCATE);
            final long stamp = nextStamp();
            block.putLong(0, stamp);
            Thread.yield();
            final long found = block.getLong(0);
            if (found != stamp)
            {
                sink.fail("isolation", "pool block " + Handles.toString(block.handle()) + " (allocateBlock) holds "
                    + hex(found) + " after this thread wrote " + hex(stamp) + ": handed to another owner meanwhile");
            }
        }
        counters.increment(SoakCounter.POOL_FREE);
    }

    /** Hands an owned block to the mailbox (see {@link SoakLayout}: claim the token word, then write the handle). */
    private void mailboxPut()
    {
        if (ownedCount == 0)
        {
            allocateOwned();
            return;
        }
        final int entry = random.nextInt(SoakLayout.MAILBOX);
        if (!buffer.compareAndSetLong(layout.mailboxToken(entry), 0, token))
        {
            return; // in use
        }
        final long handle = removeOwned(ownedCount - 1);
        buffer.putLongVolatile(layout.mailboxHandle(entry), handle);
        counters.increment(SoakCounter.POOL_MAILBOX_PUT);
    }

    /** Takes a block from the mailbox and frees it, or empties an entry a gone putter or taker left half-done. */
    private void mailboxTake()
    {
        final int entry = random.nextInt(SoakLayout.MAILBOX);
        final int tokenOffset = layout.mailboxToken(entry);
        final int handleOffset = layout.mailboxHandle(entry);
        final long seenToken = buffer.getLongVolatile(tokenOffset);
        final long handle = buffer.getLongVolatile(handleOffset);
        if (handle == 0)
        {
            if (seenToken != 0 && region.isOwnerGone(seenToken))
            {
                buffer.compareAndSetLong(tokenOffset, seenToken, 0);
            }
            return;
        }
        if (!buffer.compareAndSetLong(handleOffset, handle, 0))
        {
            return; // another taker was first
        }
        final long putter = buffer.getLongVolatile(tokenOffset);
        buffer.putLongVolatile(tokenOffset, 0);
        if (!pool.isLive(handle) || pool.getLong(handle, 8) != handle)
        {
            excuseOrFail(putter, handle, "is no longer live (or no longer holds its handle) when taken from the mailbox");
            return;
        }
        try
        {
            pool.free(handle);
            counters.increment(SoakCounter.POOL_MAILBOX_FREE);
        }
        catch (final StaleHandleException | DoubleFreeException ex)
        {
            excuseOrFail(putter, handle, "could not be freed by its taker: " + ex.getMessage());
        }
    }

    private void excuseOrFail(final long putter, final long handle, final String what)
    {
        if (region.isOwnerGone(putter))
        {
            counters.increment(SoakCounter.POOL_MAILBOX_ORPHAN); // its putter died: recovery freed it
        }
        else
        {
            sink.fail("pool", "mailbox block " + Handles.toString(handle) + " put by live attachment " + hex(putter)
                + " " + what);
        }
    }

    // ------------------------------------------------------------------ reference counts

    private void refsOperation()
    {
        final int r = random.nextInt(100);
        if (heldCount == MAX_HELD || (r < 45 && heldCount > 0))
        {
            releaseHeld(random.nextInt(heldCount));
        }
        else if (r < 65)
        {
            createShared();
        }
        else
        {
            retainFromDirectory();
        }
    }

    private void createShared()
    {
        final long handle;
        try
        {
            handle = refs.allocate(random.nextBoolean() ? 48 : 200);
        }
        catch (final PoolExhaustedException ex)
        {
            counters.increment(SoakCounter.POOL_EXHAUSTED);
            return;
        }
        pool.putLong(handle, 0, handle);
        pool.putLong(handle, 8, nextStamp());
        held[heldCount++] = handle;
        counters.increment(SoakCounter.REFS_CREATE);
        buffer.compareAndSetLong(layout.directory(random.nextInt(SoakLayout.DIRECTORY)), 0, handle);
    }

    private void retainFromDirectory()
    {
        final int entry = layout.directory(random.nextInt(SoakLayout.DIRECTORY));
        final long handle = buffer.getLongVolatile(entry);
        if (handle == 0)
        {
            createShared();
            return;
        }
        try
        {
            refs.retain(handle);
        }
        catch (final StaleHandleException ex)
        {
            counters.increment(SoakCounter.REFS_STALE);
            buffer.compareAndSetLong(entry, handle, 0);
            return;
        }
        held[heldCount++] = handle;
        counters.increment(SoakCounter.REFS_RETAIN);
        checkReferenced(handle, "just retained");
    }

    private void releaseHeld(final int i)
    {
        final long handle = held[i];
        heldCount--;
        held[i] = held[heldCount];
        checkReferenced(handle, "about to be released");
        final boolean zero = refs.release(handle);
        counters.increment(SoakCounter.REFS_RELEASE);
        if (zero)
        {
            counters.increment(SoakCounter.REFS_ZERO);
            for (int e = 0; e < SoakLayout.DIRECTORY; e++)
            {
                buffer.compareAndSetLong(layout.directory(e), handle, 0);
            }
        }
    }

    private void checkReferenced(final long handle, final String when)
    {
        final boolean live = pool.isLive(handle);
        final long first = live ? pool.getLong(handle, 0) : 0;
        if (!live || first != handle)
        {
            sink.fail("isolation", "shared block " + Handles.toString(handle) + " " + when + " by this thread"
                + (live ? " holds " + hex(first) + " instead of its handle" : " is no longer live")
                + ": freed while referenced (count now " + refs.count(handle) + ", held here " + refs.held(handle) + ")");
        }
    }

    // ------------------------------------------------------------------ lock table

    private void lockOperation()
    {
        final boolean transfer = random.nextInt(100) < 70;
        final int a = random.nextInt(SoakLayout.ACCOUNTS);
        final int b = (a + 1 + random.nextInt(SoakLayout.ACCOUNTS - 1)) % SoakLayout.ACCOUNTS;
        final int c = random.nextInt(SoakLayout.ACCOUNTS);
        final boolean upgrade = random.nextInt(100) < 15;
        try (Txn tx = locks.begin(random.nextInt(20) == 0 ? 1 + random.nextInt(255) : 0))
        {
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    if (transfer)
                    {
                        transfer(tx, a, b, upgrade);
                    }
                    else
                    {
                        audit(tx, a, b, c, upgrade);
                    }
                    return;
                }
                catch (final TxAbortedException ex)
                {
                    counters.increment(SoakCounter.abort(ex.reason()));
                    if (attempt == MAX_ATTEMPTS)
                    {
                        counters.increment(SoakCounter.LOCKS_GAVE_UP);
                        return;
                    }
                    tx.restart(); // keeps its age: it gets older than the others and goes through
                    LockSupport.parkNanos(1 + random.nextLong(Math.min(attempt, 20) * BACKOFF_NANOS));
                }
            }
        }
    }

    private void transfer(final Txn tx, final int a, final int b, final boolean upgrade)
    {
        if (upgrade)
        {
            tx.lockShared(layout.account(a));
        }
        tx.lockExclusive(layout.account(a));
        tx.lockExclusive(layout.account(b));
        final long stamp = nextStamp();
        enter(a, stamp);
        try
        {
            enter(b, stamp);
            try
            {
                final long amount = 1 + random.nextInt(100);
                add(a, SoakLayout.ACCOUNT_COUNTER, 1);
                add(b, SoakLayout.ACCOUNT_COUNTER, 1);
                add(a, SoakLayout.ACCOUNT_BALANCE, -amount);
                if (random.nextInt(4) == 0)
                {
                    Thread.yield(); // widen the window an isolation failure would need
                }
                add(b, SoakLayout.ACCOUNT_BALANCE, amount);
            }
            finally
            {
                leave(b, stamp);
            }
        }
        finally
        {
            leave(a, stamp);
        }
        tx.commit();
        counters.increment(SoakCounter.LOCKS_TRANSFER);
    }

    private void audit(final Txn tx, final int a, final int b, final int c, final boolean upgrade)
    {
        tx.lockShared(layout.account(a));
        tx.lockShared(layout.account(b));
        if (c != a && c != b)
        {
            tx.lockShared(layout.account(c));
        }
        checkShared(a);
        checkShared(b);
        if (upgrade)
        {
            tx.lockExclusive(layout.account(a)); // upgrade: two upgraders of one account conflict, the policy decides
            final long stamp = nextStamp();
            enter(a, stamp);
            try
            {
                add(a, SoakLayout.ACCOUNT_COUNTER, 1);
            }
            finally
            {
                leave(a, stamp);
            }
        }
        tx.commit();
        counters.increment(SoakCounter.LOCKS_AUDIT);
    }

    /** Under the exclusive lock of account {@code i}: check nobody live is inside, then write the witness. */
    private void enter(final int i, final long stamp)
    {
        final long found = buffer.getLongVolatile(layout.accountField(i, SoakLayout.ACCOUNT_WITNESS_TOKEN));
        if (found != 0)
        {
            final long foundStamp = buffer.getLongVolatile(layout.accountField(i, SoakLayout.ACCOUNT_WITNESS_STAMP));
            if (region.isOwnerGone(found))
            {
                counters.increment(SoakCounter.LOCKS_STALE_WITNESS);
            }
            else
            {
                sink.fail("isolation", "account " + i + " (" + Handles.toString(layout.account(i)) + "): exclusive lock "
                    + "granted while live attachment " + hex(found) + " (slot " + slotOf(found) + ", stamp "
                    + hex(foundStamp) + ") is inside; this attachment " + hex(token) + " (slot " + region.slot() + ")");
            }
        }
        buffer.putLongVolatile(layout.accountField(i, SoakLayout.ACCOUNT_WITNESS_STAMP), stamp);
        buffer.putLongVolatile(layout.accountField(i, SoakLayout.ACCOUNT_WITNESS_TOKEN), token);
    }

    /** Still under the lock: the witness must be this operation's; clear it. */
    private void leave(final int i, final long stamp)
    {
        final long foundToken = buffer.getLongVolatile(layout.accountField(i, SoakLayout.ACCOUNT_WITNESS_TOKEN));
        final long foundStamp = buffer.getLongVolatile(layout.accountField(i, SoakLayout.ACCOUNT_WITNESS_STAMP));
        if (foundToken != token || foundStamp != stamp)
        {
            sink.fail("isolation", "account " + i + " (" + Handles.toString(layout.account(i)) + "): witness changed "
                + "under this transaction's exclusive lock: found " + hex(foundToken) + " (slot " + slotOf(foundToken)
                + ") stamp " + hex(foundStamp) + ", wrote " + hex(token) + " stamp " + hex(stamp));
        }
        buffer.putLongVolatile(layout.accountField(i, SoakLayout.ACCOUNT_WITNESS_TOKEN), 0);
        buffer.putLongVolatile(layout.accountField(i, SoakLayout.ACCOUNT_WITNESS_STAMP), 0);
    }

    /** Under a shared lock: no live exclusive holder inside, and the counter does not move. */
    private void checkShared(final int i)
    {
        final int counter = layout.accountField(i, SoakLayout.ACCOUNT_COUNTER);
        final long before = buffer.getLongVolatile(counter);
        Thread.yield();
        final long after = buffer.getLongVolatile(counter);
        final long inside = buffer.getLongVolatile(layout.accountField(i, SoakLayout.ACCOUNT_WITNESS_TOKEN));
        if (before != after || (inside != 0 && !region.isOwnerGone(inside)))
        {
            sink.fail("isolation", "account " + i + " (" + Handles.toString(layout.account(i)) + ") under a shared lock: "
                + "counter " + before + " then " + after + ", witness " + hex(inside)
                + (inside != 0 ? " (slot " + slotOf(inside) + ", " + (region.isOwnerGone(inside) ? "gone" : "live") + ")" : ""));
        }
    }

    private void add(final int i, final int field, final long delta)
    {
        final int offset = layout.accountField(i, field);
        buffer.putLong(offset, buffer.getLong(offset) + delta); // plain read-modify-write: only the lock protects it
    }

    // ------------------------------------------------------------------ recovery

    private void recover()
    {
        counters.increment(SoakCounter.RECOVER_CALLS);
        region.recoverDeadSlots(); // the slots it recovers are counted by the worker's listener, with the watchdog's
    }

    // ------------------------------------------------------------------ helpers

    private long nextStamp()
    {
        return stampBase + ++sequence;
    }

    private static void pause()
    {
        try
        {
            Thread.sleep(1);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static int slotOf(final long token)
    {
        return (int)(token & 0x1FFF) - 1;
    }

    private static String hex(final long value)
    {
        return "0x" + Long.toHexString(value);
    }

    /**
     * An exception as one line: its class, message and where it was thrown (the first frames),
     * with its causes.
     *
     * @param ex the exception.
     * @return the text.
     */
    static String describe(final Throwable ex)
    {
        final StringBuilder text = new StringBuilder();
        Throwable t = ex;
        for (int depth = 0; t != null && depth < 3; depth++, t = t.getCause())
        {
            if (depth > 0)
            {
                text.append("; caused by ");
            }
            text.append(t);
            final StackTraceElement[] frames = t.getStackTrace();
            for (int f = 0; f < Math.min(4, frames.length); f++)
            {
                text.append(f == 0 ? " at " : " < ").append(frames[f]);
            }
        }
        return text.toString().replaceAll("\\s*\\R\\s*", " ");
    }
}
