package io.shmtx.region;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.agrona.concurrent.AtomicBuffer;

/**
 * The settings a module saves in its section when a region is created, as a configuration asks
 * for them, so that opening an existing region with a configuration can tell which settings
 * differ (see {@link Region#checkSettings(SectionSpec)}). Each setting has a name (as the
 * configuration builder names it, e.g. {@code LockManagerConfig.locks}), a value in plain words,
 * and a rule for an existing region whose saved value differs:
 * <ul>
 *   <li>refused ({@link Builder#fixed}): a setting fixed when the region was created (its layout,
 *   a capacity, a behaviour every process must share): {@link ConfigMismatchException};</li>
 *   <li>adopted ({@link Builder#adoptable}): a setting the configuration gives only as the initial
 *   value of a new region, which any process may change at run time (a lock policy, a consistency
 *   model): the region's value is kept and the difference is logged at INFO.</li>
 * </ul>
 * A {@link Reader} reads the same settings back from an existing section, by the same names.
 *
 * <p>Instances are immutable and threadsafe.
 */
public final class SectionSettings
{
    /**
     * Reads a module's settings from its section of an existing region.
     */
    @FunctionalInterface
    public interface Reader
    {
        /**
         * The settings saved in {@code section}.
         *
         * @param section the section's bytes, a bounds-checked view starting at its first byte, to read only.
         * @return setting name to value in plain words, by the names of the requested settings;
         *         {@code null} when the section does not hold this module's format (the module's
         *         open reports it).
         */
        Map<String, String> read(AtomicBuffer section);
    }

    private final Map<String, String> requested;
    private final Set<String> adoptable;
    private final int processSlots;
    private final Reader reader;

    private SectionSettings(final Builder builder)
    {
        this.requested = Collections.unmodifiableMap(new LinkedHashMap<>(builder.requested));
        this.adoptable = Set.copyOf(builder.adoptable);
        this.processSlots = builder.processSlots;
        this.reader = builder.reader;
    }

    /**
     * A new builder.
     *
     * @param reader reads the settings back from an existing section.
     * @return the builder.
     */
    public static Builder builder(final Reader reader)
    {
        if (reader == null)
        {
            throw new IllegalArgumentException("reader=null");
        }
        return new Builder(reader);
    }

    /**
     * The settings asked for, in the order they are compared.
     *
     * @return setting name to value in plain words.
     */
    public Map<String, String> requested()
    {
        return requested;
    }

    /**
     * Whether an existing region's value of {@code setting} is adopted rather than refused.
     *
     * @param setting a setting name.
     * @return {@code true} when adopted.
     */
    public boolean isAdoptable(final String setting)
    {
        return adoptable.contains(setting);
    }

    /**
     * The process slot count the section was laid out for, which must be the region's.
     *
     * @return the count, or 0 when the section's layout does not depend on it.
     */
    public int processSlots()
    {
        return processSlots;
    }

    /**
     * Every requested setting whose value differs from {@code saved}'s (a setting {@code saved}
     * lacks differs too: its saved value is "absent").
     *
     * @param section the section's bytes, a bounds-checked view.
     * @return the differences in the order of {@link #requested()}, or {@code null} when the
     *         section cannot be read as this module's (its open reports why).
     */
    List<ConfigMismatchException.Difference> differences(final AtomicBuffer section)
    {
        final Map<String, String> saved;
        try
        {
            saved = reader.read(section);
        }
        catch (final IndexOutOfBoundsException | IllegalArgumentException ex)
        {
            return null; // a corrupt section: its module's open names the field
        }
        if (saved == null)
        {
            return null;
        }
        final List<ConfigMismatchException.Difference> differences = new ArrayList<>();
        for (final Map.Entry<String, String> setting : requested.entrySet())
        {
            final String value = saved.getOrDefault(setting.getKey(), "absent");
            if (!value.equals(setting.getValue()))
            {
                differences.add(new ConfigMismatchException.Difference(setting.getKey(), value, setting.getValue()));
            }
        }
        return differences;
    }

    @Override
    public String toString()
    {
        return requested.toString();
    }

    /**
     * Collects the settings of one section. Not threadsafe.
     */
    public static final class Builder
    {
        private final Map<String, String> requested = new LinkedHashMap<>();
        private final Set<String> adoptable = new HashSet<>();
        private final Reader reader;
        private int processSlots;

        private Builder(final Reader reader)
        {
            this.reader = reader;
        }

        /**
         * A setting fixed when the region is created: a region saved with another value is refused.
         *
         * @param name  the setting, as the configuration builder names it.
         * @param value its value, in plain words, written as the reader writes it.
         * @return this builder.
         */
        public Builder fixed(final String name, final Object value)
        {
            return add(name, value);
        }

        /**
         * A setting that only starts a new region and that processes may change at run time: a
         * region saved with another value keeps it, and the difference is logged.
         *
         * @param name  the setting, as the configuration builder names it.
         * @param value its value, in plain words.
         * @return this builder.
         */
        public Builder adoptable(final String name, final Object value)
        {
            adoptable.add(name);
            return add(name, value);
        }

        /**
         * The process slot count the section is laid out for: a fixed setting, and a region
         * configuration with another slot count is refused before anything is made.
         *
         * @param name  the setting, e.g. {@code "TieredPool.section processSlots"}.
         * @param slots the count.
         * @return this builder.
         */
        public Builder processSlots(final String name, final int slots)
        {
            processSlots = slots;
            return add(name, slots);
        }

        private Builder add(final String name, final Object value)
        {
            if (name == null || value == null)
            {
                throw new IllegalArgumentException("setting " + name + "=" + value + ": both are required");
            }
            if (requested.putIfAbsent(name, String.valueOf(value)) != null)
            {
                throw new IllegalArgumentException("setting " + name + " is given twice");
            }
            return this;
        }

        /**
         * Builds the settings.
         *
         * @return the settings.
         */
        public SectionSettings build()
        {
            return new SectionSettings(this);
        }
    }
}
