package io.shmtx.stress;

import io.shmtx.deadlock.LockManager;
import io.shmtx.deadlock.LockManagerConfig;
import io.shmtx.deadlock.LockPolicy;
import io.shmtx.deadlock.Txn;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A JVM-wide region with a lock table ({@link LockManager}, policy {@link LockPolicy#NO_WAIT})
 * that the jcstress states of the lock tests share, created, opened and attached once per JVM
 * on first use; one transaction per thread; and a key of its own for each state.
 *
 * <p>This class is threadsafe: the holder is initialised once by the JVM, keys are handed out
 * with one atomic increment, and transactions are leased under a lock (once per thread).
 *
 * <p><b>Non-blocking.</b> Under NO_WAIT a conflicting lock request aborts its transaction at
 * once instead of waiting, so {@link Txn#tryLock} answers GRANTED or ABORTED and a jcstress actor
 * never blocks, whatever the other actor does.
 *
 * <p><b>Transactions.</b> A transaction takes a transaction cell of this JVM's process slot
 * until it is closed, and jcstress starts new threads all the time (about 500 in a quick-mode
 * fork) and never says when one ends. So each thread leases one {@link Txn} on its first use
 * ({@link #txn()}) and keeps it; a thread that finds no lease free takes over the transaction of
 * a thread that has ended ({@link Thread#isAlive()} false, which also makes everything that
 * thread did visible), else begins a new one. The cells in use are bounded by the threads alive
 * at once, far below {@link #TRANSACTIONS}. A user of the transaction leaves it active and
 * holding nothing: after a commit or an abort it calls {@link Txn#restart()}.
 *
 * <p><b>Keys.</b> Each state locks a key of its own ({@link #nextKey()}), and the keys are
 * chosen so that they hash onto distinct lock entries: {@link #ENTRIES} entries are handed out
 * round-robin, 25 times more than the 10,240 states a quick-mode epoch holds at most, so two
 * states alive at once never share an entry (a shared entry would let one state's actors see
 * the other's holders as conflicts, and its arbiter find the entry held).
 *
 * <p>The region file is created in {@code /dev/shm} (or the temporary folder) under a unique
 * name and deleted as soon as this process has attached, as in {@link SharedPools}.
 */
final class SharedLocks
{
    /** Process slots of the region, as in the other stress regions. */
    static final int SLOTS = SharedPools.SLOTS;

    /** Lock entries: 2^18 of 64 bytes, 16 MiB, touched as used. */
    static final int ENTRIES = 1 << 18;

    /** Transaction cells of a process slot: the threads alive at once that may hold a lease. */
    static final int TRANSACTIONS = 256;

    /** NO_WAIT: a conflict aborts the requester at once (maxWait is then never waited for). */
    static final LockManagerConfig CONFIG = LockManagerConfig.builder()
        .locks(ENTRIES)
        .transactionsPerProcess(TRANSACTIONS)
        .policy(LockPolicy.NO_WAIT)
        .maxWait(Duration.ofSeconds(1))
        .build();

    private static final AtomicInteger NEXT_KEY = new AtomicInteger();

    private static final List<Lease> LEASES = new ArrayList<>();

    private static final ThreadLocal<Txn> TXN = ThreadLocal.withInitial(SharedLocks::lease);

    private SharedLocks()
    {
    }

    /**
     * The lock manager.
     *
     * @return the lock manager, its region created and attached on first use.
     */
    static LockManager locks()
    {
        return Holder.LOCKS;
    }

    /**
     * The calling thread's transaction: active, holding nothing between uses.
     *
     * @return the transaction, leased on the thread's first call.
     */
    static Txn txn()
    {
        return TXN.get();
    }

    /**
     * A key whose lock entry no other state alive uses.
     *
     * @return the key.
     */
    static long nextKey()
    {
        return Holder.KEYS[NEXT_KEY.getAndIncrement() & (ENTRIES - 1)];
    }

    private static Txn lease()
    {
        final Thread me = Thread.currentThread();
        synchronized (LEASES)
        {
            for (final Lease lease : LEASES)
            {
                if (!lease.thread.isAlive())
                {
                    lease.thread = me;
                    lease.txn.restart(); // holds nothing already; leaves it active either way
                    return lease.txn;
                }
            }
            final Txn txn = locks().begin();
            LEASES.add(new Lease(me, txn));
            return txn;
        }
    }

    /** A transaction and the thread using it. Guarded by {@link #LEASES}. */
    private static final class Lease
    {
        Thread thread;
        final Txn txn;

        Lease(final Thread thread, final Txn txn)
        {
            this.thread = thread;
            this.txn = txn;
        }
    }

    private static final class Holder
    {
        static final LockManager LOCKS;
        static final long[] KEYS;

        static
        {
            LOCKS = SharedPools.openAttached("locks", LockManager.section(CONFIG, SLOTS), LockManager::open);
            KEYS = keysOfEveryEntry(LOCKS);
        }

        /**
         * For each entry a key that hashes onto it, found with the public {@link LockManager#lockIndex}
         * over pseudo-random keys (about ENTRIES x ln(ENTRIES) = 3.3 million tries, a few tens of
         * milliseconds). Consecutive keys would not do: the multiplicative hash lays them on a
         * lattice that reaches some entries only after millions of keys.
         */
        private static long[] keysOfEveryEntry(final LockManager locks)
        {
            final long[] keys = new long[ENTRIES];
            final SplittableRandom random = new SplittableRandom(ENTRIES);
            int missing = ENTRIES;
            for (long tries = 0; missing > 0; tries++)
            {
                if (tries > 64L * ENTRIES)
                {
                    throw new IllegalStateException(missing + " of " + ENTRIES + " lock entries have no key among "
                        + tries + " random keys: the hash does not spread keys over the table");
                }
                final long key = random.nextLong();
                final int index = locks.lockIndex(key);
                if (keys[index] == 0 && key != 0)
                {
                    keys[index] = key;
                    missing--;
                }
            }
            return keys;
        }
    }
}
