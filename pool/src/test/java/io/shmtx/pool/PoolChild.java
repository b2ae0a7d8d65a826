package io.shmtx.pool;

import io.shmtx.region.Region;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Child JVM of the multi-process pool tests. Args: mode (churn | crashy), region file, seconds,
 * seed. Allocates and frees random sizes, stamping each block with its pid and a counter and
 * checking the stamp before freeing: a block handed to two owners at once shows as a stamp
 * mismatch ("CORRUPTION", exit 3).
 */
public final class PoolChild
{
    private PoolChild()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final String mode = args[0];
        final Path file = Path.of(args[1]);
        final long seconds = Long.parseLong(args[2]);
        final SplittableRandom random = new SplittableRandom(Long.parseLong(args[3]));
        final long pid = ProcessHandle.current().pid();
        try (Region region = Region.open(file); TieredPool pool = TieredPool.open(region))
        {
            region.attach();
            System.out.println("ATTACHED slot=" + region.slot());
            final List<long[]> held = new ArrayList<>(); // {handle, stamp}
            final long deadline = System.nanoTime() + seconds * 1_000_000_000L;
            long counter = 0;
            long failures = 0;
            boolean announced = false;
            while (mode.equals("crashy") || System.nanoTime() < deadline)
            {
                if (held.isEmpty() || (held.size() < 64 && random.nextInt(100) < 55))
                {
                    final long handle = pool.tryAllocate(1 + random.nextInt(pool.config().tiers().get(pool.tierCount() - 1).blockSize()));
                    if (handle == 0)
                    {
                        failures++;
                        continue;
                    }
                    final long stamp = (pid << 24) ^ ++counter;
                    pool.putLong(handle, 0, stamp);
                    if (random.nextInt(8) == 0)
                    {
                        pool.publish(handle); // published blocks survive their owner's death
                    }
                    held.add(new long[] {handle, stamp});
                }
                else
                {
                    final long[] entry = held.remove(random.nextInt(held.size()));
                    final long seen = pool.getLong(entry[0], 0);
                    if (seen != entry[1])
                    {
                        System.out.println("CORRUPTION handle=" + Handles.toString(entry[0]) + " stamp=" + entry[1] + " seen=" + seen);
                        System.exit(3);
                    }
                    pool.free(entry[0]);
                }
                if (!announced && counter > 1000)
                {
                    announced = true;
                    System.out.println("RUNNING");
                }
            }
            for (final long[] entry : held)
            {
                if (pool.getLong(entry[0], 0) != entry[1])
                {
                    System.out.println("CORRUPTION at the end handle=" + Handles.toString(entry[0]));
                    System.exit(3);
                }
                pool.free(entry[0]);
            }
            System.out.println("DONE allocations=" + counter + " failures=" + failures);
        }
    }
}
