package io.shmtx.region;

import java.nio.file.Path;

/**
 * A region file whose content is not a valid, compatible region: wrong magic, other version,
 * truncated, sizes that do not add up, bad checksum, a corrupt field met while reading.
 * The message names the file, the field, the value found and the value required.
 *
 * <p>Instances are immutable and threadsafe.
 */
public class RegionFormatException extends RegionException
{
    private static final long serialVersionUID = 1L;

    /** Field at fault. */
    private final String field;
    /** Value found in the file, as text. */
    private final String found;
    /** Value required, as text. */
    private final String required;

    /**
     * A field of {@code file} holds {@code found} where {@code required} was needed.
     *
     * @param file     region file.
     * @param field    field at fault, e.g. {@code "magic"}.
     * @param found    value found, as text.
     * @param required value required, as text.
     */
    public RegionFormatException(final Path file, final String field, final String found, final String required)
    {
        super(file, field + "=" + found + " required=" + required);
        this.field = field;
        this.found = found;
        this.required = required;
    }

    /**
     * The field at fault.
     *
     * @return field name.
     */
    public String field()
    {
        return field;
    }

    /**
     * The value found in the file.
     *
     * @return value as text.
     */
    public String found()
    {
        return found;
    }

    /**
     * The value required.
     *
     * @return value as text.
     */
    public String required()
    {
        return required;
    }
}
