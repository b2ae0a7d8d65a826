package io.shmtx.pool;

import static io.shmtx.pool.PoolDescriptor.*;

import io.shmtx.region.RegionDescriptor;
import io.shmtx.region.SectionSettings;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.agrona.concurrent.AtomicBuffer;

/**
 * Where everything of a pool lies, computed from its configuration and the region's process
 * slot count. Offsets are relative to the pool section. Immutable.
 */
final class PoolLayout
{
    final PoolConfig config;
    final int processSlots;
    final int tierCount;
    final int cellsPerSlot;
    final int cellSize;
    final int[] blockSize;
    final int[] blockCount;
    final int[] reserve;
    final int[] magazine;
    final long[] blocksOffset;
    final int[] stride;
    final long length;

    PoolLayout(final PoolConfig config, final int processSlots)
    {
        if (config == null)
        {
            throw new IllegalArgumentException("config=null");
        }
        if (processSlots < 1 || processSlots > 4096)
        {
            throw new IllegalArgumentException("processSlots=" + processSlots + " must be 1..4096 (the region's processSlots)");
        }
        this.config = config;
        this.processSlots = processSlots;
        final List<TierConfig> tiers = config.tiers();
        this.tierCount = tiers.size();
        this.cellsPerSlot = config.threadsPerProcess() + 1;
        this.cellSize = PoolDescriptor.cellSize(tierCount);
        blockSize = new int[tierCount];
        blockCount = new int[tierCount];
        reserve = new int[tierCount];
        magazine = new int[tierCount];
        blocksOffset = new long[tierCount];
        stride = new int[tierCount];
        long offset = CELLS_OFFSET + (long)processSlots * cellsPerSlot * cellSize;
        for (int t = 0; t < tierCount; t++)
        {
            final TierConfig tier = tiers.get(t);
            blockSize[t] = tier.blockSize();
            blockCount[t] = tier.blockCount();
            reserve[t] = tier.reserve();
            magazine[t] = Math.min(config.cacheSize(), (tier.blockCount() - tier.reserve()) / 64);
            stride[t] = BLOCK_HEADER_SIZE + tier.blockSize();
            offset = RegionDescriptor.align(offset, 64);
            blocksOffset[t] = offset;
            offset += (long)stride[t] * tier.blockCount();
        }
        this.length = offset;
    }

    /**
     * The settings this layout is made of, as {@link io.shmtx.region.Region#checkSettings} compares them
     * with an existing pool's: every one is fixed (the tiers, caches and cells shape the section; strict
     * mode and thresholds are the pool's, saved in it, the same for every process).
     */
    SectionSettings settings()
    {
        return describe(SectionSettings.builder(PoolLayout::readSettings), config, processSlots).build();
    }

    private static SectionSettings.Builder describe(final SectionSettings.Builder builder, final PoolConfig config,
        final int processSlots)
    {
        final StringBuilder tiers = new StringBuilder("[");
        for (final TierConfig tier : config.tiers())
        {
            tiers.append(tiers.length() == 1 ? "" : ", ").append(tier.blockSize()).append(" B x ").append(tier.blockCount())
                .append(tier.reserve() == 0 ? "" : " (reserve " + tier.reserve() + ")");
        }
        return builder.fixed("PoolConfig.tiers", tiers.append(']'))
            .fixed("PoolConfig.threadsPerProcess", config.threadsPerProcess())
            .fixed("PoolConfig.cacheSize", config.cacheSize())
            .fixed("PoolConfig.strict", config.strict())
            .fixed("PoolConfig.thresholds", "low " + config.lowThresholdPercent() + "%, critical " + config.criticalThresholdPercent() + "%")
            .processSlots("TieredPool.section processSlots", processSlots);
    }

    /**
     * The settings saved in a pool section, by the names of {@link #settings()}.
     *
     * @return the settings, or {@code null} when the section is not a pool's.
     * @throws IllegalArgumentException when the saved values are no valid configuration.
     */
    static Map<String, String> readSettings(final AtomicBuffer section)
    {
        final int tiers = section.getInt(TIER_COUNT_OFFSET);
        if (section.getLongVolatile(MAGIC_OFFSET) != MAGIC || section.getInt(VERSION_OFFSET) != VERSION
            || tiers < 1 || tiers > PoolConfig.MAX_TIERS)
        {
            return null;
        }
        final PoolConfig.Builder builder = PoolConfig.builder();
        for (int t = 0; t < tiers; t++)
        {
            final int entry = TIER_TABLE_OFFSET + t * TIER_ENTRY_SIZE;
            builder.tier(new TierConfig(section.getInt(entry + TIER_BLOCK_SIZE_OFFSET), section.getInt(entry + TIER_BLOCK_COUNT_OFFSET),
                section.getInt(entry + TIER_RESERVE_OFFSET)));
        }
        final PoolConfig saved = builder.strict((section.getInt(FLAGS_OFFSET) & 1) != 0)
            .thresholds(section.getInt(LOW_PERCENT_OFFSET), section.getInt(CRITICAL_PERCENT_OFFSET))
            .cacheSize(section.getInt(CACHE_SIZE_OFFSET))
            .threadsPerProcess(section.getInt(CELLS_PER_SLOT_OFFSET) - 1)
            .build();
        return describe(SectionSettings.builder(PoolLayout::readSettings), saved, section.getInt(PROCESS_SLOTS_OFFSET))
            .build().requested();
    }

    long configHash()
    {
        long hash = 0xcbf29ce484222325L;
        final long[] parts = {VERSION, tierCount, cellsPerSlot, cellSize, processSlots, config.strict() ? 1 : 0,
            config.lowThresholdPercent(), config.criticalThresholdPercent(), config.cacheSize()};
        for (final long part : parts)
        {
            hash = (hash ^ part) * 0x100000001b3L;
        }
        for (int t = 0; t < tierCount; t++)
        {
            hash = (hash ^ blockSize[t]) * 0x100000001b3L;
            hash = (hash ^ blockCount[t]) * 0x100000001b3L;
            hash = (hash ^ reserve[t]) * 0x100000001b3L;
        }
        return hash;
    }

    /**
     * Writes the header and tier table and links every block into its tier's lists.
     */
    void format(final AtomicBuffer buffer, final int base)
    {
        buffer.putInt(base + VERSION_OFFSET, VERSION);
        buffer.putInt(base + TIER_COUNT_OFFSET, tierCount);
        buffer.putInt(base + FLAGS_OFFSET, config.strict() ? 1 : 0);
        buffer.putInt(base + CELLS_PER_SLOT_OFFSET, cellsPerSlot);
        buffer.putInt(base + PROCESS_SLOTS_OFFSET, processSlots);
        buffer.putInt(base + CELL_SIZE_OFFSET, cellSize);
        buffer.putInt(base + LOW_PERCENT_OFFSET, config.lowThresholdPercent());
        buffer.putInt(base + CRITICAL_PERCENT_OFFSET, config.criticalThresholdPercent());
        buffer.putInt(base + CACHE_SIZE_OFFSET, config.cacheSize());
        buffer.putLong(base + CONFIG_HASH_OFFSET, configHash());
        for (int t = 0; t < tierCount; t++)
        {
            final int entry = base + TIER_TABLE_OFFSET + t * TIER_ENTRY_SIZE;
            buffer.putInt(entry + TIER_BLOCK_SIZE_OFFSET, blockSize[t]);
            buffer.putInt(entry + TIER_BLOCK_COUNT_OFFSET, blockCount[t]);
            buffer.putInt(entry + TIER_RESERVE_OFFSET, reserve[t]);
            buffer.putInt(entry + TIER_MAGAZINE_OFFSET, magazine[t]);
            buffer.putLong(entry + TIER_BLOCKS_OFFSET, blocksOffset[t]);
            buffer.putInt(entry + TIER_STRIDE_OFFSET, stride[t]);
            final int blocks = (int)(base + blocksOffset[t]);
            for (int i = 0; i < blockCount[t]; i++)
            {
                final boolean inReserve = i < reserve[t];
                final int lastOfList = inReserve ? reserve[t] - 1 : blockCount[t] - 1;
                final int header = blocks + i * stride[t];
                buffer.putLong(header + BLOCK_STATE_OFFSET, stateWord(FREE, -1, 0, inReserve));
                buffer.putLong(header + BLOCK_AUX_OFFSET, i == lastOfList ? 0 : i + 2);
            }
            final int tierHeader = base + TIER_HEADERS_OFFSET + t * TIER_HEADER_SIZE;
            buffer.putLong(tierHeader + RESERVE_HEAD_OFFSET, reserve[t] > 0 ? 1 : 0);
            buffer.putLong(tierHeader + MAIN_HEAD_OFFSET, reserve[t] < blockCount[t] ? reserve[t] + 1 : 0);
        }
        buffer.putLongRelease(base + MAGIC_OFFSET, MAGIC);
    }

    /**
     * Reads and checks the layout stored in a pool section.
     *
     * @throws PoolCorruptException naming the first field that does not match a valid layout.
     */
    static PoolLayout read(final java.nio.file.Path file, final AtomicBuffer buffer, final int base, final long sectionLength,
        final int regionSlots)
    {
        check(file, "pool.magic", buffer.getLongVolatile(base + MAGIC_OFFSET), MAGIC);
        check(file, "pool.version", buffer.getInt(base + VERSION_OFFSET), VERSION);
        final int tiers = buffer.getInt(base + TIER_COUNT_OFFSET);
        if (tiers < 1 || tiers > PoolConfig.MAX_TIERS)
        {
            throw new PoolCorruptException(file, "pool.tierCount", String.valueOf(tiers), "1.." + PoolConfig.MAX_TIERS);
        }
        final int slots = buffer.getInt(base + PROCESS_SLOTS_OFFSET);
        if (slots != regionSlots)
        {
            throw new PoolCorruptException(file, "pool.processSlots", String.valueOf(slots), regionSlots
                + ", the region's process slots (a pool section made with TieredPool.section(config, " + slots
                + ") in a region of " + regionSlots + " slots cannot be opened: pass the region's processSlots)");
        }
        final PoolConfig.Builder builder = PoolConfig.builder();
        final List<TierConfig> tierConfigs = new ArrayList<>();
        final PoolLayout layout;
        try
        {
            for (int t = 0; t < tiers; t++)
            {
                final int entry = base + TIER_TABLE_OFFSET + t * TIER_ENTRY_SIZE;
                final TierConfig tier = new TierConfig(buffer.getInt(entry + TIER_BLOCK_SIZE_OFFSET),
                    buffer.getInt(entry + TIER_BLOCK_COUNT_OFFSET), buffer.getInt(entry + TIER_RESERVE_OFFSET));
                tierConfigs.add(tier);
                builder.tier(tier);
            }
            builder.strict((buffer.getInt(base + FLAGS_OFFSET) & 1) != 0)
                .thresholds(buffer.getInt(base + LOW_PERCENT_OFFSET), buffer.getInt(base + CRITICAL_PERCENT_OFFSET))
                .cacheSize(buffer.getInt(base + CACHE_SIZE_OFFSET))
                .threadsPerProcess(buffer.getInt(base + CELLS_PER_SLOT_OFFSET) - 1);
            layout = new PoolLayout(builder.build(), regionSlots); // build() checks the values together
        }
        catch (final IllegalArgumentException | ArithmeticException ex)
        {
            throw new PoolCorruptException(file, "pool.config", ex.getMessage(), "a valid pool configuration");
        }
        check(file, "pool.cellSize", buffer.getInt(base + CELL_SIZE_OFFSET), layout.cellSize);
        check(file, "pool.configHash", buffer.getLong(base + CONFIG_HASH_OFFSET), layout.configHash());
        for (int t = 0; t < tiers; t++)
        {
            final int entry = base + TIER_TABLE_OFFSET + t * TIER_ENTRY_SIZE;
            check(file, "pool.tier[" + t + "].magazine", buffer.getInt(entry + TIER_MAGAZINE_OFFSET), layout.magazine[t]);
            check(file, "pool.tier[" + t + "].blocksOffset", buffer.getLong(entry + TIER_BLOCKS_OFFSET), layout.blocksOffset[t]);
            check(file, "pool.tier[" + t + "].stride", buffer.getInt(entry + TIER_STRIDE_OFFSET), layout.stride[t]);
        }
        if (layout.length > sectionLength)
        {
            throw new PoolCorruptException(file, "pool.length", String.valueOf(sectionLength), "at least " + layout.length);
        }
        return layout;
    }

    private static void check(final java.nio.file.Path file, final String field, final long found, final long required)
    {
        if (found != required)
        {
            throw new PoolCorruptException(file, field, "0x" + Long.toHexString(found), "0x" + Long.toHexString(required));
        }
    }
}
