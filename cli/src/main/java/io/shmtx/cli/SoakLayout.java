package io.shmtx.cli;

import io.shmtx.deadlock.LockManager;
import io.shmtx.deadlock.LockManagerConfig;
import io.shmtx.deadlock.LockPolicy;
import io.shmtx.pool.Handles;
import io.shmtx.pool.PoolConfig;
import io.shmtx.pool.TieredPool;
import io.shmtx.refcount.RefCountConfig;
import io.shmtx.refcount.RefCounts;
import io.shmtx.region.Region;
import io.shmtx.region.RegionConfig;

import java.time.Duration;

import org.agrona.concurrent.AtomicBuffer;

/**
 * The soak's region and the blocks every soak process shares through it: one meta block bound to
 * the root {@value #ROOT} and {@value #ACCOUNTS} account blocks, all allocated and published by
 * the coordinator before any worker starts, so they are the only blocks legitimately allocated
 * once every worker is dead.
 *
 * <pre>
 * meta block (longs):  magic | account count | account handles x ACCOUNTS
 *                      | directory: handles of reference-counted blocks x DIRECTORY (0 = empty)
 *                      | mailbox: (token, handle) x MAILBOX: owned pool blocks handed between processes
 * account block:       witness token | witness stamp | counter | balance
 * </pre>
 *
 * <p>Mailbox entry protocol (every step a CAS or a volatile write on the region): a putter claims
 * an empty entry by CASing its token word 0 to its {@link Region#ownerToken()}, then writes the
 * handle word; a taker CASes the handle word from the handle it read to 0, then reads the token
 * word (still the putter's: nobody else writes it while the handle word is not 0 after a claim)
 * and empties the entry by writing the token word 0. An entry whose handle word is 0 and whose
 * token is gone (a putter or taker killed half-way) is emptied by the next taker with a CAS of the
 * token word. So a taker always knows which attachment put the block it took, and a block that
 * went stale in the mailbox is excused only when that attachment is gone (its recovery freed it).
 *
 * <p>Instances are immutable and threadsafe (the region words they address are shared).
 */
final class SoakLayout
{
    /** Root naming the meta block. */
    static final String ROOT = "soak.meta";
    /** Accounts of the lock-table transfers. */
    static final int ACCOUNTS = 16;
    /** Entries of the directory of shared (reference-counted) blocks. */
    static final int DIRECTORY = 32;
    /** Entries of the mailbox of pool blocks handed between processes. */
    static final int MAILBOX = 16;
    /** Lock table entries: fewer than twice the accounts, so some accounts share an entry. */
    static final int LOCKS = 32;
    /** Bound of every lock wait. */
    static final Duration MAX_WAIT = Duration.ofSeconds(1);
    /** Heartbeat and watchdog interval of the soak's region. */
    static final Duration WATCHDOG = Duration.ofMillis(100);
    /** Initial balance of each account. */
    static final long INITIAL_BALANCE = 1_000_000;

    static final long MAGIC = 0x534F414B4D455441L; // "SOAKMETA"
    static final int META_MAGIC = 0;
    static final int META_ACCOUNT_COUNT = 8;
    static final int META_ACCOUNTS = 16;
    static final int META_DIRECTORY = META_ACCOUNTS + ACCOUNTS * Long.BYTES;
    static final int META_MAILBOX = META_DIRECTORY + DIRECTORY * Long.BYTES;
    static final int MAILBOX_ENTRY = 2 * Long.BYTES;
    static final int META_BYTES = META_MAILBOX + MAILBOX * MAILBOX_ENTRY;

    static final int ACCOUNT_WITNESS_TOKEN = 0;
    static final int ACCOUNT_WITNESS_STAMP = 8;
    static final int ACCOUNT_COUNTER = 16;
    static final int ACCOUNT_BALANCE = 24;
    static final int ACCOUNT_BYTES = 32;

    private final TieredPool pool;
    private final AtomicBuffer buffer;
    private final long meta;
    private final int metaOffset;
    private final long[] accounts;
    private final int[] accountOffsets;

    private SoakLayout(final TieredPool pool, final long meta, final long[] accounts)
    {
        this.pool = pool;
        this.buffer = pool.buffer();
        this.meta = meta;
        this.metaOffset = pool.payloadOffset(meta);
        this.accounts = accounts.clone();
        this.accountOffsets = new int[accounts.length];
        for (int i = 0; i < accounts.length; i++)
        {
            accountOffsets[i] = pool.payloadOffset(accounts[i]);
        }
    }

    /**
     * The soak's pool: small tiers, so that blocks are reused quickly, the largest tier runs out
     * now and then (and has no cache: every operation on it goes to the shared list), and two
     * blocks per tier are an emergency reserve.
     *
     * @param threads worker threads per process (each gets its own thread cache).
     * @return the pool configuration.
     */
    static PoolConfig poolConfig(final int threads)
    {
        return PoolConfig.builder()
            .tier(32, 2048).tier(64, 2048).tier(256, 512).tier(1024, 128).tier(4096, 16)
            .emergencyReserve(2)
            .threadsPerProcess(threads)
            .build();
    }

    /**
     * The soak's region: pool, reference counts and lock table, {@code slots} process slots.
     *
     * @param slots   process slots: as many as workers, so a restarted worker often finds every
     *                slot taken and has to recover its predecessor's to attach.
     * @param threads worker threads per process.
     * @param policy  the lock table's policy.
     * @return the region configuration.
     */
    static RegionConfig regionConfig(final int slots, final int threads, final LockPolicy policy)
    {
        final PoolConfig poolConfig = poolConfig(threads);
        return RegionConfig.builder()
            .processSlots(slots)
            .rootSlots(8)
            .heartbeatInterval(WATCHDOG)
            .watchdogInterval(WATCHDOG)
            .section(TieredPool.section(poolConfig, slots))
            .section(RefCounts.section(poolConfig,
                RefCountConfig.builder().ledgerCapacity(256).threadsPerProcess(threads).build(), slots))
            .section(LockManager.section(LockManagerConfig.builder()
                .locks(LOCKS).transactionsPerProcess(threads + 1).policy(policy).maxWait(MAX_WAIT).build(), slots))
            .build();
    }

    /**
     * Allocates, fills and publishes the meta block and the accounts, and binds the root. Run
     * once, by the coordinator, attached, before any worker starts.
     *
     * @param region the new region, attached.
     * @param pool   its pool.
     * @return the layout.
     */
    static SoakLayout format(final Region region, final TieredPool pool)
    {
        final long meta = pool.allocate(META_BYTES);
        final AtomicBuffer buffer = pool.buffer();
        final int metaOffset = pool.payloadOffset(meta);
        buffer.setMemory(metaOffset, META_BYTES, (byte)0);
        final long[] accounts = new long[ACCOUNTS];
        for (int i = 0; i < ACCOUNTS; i++)
        {
            accounts[i] = pool.allocate(ACCOUNT_BYTES);
            final int offset = pool.payloadOffset(accounts[i]);
            buffer.setMemory(offset, ACCOUNT_BYTES, (byte)0);
            buffer.putLong(offset + ACCOUNT_BALANCE, INITIAL_BALANCE);
            pool.publish(accounts[i]);
            buffer.putLong(metaOffset + META_ACCOUNTS + i * Long.BYTES, accounts[i]);
        }
        buffer.putLong(metaOffset + META_ACCOUNT_COUNT, ACCOUNTS);
        buffer.putLongVolatile(metaOffset + META_MAGIC, MAGIC);
        pool.publish(meta);
        region.bindRoot(ROOT, meta);
        return new SoakLayout(pool, meta, accounts);
    }

    /**
     * The layout of a soak region, every handle read from it checked.
     *
     * @param region the region.
     * @param pool   its pool.
     * @return the layout.
     * @throws CliException when the region holds no soak layout or a handle in it is not live.
     */
    static SoakLayout open(final Region region, final TieredPool pool)
    {
        final long meta = region.findRoot(ROOT);
        if (meta == 0 || !pool.isLive(meta) || pool.blockSize(meta) < META_BYTES)
        {
            throw new CliException("region " + region.file() + ": root " + ROOT + " is "
                + (meta == 0 ? "not bound" : Handles.toString(meta) + ", not a live block of " + META_BYTES + "+ bytes")
                + ": not a soak region");
        }
        final AtomicBuffer buffer = pool.buffer();
        final int metaOffset = pool.payloadOffset(meta);
        final long magic = buffer.getLongVolatile(metaOffset + META_MAGIC);
        final long count = buffer.getLong(metaOffset + META_ACCOUNT_COUNT);
        if (magic != MAGIC || count != ACCOUNTS)
        {
            throw new CliException("region " + region.file() + ": meta block " + Handles.toString(meta) + " has magic 0x"
                + Long.toHexString(magic) + " and " + count + " accounts, expected 0x" + Long.toHexString(MAGIC)
                + " and " + ACCOUNTS);
        }
        final long[] accounts = new long[ACCOUNTS];
        for (int i = 0; i < ACCOUNTS; i++)
        {
            accounts[i] = buffer.getLong(metaOffset + META_ACCOUNTS + i * Long.BYTES);
            if (!pool.isLive(accounts[i]) || pool.blockSize(accounts[i]) < ACCOUNT_BYTES)
            {
                throw new CliException("region " + region.file() + ": account " + i + " names "
                    + Handles.toString(accounts[i]) + ", not a live block of " + ACCOUNT_BYTES + "+ bytes");
            }
        }
        return new SoakLayout(pool, meta, accounts);
    }

    /** The region buffer (every offset below is into it). */
    AtomicBuffer buffer()
    {
        return buffer;
    }

    /** The meta block's handle. */
    long meta()
    {
        return meta;
    }

    /** Account {@code i}'s handle: the key of its lock. */
    long account(final int i)
    {
        return accounts[i];
    }

    /** Offset of account {@code i}'s field at {@code field} (one of the ACCOUNT_ offsets). */
    int accountField(final int i, final int field)
    {
        return accountOffsets[i] + field;
    }

    /** Offset of directory entry {@code i}. */
    int directory(final int i)
    {
        return metaOffset + META_DIRECTORY + i * Long.BYTES;
    }

    /** Offset of mailbox entry {@code i}'s token word. */
    int mailboxToken(final int i)
    {
        return metaOffset + META_MAILBOX + i * MAILBOX_ENTRY;
    }

    /** Offset of mailbox entry {@code i}'s handle word. */
    int mailboxHandle(final int i)
    {
        return mailboxToken(i) + Long.BYTES;
    }

    /** Blocks the layout keeps allocated for ever: the meta block and the accounts. */
    static int persistentBlocks()
    {
        return 1 + ACCOUNTS;
    }

    /** The pool this layout lives in. */
    TieredPool pool()
    {
        return pool;
    }
}
