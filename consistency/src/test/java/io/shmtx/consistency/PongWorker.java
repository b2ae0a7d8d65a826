package io.shmtx.consistency;

import java.nio.file.Path;

/**
 * Child JVM for {@link RetryTest}: answers pings through a shared object with {@code Tx.retry()}.
 * Args: region file, root name, rounds. Waits (retry) until word 0 of the box is odd (a ping),
 * then makes it even (the pong), for {@code rounds} rounds; prints "READY" first, "DONE" last.
 */
public final class PongWorker
{
    private PongWorker()
    {
    }

    public static void main(final String[] args)
    {
        final Path file = Path.of(args[0]);
        final int rounds = Integer.parseInt(args[2]);
        try (SharedMemory shm = SharedMemory.open(file, RetryTest.config(ConsistencyModel.RELEASE)))
        {
            final long box = shm.root(args[1]);
            System.out.println("READY");
            for (int r = 0; r < rounds; r++)
            {
                shm.transact(tx ->
                {
                    final long v = tx.getLong(box, 0);
                    if ((v & 1) == 0)
                    {
                        tx.retry();
                    }
                    tx.putLong(box, 0, v + 1);
                });
            }
            System.out.println("DONE " + shm.stats().retryWaits());
        }
    }
}
