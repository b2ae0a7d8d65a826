package io.shmtx.region;

import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Configuration of a region, used when it is created. Build one with {@link #builder()};
 * {@link Builder#build()} validates every value once and fills defaults.
 *
 * <p>Instances are immutable and threadsafe.
 *
 * <table>
 *   <caption>Defaults, and what {@link Region#openOrCreate} does when an existing region differs</caption>
 *   <tr><th>setting</th><th>default</th><th>range</th><th>existing region saved with another value</th></tr>
 *   <tr><td>size</td><td>0 = just what the sections need</td><td>0 .. 2 GiB - 4 KiB</td>
 *       <td>refused (0 accepts any size)</td></tr>
 *   <tr><td>processSlots</td><td>64</td><td>1 .. 4096</td><td>refused</td></tr>
 *   <tr><td>rootSlots</td><td>64</td><td>1 .. 65536</td><td>refused</td></tr>
 *   <tr><td>heartbeatInterval</td><td>1 s</td><td>10 ms .. 1 h</td><td>adopted and logged (every process
 *       uses the region's: the others judge a stalled process by it)</td></tr>
 *   <tr><td>watchdogInterval</td><td>1 s (0 = no periodic recovery check)</td><td>0 or 10 ms .. 1 h</td>
 *       <td>not saved: this process's own</td></tr>
 *   <tr><td>initTimeout</td><td>10 s</td><td>1 ms .. 1 h</td><td>not saved: this process's own</td></tr>
 *   <tr><td>permissions</td><td>rw------- (0600)</td><td>must include owner rw</td><td>for new files only; a
 *       region granting more than these is not used ({@link RegionFormatException}: it is not one this user
 *       could have created)</td></tr>
 *   <tr><td>sections</td><td>none</td><td>ids unique</td><td>a missing section is refused; each module's
 *       settings as its configuration says ({@link SectionSpec#settings()})</td></tr>
 * </table>
 *
 * <p>"Refused" is a {@link ConfigMismatchException} naming every setting that differs, the value
 * saved in the region and the value asked for; nothing is changed. "Adopted" keeps the region's
 * value and logs the difference at INFO on the {@code io.shmtx.region} logger.
 */
public final class RegionConfig
{
    private static final Duration MIN_INTERVAL = Duration.ofMillis(10);
    private static final Duration MAX_INTERVAL = Duration.ofHours(1);

    private final long size;
    private final int processSlots;
    private final int rootSlots;
    private final Duration heartbeatInterval;
    private final Duration watchdogInterval;
    private final Duration initTimeout;
    private final Set<PosixFilePermission> permissions;
    private final List<SectionSpec> sections;

    private RegionConfig(final Builder b)
    {
        this.size = b.size;
        this.processSlots = b.processSlots;
        this.rootSlots = b.rootSlots;
        this.heartbeatInterval = b.heartbeatInterval;
        this.watchdogInterval = b.watchdogInterval;
        this.initTimeout = b.initTimeout;
        this.permissions = Set.copyOf(b.permissions);
        this.sections = List.copyOf(b.sections);
    }

    /**
     * A configuration with every default.
     *
     * @return the default configuration.
     */
    public static RegionConfig defaults()
    {
        return builder().build();
    }

    /**
     * A new builder holding the defaults.
     *
     * @return the builder.
     */
    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * Requested region size in bytes; 0 means just what the sections need.
     *
     * @return the size.
     */
    public long size()
    {
        return size;
    }

    /**
     * Number of process slots: how many attachments the region admits at once.
     *
     * @return slot count.
     */
    public int processSlots()
    {
        return processSlots;
    }

    /**
     * Number of named-root slots.
     *
     * @return slot count.
     */
    public int rootSlots()
    {
        return rootSlots;
    }

    /**
     * How often an attached process refreshes its heartbeat (diagnosis only).
     *
     * @return the interval.
     */
    public Duration heartbeatInterval()
    {
        return heartbeatInterval;
    }

    /**
     * How often an attached process checks for dead slots and recovers them; zero disables the
     * periodic check ({@link Region#recoverDeadSlots()} still works).
     *
     * @return the interval.
     */
    public Duration watchdogInterval()
    {
        return watchdogInterval;
    }

    /**
     * How long to wait for another process that is initialising the region.
     *
     * @return the timeout.
     */
    public Duration initTimeout()
    {
        return initTimeout;
    }

    /**
     * Permissions of a new region file and its lock file.
     *
     * @return the permission set.
     */
    public Set<PosixFilePermission> permissions()
    {
        return permissions;
    }

    /**
     * Bytes a region of this configuration needs: the header page, the process table, the roots
     * and each section, each on a page boundary. A {@link #size()} below it, or a value above
     * {@link RegionDescriptor#MAX_REGION_SIZE}, is refused when the region is created.
     *
     * @return the bytes needed (0 in {@link #size()} makes the region exactly this large).
     */
    public long neededSize()
    {
        return RegionHeader.place(this, new java.util.ArrayList<>());
    }

    /**
     * Sections reserved by modules, in layout order after the process table and roots.
     *
     * @return the sections.
     */
    public List<SectionSpec> sections()
    {
        return sections;
    }

    @Override
    public String toString()
    {
        return "RegionConfig{size=" + size + ", processSlots=" + processSlots + ", rootSlots=" + rootSlots
            + ", heartbeatInterval=" + heartbeatInterval + ", watchdogInterval=" + watchdogInterval
            + ", initTimeout=" + initTimeout + ", permissions=" + PosixFilePermissions.toString(permissions)
            + ", sections=" + sections + '}';
    }

    /**
     * Fluent builder of {@link RegionConfig}. Not threadsafe.
     */
    public static final class Builder
    {
        private long size;
        private int processSlots = 64;
        private int rootSlots = 64;
        private Duration heartbeatInterval = Duration.ofSeconds(1);
        private Duration watchdogInterval = Duration.ofSeconds(1);
        private Duration initTimeout = Duration.ofSeconds(10);
        private Set<PosixFilePermission> permissions =
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        private final List<SectionSpec> sections = new ArrayList<>();

        private Builder()
        {
        }

        /**
         * Region size in bytes, rounded up to a page; 0 means just what the sections need.
         *
         * @param size bytes.
         * @return this builder.
         */
        public Builder size(final long size)
        {
            this.size = size;
            return this;
        }

        /**
         * Number of process slots.
         *
         * @param processSlots 1 to 4096.
         * @return this builder.
         */
        public Builder processSlots(final int processSlots)
        {
            this.processSlots = processSlots;
            return this;
        }

        /**
         * Number of named-root slots.
         *
         * @param rootSlots 1 to 65536.
         * @return this builder.
         */
        public Builder rootSlots(final int rootSlots)
        {
            this.rootSlots = rootSlots;
            return this;
        }

        /**
         * Heartbeat interval.
         *
         * @param interval 10 ms to 1 h.
         * @return this builder.
         */
        public Builder heartbeatInterval(final Duration interval)
        {
            this.heartbeatInterval = interval;
            return this;
        }

        /**
         * Interval of the periodic dead-slot check, or {@link Duration#ZERO} to disable it.
         *
         * @param interval zero, or 10 ms to 1 h.
         * @return this builder.
         */
        public Builder watchdogInterval(final Duration interval)
        {
            this.watchdogInterval = interval;
            return this;
        }

        /**
         * How long to wait for a concurrent creator.
         *
         * @param timeout 1 ms to 1 h.
         * @return this builder.
         */
        public Builder initTimeout(final Duration timeout)
        {
            this.initTimeout = timeout;
            return this;
        }

        /**
         * Permissions of new files, e.g. {@code "rw-rw----"} to share with the group.
         *
         * @param permissions POSIX permission string, nine characters.
         * @return this builder.
         */
        public Builder permissions(final String permissions)
        {
            try
            {
                this.permissions = PosixFilePermissions.fromString(permissions);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException("permissions='" + permissions + "' is not like rw-rw----", ex);
            }
            return this;
        }

        /**
         * Permissions of new files.
         *
         * @param permissions permission set.
         * @return this builder.
         */
        public Builder permissions(final Set<PosixFilePermission> permissions)
        {
            this.permissions = permissions.isEmpty() ? EnumSet.noneOf(PosixFilePermission.class) : EnumSet.copyOf(permissions);
            return this;
        }

        /**
         * Reserves a section.
         *
         * @param section the section.
         * @return this builder.
         */
        public Builder section(final SectionSpec section)
        {
            sections.add(section);
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the configuration.
         * @throws IllegalArgumentException naming the first value out of range, or a section laid out
         *                                  for another process slot count.
         */
        public RegionConfig build()
        {
            if (size < 0 || size > RegionDescriptor.MAX_REGION_SIZE)
            {
                throw new IllegalArgumentException("size=" + size + " must be in 0.." + RegionDescriptor.MAX_REGION_SIZE
                    + " (regions above 2 GiB need the large-region backend, not available yet)");
            }
            checkRange("processSlots", processSlots, 1, ProcessTableDescriptor.MAX_SLOTS);
            checkRange("rootSlots", rootSlots, 1, RootsDescriptor.MAX_SLOTS);
            checkInterval("heartbeatInterval", heartbeatInterval, false);
            checkInterval("watchdogInterval", watchdogInterval, true);
            if (initTimeout == null || initTimeout.isNegative() || initTimeout.isZero() || initTimeout.compareTo(MAX_INTERVAL) > 0)
            {
                throw new IllegalArgumentException("initTimeout=" + initTimeout + " must be in 1ms..1h");
            }
            if (!permissions.contains(PosixFilePermission.OWNER_READ) || !permissions.contains(PosixFilePermission.OWNER_WRITE))
            {
                throw new IllegalArgumentException("permissions=" + PosixFilePermissions.toString(permissions)
                    + " must include owner read and write (rw-------)");
            }
            if (sections.size() + 2 > RegionDescriptor.MAX_SECTIONS)
            {
                throw new IllegalArgumentException("sections=" + sections.size() + " must be at most "
                    + (RegionDescriptor.MAX_SECTIONS - 2));
            }
            final Set<Integer> ids = new HashSet<>();
            for (final SectionSpec section : sections)
            {
                if (!ids.add(section.id()))
                {
                    throw new IllegalArgumentException("section id=" + section.id() + " is reserved twice");
                }
                final int sectionSlots = section.settings() != null ? section.settings().processSlots() : 0;
                if (sectionSlots != 0 && sectionSlots != processSlots)
                {
                    throw new IllegalArgumentException("section " + SectionSpec.nameOf(section.id()) + " is laid out for "
                        + sectionSlots + " process slots but processSlots=" + processSlots
                        + ": make the section with the region's process slot count");
                }
            }
            return new RegionConfig(this);
        }

        private static void checkRange(final String name, final int value, final int min, final int max)
        {
            if (value < min || value > max)
            {
                throw new IllegalArgumentException(name + "=" + value + " must be in " + min + ".." + max);
            }
        }

        private static void checkInterval(final String name, final Duration value, final boolean zeroAllowed)
        {
            if (value == null)
            {
                throw new IllegalArgumentException(name + "=null");
            }
            if (zeroAllowed && value.isZero())
            {
                return;
            }
            if (value.compareTo(MIN_INTERVAL) < 0 || value.compareTo(MAX_INTERVAL) > 0)
            {
                throw new IllegalArgumentException(name + "=" + value + " must be in 10ms..1h" + (zeroAllowed ? " or 0" : ""));
            }
        }
    }
}
