package io.shmtx.region;

import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Layout of one named-root slot in the roots section. Writers hold the roots lock (a header
 * word); readers use the version as a seqlock and never block.
 *
 * <pre>
 *    0  version (64): even = stable, odd = a writer is changing the slot
 *    8  handle (64): 0 = free slot
 *   16  name length (32): 1 to {@link #MAX_NAME_LENGTH}
 *   20  name, US-ASCII ({@link #MAX_NAME_LENGTH} bytes)
 * </pre>
 */
public final class RootsDescriptor
{
    /** Size of a slot. */
    public static final int SLOT_SIZE = 64;
    /** Offset of the version. */
    public static final int VERSION_OFFSET = 0;
    /** Offset of the handle. */
    public static final int HANDLE_OFFSET = VERSION_OFFSET + SIZE_OF_LONG;
    /** Offset of the name length. */
    public static final int NAME_LENGTH_OFFSET = HANDLE_OFFSET + SIZE_OF_LONG;
    /** Offset of the name bytes. */
    public static final int NAME_OFFSET = NAME_LENGTH_OFFSET + SIZE_OF_INT;
    /** Longest root name, in characters. */
    public static final int MAX_NAME_LENGTH = SLOT_SIZE - NAME_OFFSET;
    /** Most root slots a region may have. */
    public static final int MAX_SLOTS = 65536;

    private RootsDescriptor()
    {
    }
}
