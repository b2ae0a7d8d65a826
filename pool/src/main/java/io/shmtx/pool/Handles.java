package io.shmtx.pool;

/**
 * Encoding of pool handles. A handle is a positive {@code long}; 0 is the null handle.
 *
 * <pre>
 *   bit  63     reserved: always 0
 *   bits 56-62  tier + 1
 *   bits 32-55  generation of the block when it was handed out (24 bits)
 *   bits  0-31  block index in its tier (not negative: bit 31 is always 0)
 * </pre>
 *
 * Every bit is either part of a field or must be zero: a value with a reserved bit set is not an
 * alias of the handle it would be without it but an invalid handle, refused by every pool and
 * reference-count operation ({@link InvalidHandleException}). The decoders below do not mask the
 * reserved bits away, so a set bit 63 decodes to a tier of 127 or more and bit 31 to a negative
 * index, and the range checks every operation already makes on tier and index refuse it at no
 * extra cost.
 *
 * A handle stays valid until its block is freed; freeing bumps the block's generation, so a
 * stale copy is detected. After 2^24 reuses of one block the generation wraps: a handle kept
 * that long could match again (documented limit).
 *
 * <p>This class is threadsafe: it has no state.
 */
public final class Handles
{
    /** The null handle. */
    public static final long NULL = 0;

    /**
     * Bits outside every field, zero in every handle; one set makes the value an invalid handle.
     * (Bit 31 is inside the index field: an index is never negative.)
     */
    public static final long RESERVED_BITS = Long.MIN_VALUE;

    private Handles()
    {
    }

    /**
     * Builds a handle.
     *
     * @param tier       tier index, 0..126.
     * @param generation block generation, 0..2^24-1.
     * @param index      block index, not negative.
     * @return the handle.
     * @throws IllegalArgumentException when a part does not fit its field.
     */
    public static long handle(final int tier, final int generation, final int index)
    {
        if (tier < 0 || tier > 126 || generation < 0 || generation > 0xFF_FFFF || index < 0)
        {
            throw new IllegalArgumentException("tier=" + tier + " generation=" + generation + " index=" + index
                + " do not fit a handle (tier 0..126, generation 0..16777215, index >= 0)");
        }
        return encode(tier, generation, index);
    }

    /** {@link #handle} for parts the pool has already checked. */
    static long encode(final int tier, final int generation, final int index)
    {
        return ((long)(tier + 1) << 56) | ((long)generation << 32) | index;
    }

    /**
     * Tier index of a handle (may be out of range for a forged handle). The reserved bit 63 is not
     * masked away: with it set the result is 127 or more, out of every pool's range, so a tier
     * range check also refuses such a value.
     *
     * @param handle the handle.
     * @return tier index, -1 for the null handle, 127..254 when bit 63 is set.
     */
    public static int tier(final long handle)
    {
        return (int)(handle >>> 56) - 1;
    }

    /**
     * Generation part of a handle.
     *
     * @param handle the handle.
     * @return generation.
     */
    public static int generation(final long handle)
    {
        return (int)((handle >>> 32) & 0xFF_FFFF);
    }

    /**
     * Block index part of a handle.
     *
     * @param handle the handle.
     * @return index (may be out of range for a forged handle; negative when bit 31 is set).
     */
    public static int index(final long handle)
    {
        return (int)handle;
    }

    /**
     * Human form, e.g. {@code 0x0101000000000005(tier=0, gen=1, index=5)}.
     *
     * @param handle the handle.
     * @return text.
     */
    public static String toString(final long handle)
    {
        return "0x" + String.format("%016x", handle) + "(tier=" + tier(handle) + ", gen=" + generation(handle)
            + ", index=" + index(handle) + ")";
    }
}
