package io.shmtx.region;

import static io.shmtx.region.RootsDescriptor.*;

import io.shmtx.barriers.Barriers;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.agrona.concurrent.AtomicBuffer;

/**
 * The named-roots directory: fixed slots mapping a name to a handle.
 *
 * <p>This class is threadsafe and safe across processes.
 *
 * <p>Algorithm. Writers (bind, unbind) serialise on the roots lock, a header word holding the
 * owner's slot and claim sequence; a writer that finds the holder dead (its slot lock dropped
 * by the kernel, or its slot reused) steals the lock with a CAS and repairs the slots the holder
 * left half-written. A slot is written under a seqlock: the version goes odd (volatile store,
 * then a store-store fence), the handle and name are written plainly, and the version goes even
 * again with a release store. Readers never lock: they read the version (acquire), the fields
 * (plain), a load-load fence, and the version again; equal even versions mean a consistent
 * read. A slot left odd by a dead writer is skipped by readers and freed by the repair, so a
 * bind interrupted by a crash is as if it never happened, and an interrupted unbind completes.
 */
final class Roots
{
    private static final long LOCK_WAIT_NANOS = 5_000_000_000L;
    private static final int READ_RETRIES = 10_000;

    private final Region region;
    private final AtomicBuffer buffer;
    private final Path file;
    private final int base;
    private final int count;

    Roots(final Region region, final AtomicBuffer buffer, final Path file, final int base, final int count)
    {
        this.region = region;
        this.buffer = buffer;
        this.file = file;
        this.base = base;
        this.count = count;
    }

    static void checkName(final String name)
    {
        if (name == null || name.isEmpty() || name.length() > MAX_NAME_LENGTH)
        {
            throw new IllegalArgumentException("root name '" + name + "' must have 1.." + MAX_NAME_LENGTH + " characters");
        }
        for (int i = 0; i < name.length(); i++)
        {
            final char c = name.charAt(i);
            final boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '_' || c == '-' || c == '.' || c == ':' || c == '/';
            if (!ok)
            {
                throw new IllegalArgumentException("root name '" + name + "' has character '" + c + "' at " + i
                    + "; allowed: letters, digits and _ - . : /");
            }
        }
    }

    long find(final String name)
    {
        checkName(name);
        for (int i = 0; i < count; i++)
        {
            final long handle = readIfNamed(i, name);
            if (handle != 0)
            {
                return handle;
            }
        }
        return 0;
    }

    Map<String, Long> snapshot()
    {
        return snapshot(null);
    }

    /**
     * The bound roots; with {@code problems}, a slot that cannot be read (a corrupt name length)
     * is left out and named there instead of failing the whole snapshot.
     */
    Map<String, Long> snapshot(final List<String> problems)
    {
        final Map<String, Long> result = new LinkedHashMap<>();
        final byte[] name = new byte[MAX_NAME_LENGTH];
        for (int i = 0; i < count; i++)
        {
            final int slot = slotOffset(i);
            for (int attempt = 0; attempt < READ_RETRIES; attempt++)
            {
                final long v1 = buffer.getLongAcquire(slot + VERSION_OFFSET);
                if ((v1 & 1) != 0)
                {
                    Thread.onSpinWait();
                    continue;
                }
                final long handle = buffer.getLong(slot + HANDLE_OFFSET);
                final int length = buffer.getInt(slot + NAME_LENGTH_OFFSET);
                buffer.getBytes(slot + NAME_OFFSET, name, 0, MAX_NAME_LENGTH);
                Barriers.loadLoad();
                if (buffer.getLong(slot + VERSION_OFFSET) != v1)
                {
                    continue;
                }
                if (handle != 0)
                {
                    try
                    {
                        checkLength(i, length);
                    }
                    catch (final RegionFormatException ex)
                    {
                        if (problems == null)
                        {
                            throw ex;
                        }
                        problems.add(ex.getMessage());
                        break;
                    }
                    result.put(new String(name, 0, length, StandardCharsets.US_ASCII), handle);
                }
                break;
            }
        }
        return result;
    }

    void bind(final String name, final long handle)
    {
        checkName(name);
        if (handle == 0)
        {
            throw new IllegalArgumentException("root '" + name + "': handle=0 is the null handle and cannot be bound");
        }
        lock();
        try
        {
            int free = -1;
            for (int i = 0; i < count; i++)
            {
                final long existing = readIfNamed(i, name);
                if (existing != 0)
                {
                    throw new RootException(file, name, "already bound to handle=0x" + Long.toHexString(existing)
                        + " (unbind it first)");
                }
                if (free < 0 && buffer.getLongVolatile(slotOffset(i) + HANDLE_OFFSET) == 0)
                {
                    free = i;
                }
            }
            if (free < 0)
            {
                throw new RootException(file, name, "the roots table is full: capacity=" + count + " roots");
            }
            final int slot = slotOffset(free);
            final byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
            final long version = buffer.getLongVolatile(slot + VERSION_OFFSET);
            buffer.putLongVolatile(slot + VERSION_OFFSET, version + 1);
            Barriers.storeStore();
            buffer.putLong(slot + HANDLE_OFFSET, handle);
            buffer.putInt(slot + NAME_LENGTH_OFFSET, bytes.length);
            buffer.setMemory(slot + NAME_OFFSET, MAX_NAME_LENGTH, (byte)0);
            buffer.putBytes(slot + NAME_OFFSET, bytes);
            buffer.putLongRelease(slot + VERSION_OFFSET, version + 2);
        }
        finally
        {
            unlock();
        }
    }

    long unbind(final String name)
    {
        checkName(name);
        lock();
        try
        {
            for (int i = 0; i < count; i++)
            {
                final long existing = readIfNamed(i, name);
                if (existing != 0)
                {
                    clearSlot(slotOffset(i));
                    return existing;
                }
            }
            throw new RootException(file, name, "is not bound");
        }
        finally
        {
            unlock();
        }
    }

    /**
     * Releases the roots lock if a token of {@code slot} holds it, repairing half-written slots.
     * Called by recovery while the dead slot is claimed: no attachment of the slot is alive then,
     * and recovery steps never take the roots lock, so whatever token of the slot holds it is gone.
     *
     * @return whether the dead process held the lock.
     */
    boolean releaseIfHeldBy(final int slot)
    {
        final long word = buffer.getLongVolatile(RegionDescriptor.ROOTS_LOCK_OFFSET);
        if (word != 0 && lockSlot(word) == slot)
        {
            repair();
            return buffer.compareAndSetLong(RegionDescriptor.ROOTS_LOCK_OFFSET, word, 0);
        }
        return false;
    }

    private void lock()
    {
        if (region.slot() < 0)
        {
            throw new IllegalStateException("region " + file + ": attach() before binding or unbinding roots");
        }
        final long mine = region.ownerToken();
        final long deadline = System.nanoTime() + LOCK_WAIT_NANOS;
        int spins = 0;
        while (true)
        {
            final long word = buffer.getLongVolatile(RegionDescriptor.ROOTS_LOCK_OFFSET);
            if (word == 0)
            {
                if (buffer.compareAndSetLong(RegionDescriptor.ROOTS_LOCK_OFFSET, 0, mine))
                {
                    return;
                }
                continue;
            }
            if (region.isOwnerGone(word))
            {
                if (buffer.compareAndSetLong(RegionDescriptor.ROOTS_LOCK_OFFSET, word, mine))
                {
                    repair();
                    return;
                }
                continue;
            }
            if (System.nanoTime() > deadline)
            {
                throw new RegionException(file, "timed out after " + LOCK_WAIT_NANOS / 1_000_000 + " ms waiting for the roots lock held by slot "
                    + (lockSlot(word)));
            }
            if (++spins < 100)
            {
                Thread.onSpinWait();
            }
            else
            {
                Thread.yield();
            }
        }
    }

    private void unlock()
    {
        buffer.putLongRelease(RegionDescriptor.ROOTS_LOCK_OFFSET, 0);
    }

    private void repair()
    {
        for (int i = 0; i < count; i++)
        {
            final int slot = slotOffset(i);
            final long version = buffer.getLongVolatile(slot + VERSION_OFFSET);
            if ((version & 1) != 0)
            {
                buffer.putLong(slot + HANDLE_OFFSET, 0);
                buffer.putInt(slot + NAME_LENGTH_OFFSET, 0);
                buffer.putLongRelease(slot + VERSION_OFFSET, version + 1);
            }
        }
    }

    private void clearSlot(final int slot)
    {
        final long version = buffer.getLongVolatile(slot + VERSION_OFFSET);
        buffer.putLongVolatile(slot + VERSION_OFFSET, version + 1);
        Barriers.storeStore();
        buffer.putLong(slot + HANDLE_OFFSET, 0);
        buffer.putInt(slot + NAME_LENGTH_OFFSET, 0);
        buffer.putLongRelease(slot + VERSION_OFFSET, version + 2);
    }

    /**
     * The handle of root slot {@code index} if it is bound to {@code name}, else 0.
     */
    private long readIfNamed(final int index, final String name)
    {
        final int slot = slotOffset(index);
        for (int attempt = 0; attempt < READ_RETRIES; attempt++)
        {
            final long v1 = buffer.getLongAcquire(slot + VERSION_OFFSET);
            if ((v1 & 1) != 0)
            {
                Thread.onSpinWait();
                continue;
            }
            final long handle = buffer.getLong(slot + HANDLE_OFFSET);
            final int length = buffer.getInt(slot + NAME_LENGTH_OFFSET);
            boolean same = length == name.length();
            if (same && length >= 1 && length <= MAX_NAME_LENGTH)
            {
                for (int i = 0; i < length && same; i++)
                {
                    same = buffer.getByte(slot + NAME_OFFSET + i) == (byte)name.charAt(i);
                }
            }
            Barriers.loadLoad();
            if (buffer.getLong(slot + VERSION_OFFSET) != v1)
            {
                continue;
            }
            if (handle != 0)
            {
                checkLength(index, length);
            }
            return same && handle != 0 ? handle : 0;
        }
        return 0; // a writer died mid-write: the slot is not bound until repaired
    }

    private void checkLength(final int index, final int length)
    {
        if (length < 1 || length > MAX_NAME_LENGTH)
        {
            throw new RegionFormatException(file, "roots[" + index + "].nameLength", String.valueOf(length),
                "1.." + MAX_NAME_LENGTH);
        }
    }

    private int slotOffset(final int index)
    {
        return base + index * SLOT_SIZE;
    }

    static long lockWord(final int slot, final long sequence)
    {
        return ((sequence & ((1L << 50) - 1)) << 13) | (slot + 1);
    }

    private static int lockSlot(final long word)
    {
        return (int)(word & ((1 << 13) - 1)) - 1;
    }
}
