package io.shmtx.region;

/**
 * A section that a module reserves in the region at create time: an id recorded in the section
 * table, a length, and whether its contents hold per-process state that a recovery step must
 * clean up after a process dies.
 *
 * <p>Ids {@link #PROCESS_TABLE} and {@link #ROOTS} belong to the region itself; ids 3 to 15 are
 * reserved for shmtx modules; applications use ids 16 and above. Instances are immutable.
 *
 * @param id            section id, positive and unique in a region.
 * @param length        length in bytes, positive (rounded up to a page in the file).
 * @param needsRecovery whether a dead process's state in this section must be recovered by a
 *                      {@link RecoveryStep} registered for this id; while no process has such a
 *                      step registered, it does not free dead slots (they wait for one that has).
 * @param formatter     writes the section's initial contents while the region is created, before
 *                      it is published as ready (so a crash leaves an unready region, never a
 *                      half-formatted section); {@code null} leaves it zero-filled.
 * @param settings      the module settings the section is laid out for, compared with an existing
 *                      region's when one is opened with this spec ({@link Region#checkSettings});
 *                      {@code null} when there are none to compare (only its length is).
 */
public record SectionSpec(int id, long length, boolean needsRecovery, SectionFormatter formatter, SectionSettings settings)
{
    /** Id of the process table section. */
    public static final int PROCESS_TABLE = 1;
    /** Id of the named-roots section. */
    public static final int ROOTS = 2;
    /** Id of the pool section. */
    public static final int POOL = 3;
    /** Id of the lock table section. */
    public static final int LOCK_TABLE = 4;
    /** Id of the ledgers section (undo/redo logs of the consistency module). */
    public static final int LEDGERS = 5;
    /** Id of the reference-count section. */
    public static final int REFCOUNT = 6;
    /** First id free for applications. */
    public static final int FIRST_USER_ID = 16;

    /**
     * A zero-filled section.
     *
     * @param id            section id.
     * @param length        length in bytes.
     * @param needsRecovery whether recovery is needed.
     */
    public SectionSpec(final int id, final long length, final boolean needsRecovery)
    {
        this(id, length, needsRecovery, null, null);
    }

    /**
     * A section with initial contents and no settings to compare.
     *
     * @param id            section id.
     * @param length        length in bytes.
     * @param needsRecovery whether recovery is needed.
     * @param formatter     initial contents writer, or {@code null}.
     */
    public SectionSpec(final int id, final long length, final boolean needsRecovery, final SectionFormatter formatter)
    {
        this(id, length, needsRecovery, formatter, null);
    }

    /**
     * Validates the values.
     *
     * @param id            section id.
     * @param length        length in bytes.
     * @param needsRecovery whether recovery is needed.
     * @param formatter     initial contents writer, or {@code null}.
     * @param settings      settings to compare with an existing region's, or {@code null}.
     */
    public SectionSpec
    {
        if (id <= ROOTS)
        {
            throw new IllegalArgumentException("section id=" + id + " is reserved or invalid: use an id above " + ROOTS);
        }
        if (length <= 0 || length > RegionDescriptor.MAX_REGION_SIZE)
        {
            throw new IllegalArgumentException("section id=" + id + " length=" + length
                + " must be in 1.." + RegionDescriptor.MAX_REGION_SIZE);
        }
    }

    /**
     * The section's name, length, recovery flag and settings (not its formatter, which is code).
     *
     * @return e.g. {@code SectionSpec[pool (id 3), 167744 bytes, needs recovery, settings {...}]}.
     */
    @Override
    public String toString()
    {
        return "SectionSpec[" + nameOf(id) + " (id " + id + "), " + length + " bytes, "
            + (needsRecovery ? "needs recovery" : "no recovery") + (settings != null ? ", settings " + settings : "") + "]";
    }

    /**
     * Human name of a section id, for diagnostics.
     *
     * @param id section id.
     * @return a short name.
     */
    public static String nameOf(final int id)
    {
        switch (id)
        {
            case PROCESS_TABLE: return "process-table";
            case ROOTS: return "roots";
            case POOL: return "pool";
            case LOCK_TABLE: return "lock-table";
            case LEDGERS: return "ledgers";
            case REFCOUNT: return "refcount";
            default: return "section-" + id;
        }
    }
}
