package io.shmtx.region;

import org.agrona.concurrent.AtomicBuffer;

/**
 * Writes a section's initial contents while its region is being created. Runs in the creating
 * process, under the creation lock, before the region is published as ready.
 */
@FunctionalInterface
public interface SectionFormatter
{
    /**
     * Formats {@code section}; write only inside {@code [section.offset(), section.offset() + section.length())}.
     *
     * @param region  the whole region, zero-filled except for the header.
     * @param section where the section lies.
     */
    void format(AtomicBuffer region, Section section);
}
