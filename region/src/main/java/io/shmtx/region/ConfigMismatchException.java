package io.shmtx.region;

import java.nio.file.Path;
import java.util.List;

/**
 * A configuration asks for a setting that an existing region was created with another value of,
 * and that setting cannot be adopted (see {@link RegionConfig} for which settings are refused and
 * which adopted). The message names the file and, for every setting that differs, the value
 * saved in the region and the value asked for. Nothing was changed.
 *
 * <p>Instances are immutable and threadsafe.
 */
public class ConfigMismatchException extends RegionException
{
    private static final long serialVersionUID = 1L;

    /**
     * One setting that differs.
     *
     * @param setting   the setting, named as the configuration builder names it (e.g.
     *                  {@code RegionConfig.processSlots}, {@code PoolConfig.tiers}).
     * @param saved     its value saved in the region, in plain words.
     * @param requested its value in the configuration, in plain words.
     */
    public record Difference(String setting, String saved, String requested)
    {
        @Override
        public String toString()
        {
            return setting + " is " + saved + " in the region but " + requested + " in the configuration";
        }
    }

    private final transient List<Difference> differences;

    /**
     * One setting of {@code file} differs.
     *
     * @param file      region file.
     * @param setting   the setting.
     * @param saved     its value saved in the region.
     * @param requested its value in the configuration.
     */
    public ConfigMismatchException(final Path file, final String setting, final String saved, final String requested)
    {
        this(file, List.of(new Difference(setting, saved, requested)));
    }

    /**
     * Settings of {@code file} differ.
     *
     * @param file        region file.
     * @param differences every setting that differs, at least one.
     */
    public ConfigMismatchException(final Path file, final List<Difference> differences)
    {
        super(file, message(differences));
        this.differences = List.copyOf(differences);
    }

    private static String message(final List<Difference> differences)
    {
        if (differences.isEmpty())
        {
            throw new IllegalArgumentException("differences=[] names no setting");
        }
        final StringBuilder text = new StringBuilder("was created with another configuration: ");
        for (int i = 0; i < differences.size(); i++)
        {
            text.append(i == 0 ? "" : "; ").append(differences.get(i));
        }
        return text.append(". A region keeps the settings it was created with: ask for those (Region.open reads them from"
            + " the file), or delete the region (Region.delete) and create it anew").toString();
    }

    /**
     * The first setting that differs.
     *
     * @return its name.
     */
    public String setting()
    {
        return differences.get(0).setting();
    }

    /**
     * The first differing setting's value saved in the region.
     *
     * @return the value, in plain words.
     */
    public String saved()
    {
        return differences.get(0).saved();
    }

    /**
     * The first differing setting's value in the configuration.
     *
     * @return the value, in plain words.
     */
    public String requested()
    {
        return differences.get(0).requested();
    }

    /**
     * Every setting that differs, in the order they were compared.
     *
     * @return the differences, at least one.
     */
    public List<Difference> differences()
    {
        return differences;
    }
}
