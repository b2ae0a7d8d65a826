package io.shmtx.pool;

/**
 * Validates a {@link MemoryStrategy}, an allocation request or a deallocation request, returning
 * a verdict instead of throwing.
 *
 * <p>This class is threadsafe: it has no state.
 */
public final class StrategyValidator
{
    private StrategyValidator()
    {
    }

    /**
     * A verdict. Immutable.
     *
     * @param ok      whether the request or strategy is valid.
     * @param message why not, or "ok".
     */
    public record Verdict(boolean ok, String message)
    {
    }

    /**
     * Validates a strategy's shared structures.
     *
     * @param strategy the strategy.
     * @return ok, or the problems joined.
     */
    public static Verdict validate(final MemoryStrategy strategy)
    {
        final ValidationReport report = strategy.validate();
        return report.valid() ? new Verdict(true, "ok") : new Verdict(false, String.join("; ", report.problems()));
    }

    /**
     * Validates an allocation request without allocating.
     *
     * @param strategy the strategy.
     * @param size     requested bytes.
     * @return ok, or why the request would be refused.
     */
    public static Verdict validateAllocation(final MemoryStrategy strategy, final int size)
    {
        try
        {
            strategy.checkAllocation(size);
            return new Verdict(true, "ok");
        }
        catch (final IllegalArgumentException ex)
        {
            return new Verdict(false, ex.getMessage());
        }
    }

    /**
     * Validates a deallocation request without freeing.
     *
     * @param strategy the strategy.
     * @param handle   handle to free.
     * @return ok, or why the free would be refused.
     */
    public static Verdict validateDeallocation(final MemoryStrategy strategy, final long handle)
    {
        try
        {
            strategy.checkDeallocation(handle);
            return new Verdict(true, "ok");
        }
        catch (final HandleException ex)
        {
            return new Verdict(false, ex.getMessage());
        }
    }
}
