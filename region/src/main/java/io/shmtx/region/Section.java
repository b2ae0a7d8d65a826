package io.shmtx.region;

/**
 * A section as laid out in an existing region: where it starts and how long it is.
 * Immutable.
 *
 * @param id            section id (see {@link SectionSpec}).
 * @param offset        byte offset in the region, a multiple of {@link RegionDescriptor#PAGE_SIZE}.
 * @param length        length in bytes as requested at create time.
 * @param needsRecovery whether a recovery step must be registered for it before dead slots are freed.
 */
public record Section(int id, long offset, long length, boolean needsRecovery)
{
    /**
     * Human name, for diagnostics.
     *
     * @return the name.
     */
    public String name()
    {
        return SectionSpec.nameOf(id);
    }
}
