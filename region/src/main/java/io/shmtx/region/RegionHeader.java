package io.shmtx.region;

import static io.shmtx.region.RegionDescriptor.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.CRC32C;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * The static part of a region header, as computed for a new region or as read and validated
 * from an existing one. Immutable.
 *
 * <p>Validation reads the header from a private copy, before anything is mapped, and checks
 * every field a later access depends on, in the order a reader needs them: magic, version,
 * header length, layout hash, region size against the file length, checksum, slot counts and
 * sizes, then each section's bounds and overlap. So a region that passes can be used without
 * reading an unchecked offset from the header.
 */
final class RegionHeader
{
    final long regionSize;
    final int processSlots;
    final int rootSlots;
    final long heartbeatMillis;
    final long createdMillis;
    final long creatorPid;
    final List<Section> sections;

    private RegionHeader(
        final long regionSize, final int processSlots, final int rootSlots, final long heartbeatMillis,
        final long createdMillis, final long creatorPid, final List<Section> sections)
    {
        this.regionSize = regionSize;
        this.processSlots = processSlots;
        this.rootSlots = rootSlots;
        this.heartbeatMillis = heartbeatMillis;
        this.createdMillis = createdMillis;
        this.creatorPid = creatorPid;
        this.sections = Collections.unmodifiableList(sections);
    }

    /**
     * Lays out a new region for {@code config}.
     */
    static RegionHeader layout(final Path file, final RegionConfig config)
    {
        final List<Section> sections = new ArrayList<>();
        final long needed = place(config, sections);
        final long size = config.size() == 0 ? needed : align(config.size(), PAGE_SIZE);
        if (needed > MAX_REGION_SIZE)
        {
            throw new RegionException(file, "sections need " + needed + " bytes, more than the largest region "
                + MAX_REGION_SIZE + " bytes");
        }
        if (size < needed)
        {
            throw new RegionException(file, "size=" + config.size() + " is too small: the sections need " + needed + " bytes");
        }
        return new RegionHeader(size, config.processSlots(), config.rootSlots(), config.heartbeatInterval().toMillis(),
            System.currentTimeMillis(), ProcessHandle.current().pid(), sections);
    }

    /**
     * Places the process table, the roots and each section of {@code config} one after the other,
     * each on a page boundary, adding them to {@code sections}.
     *
     * @return the bytes they need (the end of the last one); past {@link RegionDescriptor#MAX_REGION_SIZE}
     *         placing stops and the value only tells that it is too large.
     */
    static long place(final RegionConfig config, final List<Section> sections)
    {
        long offset = HEADER_LENGTH;
        final long processTableLength = (long)config.processSlots() * ProcessTableDescriptor.SLOT_SIZE;
        sections.add(new Section(SectionSpec.PROCESS_TABLE, offset, processTableLength, false));
        offset += align(processTableLength, PAGE_SIZE);
        final long rootsLength = (long)config.rootSlots() * RootsDescriptor.SLOT_SIZE;
        sections.add(new Section(SectionSpec.ROOTS, offset, rootsLength, false));
        offset += align(rootsLength, PAGE_SIZE);
        for (final SectionSpec spec : config.sections())
        {
            sections.add(new Section(spec.id(), offset, spec.length(), spec.needsRecovery()));
            offset += align(spec.length(), PAGE_SIZE);
            if (offset > MAX_REGION_SIZE)
            {
                break;
            }
        }
        return offset;
    }

    /**
     * Writes the static header (not the magic) into {@code buffer} and returns the checksum written.
     */
    void write(final UnsafeBuffer buffer)
    {
        buffer.putInt(LAYOUT_VERSION_OFFSET, LAYOUT_VERSION);
        buffer.putInt(HEADER_LENGTH_OFFSET, HEADER_LENGTH);
        buffer.putLong(LAYOUT_HASH_OFFSET, RegionDescriptor.LAYOUT_HASH);
        buffer.putLong(REGION_SIZE_OFFSET, regionSize);
        buffer.putInt(PROCESS_SLOTS_OFFSET, processSlots);
        buffer.putInt(PROCESS_SLOT_SIZE_OFFSET, ProcessTableDescriptor.SLOT_SIZE);
        buffer.putInt(ROOT_SLOTS_OFFSET, rootSlots);
        buffer.putInt(ROOT_SLOT_SIZE_OFFSET, RootsDescriptor.SLOT_SIZE);
        buffer.putLong(HEARTBEAT_INTERVAL_OFFSET, heartbeatMillis);
        buffer.putLong(CREATED_OFFSET, createdMillis);
        buffer.putLong(CREATOR_PID_OFFSET, creatorPid);
        buffer.putInt(SECTION_COUNT_OFFSET, sections.size());
        for (int i = 0; i < sections.size(); i++)
        {
            final Section section = sections.get(i);
            final int entry = sectionEntryOffset(i);
            buffer.putInt(entry + SECTION_ID_OFFSET, section.id());
            buffer.putInt(entry + SECTION_FLAGS_OFFSET, section.needsRecovery() ? 1 : 0);
            buffer.putLong(entry + SECTION_START_OFFSET, section.offset());
            buffer.putLong(entry + SECTION_LENGTH_OFFSET, section.length());
        }
        buffer.putInt(CHECKSUM_OFFSET, checksum(buffer));
    }

    /**
     * CRC32C of the static header, all of it but the magic and the checksum field.
     */
    static int checksum(final UnsafeBuffer header)
    {
        final CRC32C crc = new CRC32C();
        final byte[] bytes = new byte[STATIC_END];
        header.getBytes(0, bytes);
        crc.update(bytes, LAYOUT_VERSION_OFFSET, CHECKSUM_OFFSET - LAYOUT_VERSION_OFFSET);
        crc.update(bytes, SECTION_TABLE_OFFSET, STATIC_END - SECTION_TABLE_OFFSET);
        return (int)crc.getValue();
    }

    /**
     * Validates a ready header read from {@code file} (a copy of its first page) against the
     * file's length.
     *
     * @throws RegionFormatException naming the first field that is wrong.
     */
    static RegionHeader validate(final Path file, final byte[] page, final long fileLength)
    {
        final UnsafeBuffer header = new UnsafeBuffer(ByteBuffer.wrap(page).order(ByteOrder.nativeOrder()));
        final long magic = header.getLong(MAGIC_OFFSET);
        if (magic != MAGIC)
        {
            throw new RegionFormatException(file, "magic", hex(magic), hex(MAGIC));
        }
        final int version = header.getInt(LAYOUT_VERSION_OFFSET);
        if (version != LAYOUT_VERSION)
        {
            throw new RegionFormatException(file, "layoutVersion", String.valueOf(version), String.valueOf(LAYOUT_VERSION));
        }
        checkEquals(file, "headerLength", header.getInt(HEADER_LENGTH_OFFSET), HEADER_LENGTH);
        final long hash = header.getLong(LAYOUT_HASH_OFFSET);
        if (hash != RegionDescriptor.LAYOUT_HASH)
        {
            throw new RegionFormatException(file, "layoutHash", hex(hash), hex(RegionDescriptor.LAYOUT_HASH));
        }
        final long regionSize = header.getLong(REGION_SIZE_OFFSET);
        if (regionSize < HEADER_LENGTH || regionSize > MAX_REGION_SIZE || (regionSize & (PAGE_SIZE - 1)) != 0)
        {
            throw new RegionFormatException(file, "regionSize", String.valueOf(regionSize),
                "a multiple of " + PAGE_SIZE + " in " + HEADER_LENGTH + ".." + MAX_REGION_SIZE);
        }
        if (fileLength != regionSize)
        {
            throw new RegionFormatException(file, "fileLength", String.valueOf(fileLength),
                regionSize + " (the region size in the header" + (fileLength < regionSize ? "; the file is truncated)" : ")"));
        }
        final int stored = header.getInt(CHECKSUM_OFFSET);
        final int computed = checksum(header);
        if (stored != computed)
        {
            throw new RegionFormatException(file, "checksum", hex(stored), hex(computed) + " (computed over the static header)");
        }
        final int processSlots = header.getInt(PROCESS_SLOTS_OFFSET);
        checkRange(file, "processSlots", processSlots, 1, ProcessTableDescriptor.MAX_SLOTS);
        checkEquals(file, "processSlotSize", header.getInt(PROCESS_SLOT_SIZE_OFFSET), ProcessTableDescriptor.SLOT_SIZE);
        final int rootSlots = header.getInt(ROOT_SLOTS_OFFSET);
        checkRange(file, "rootSlots", rootSlots, 1, RootsDescriptor.MAX_SLOTS);
        checkEquals(file, "rootSlotSize", header.getInt(ROOT_SLOT_SIZE_OFFSET), RootsDescriptor.SLOT_SIZE);
        final long heartbeat = header.getLong(HEARTBEAT_INTERVAL_OFFSET);
        if (heartbeat < 1 || heartbeat > 3_600_000L)
        {
            throw new RegionFormatException(file, "heartbeatIntervalMillis", String.valueOf(heartbeat), "1..3600000");
        }
        final int count = header.getInt(SECTION_COUNT_OFFSET);
        checkRange(file, "sectionCount", count, 2, MAX_SECTIONS);
        final List<Section> sections = new ArrayList<>(count);
        long previousEnd = HEADER_LENGTH;
        for (int i = 0; i < count; i++)
        {
            final int entry = sectionEntryOffset(i);
            final int id = header.getInt(entry + SECTION_ID_OFFSET);
            final int flags = header.getInt(entry + SECTION_FLAGS_OFFSET);
            final long offset = header.getLong(entry + SECTION_START_OFFSET);
            final long length = header.getLong(entry + SECTION_LENGTH_OFFSET);
            final String name = "section[" + i + "]";
            if (id <= 0 || sections.stream().anyMatch(s -> s.id() == id))
            {
                throw new RegionFormatException(file, name + ".id", String.valueOf(id), "a positive id used once");
            }
            if ((flags & ~1) != 0)
            {
                throw new RegionFormatException(file, name + ".flags", String.valueOf(flags), "0 or 1");
            }
            if (offset < previousEnd || (offset & (PAGE_SIZE - 1)) != 0)
            {
                throw new RegionFormatException(file, name + ".offset", String.valueOf(offset),
                    "a page-aligned offset at or after " + previousEnd);
            }
            if (length <= 0 || length > regionSize - offset)
            {
                throw new RegionFormatException(file, name + ".length", String.valueOf(length),
                    "1.." + (regionSize - offset) + " (sizes must add up to at most the region size)");
            }
            sections.add(new Section(id, offset, length, flags == 1));
            previousEnd = offset + length;
        }
        checkSection(file, sections.get(0), SectionSpec.PROCESS_TABLE, (long)processSlots * ProcessTableDescriptor.SLOT_SIZE);
        checkSection(file, sections.get(1), SectionSpec.ROOTS, (long)rootSlots * RootsDescriptor.SLOT_SIZE);
        return new RegionHeader(regionSize, processSlots, rootSlots, heartbeat,
            header.getLong(CREATED_OFFSET), header.getLong(CREATOR_PID_OFFSET), sections);
    }

    Section section(final int id)
    {
        for (final Section section : sections)
        {
            if (section.id() == id)
            {
                return section;
            }
        }
        return null;
    }

    private static void checkSection(final Path file, final Section section, final int id, final long length)
    {
        if (section.id() != id)
        {
            throw new RegionFormatException(file, "section.id", String.valueOf(section.id()), String.valueOf(id));
        }
        if (section.length() != length)
        {
            throw new RegionFormatException(file, section.name() + ".length", String.valueOf(section.length()),
                length + " (slots x slot size)");
        }
    }

    private static void checkEquals(final Path file, final String field, final int found, final int required)
    {
        if (found != required)
        {
            throw new RegionFormatException(file, field, String.valueOf(found), String.valueOf(required));
        }
    }

    private static void checkRange(final Path file, final String field, final int found, final int min, final int max)
    {
        if (found < min || found > max)
        {
            throw new RegionFormatException(file, field, String.valueOf(found), min + ".." + max);
        }
    }

    static String hex(final long value)
    {
        return "0x" + Long.toHexString(value);
    }

    static String hex(final int value)
    {
        return "0x" + Integer.toHexString(value);
    }
}
