package io.shmtx.deadlock;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Child JVM of the multi-process lock tests. Args: mode (work | hold), region file, seed,
 * transactions. {@code work} runs the workload and prints DONE with its counts; {@code hold} takes
 * an exclusive lock on key 1 and a shared one on key 2, prints LOCKED and waits on standard input.
 */
public final class LockChild
{
    private LockChild()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        try (LockFixture f = new LockFixture(Path.of(args[1])))
        {
            if (args[0].equals("hold"))
            {
                final Txn tx = f.locks.begin();
                tx.lock(1, LockMode.EXCLUSIVE);
                tx.lock(2, LockMode.SHARED);
                System.out.println("LOCKED slot=" + f.region.slot());
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                return;
            }
            final LockWorkload workload = new LockWorkload();
            workload.run(f, Long.parseLong(args[2]), Integer.parseInt(args[3]));
            System.out.println("DONE committed=" + workload.committed + " aborts=" + workload.aborts + " violations=" + workload.violations);
        }
    }
}
