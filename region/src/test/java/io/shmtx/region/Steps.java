package io.shmtx.region;

import java.util.function.BiFunction;

/**
 * Recovery steps for tests.
 */
final class Steps
{
    private Steps()
    {
    }

    /**
     * A step of order 5 for section {@code sectionId}, named {@code name}, running {@code body}.
     */
    static RecoveryStep step(final String name, final int sectionId, final BiFunction<Region, DeadProcess, String> body)
    {
        return new RecoveryStep()
        {
            public String name()
            {
                return name;
            }

            public int order()
            {
                return 5;
            }

            public int sectionId()
            {
                return sectionId;
            }

            public String recover(final Region region, final DeadProcess dead)
            {
                return body.apply(region, dead);
            }
        };
    }
}
