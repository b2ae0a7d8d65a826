package io.shmtx.consistency;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Child JVM of {@link BankHarness}. Args: region file, seed. Moves random amounts between random
 * accounts and audits the total (one in five transactions) until told "stop" on standard input;
 * prints "RUNNING" once it has committed, "BAD ..." at once if an audit sees a wrong total, and
 * "DONE transfers=N audits=M" when it stops.
 */
public final class BankWorker
{
    private BankWorker()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Path file = Path.of(args[0]);
        final SplittableRandom random = new SplittableRandom(Long.parseLong(args[1]));
        try (SharedMemory shm = SharedMemory.open(file, BankHarness.config()))
        {
            shm.region().addOwnerDeathListener(report -> System.out.println("RECOVERED " + report.stepResults()));
            final long directory = shm.root(BankHarness.ROOT);
            final long[] accounts = shm.readOnly(tx ->
            {
                final long[] handles = new long[tx.size(directory) / Long.BYTES];
                for (int a = 0; a < handles.length; a++)
                {
                    handles[a] = tx.getLong(directory, a * Long.BYTES);
                }
                return handles;
            });
            final long expected = accounts.length * BankHarness.INITIAL_BALANCE;
            final long[] counts = new long[2];
            final Thread worker = new Thread(() ->
            {
                while (!Thread.currentThread().isInterrupted())
                {
                    if (random.nextInt(5) == 0)
                    {
                        final String[] under = new String[1];
                        final long total = shm.readOnly(tx ->
                        {
                            under[0] = tx.model() + " epoch " + tx.epoch();
                            long sum = 0;
                            for (final long h : accounts)
                            {
                                sum += tx.getLong(h, 0);
                            }
                            return sum;
                        });
                        if (total != expected)
                        {
                            System.out.println("BAD audit saw " + total + " instead of " + expected + " under " + under[0]);
                        }
                        counts[1]++;
                    }
                    else
                    {
                        final long from = accounts[random.nextInt(accounts.length)];
                        final long to = accounts[random.nextInt(accounts.length)];
                        final long amount = 1 + random.nextInt(50);
                        shm.transact(tx ->
                        {
                            final long balance = tx.getLong(from, 0);
                            if (from != to && balance >= amount)
                            {
                                tx.putLong(from, 0, balance - amount);
                                tx.putLong(to, 0, tx.getLong(to, 0) + amount);
                            }
                        });
                        if (++counts[0] == 200)
                        {
                            System.out.println("RUNNING");
                        }
                    }
                }
            }, "bank-worker");
            final Throwable[] failure = new Throwable[1];
            worker.setUncaughtExceptionHandler((thread, ex) -> failure[0] = ex);
            worker.start();
            final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            in.readLine();
            worker.interrupt();
            worker.join();
            if (failure[0] != null)
            {
                failure[0].printStackTrace(System.out);
                System.exit(1);
            }
            System.out.println("DONE transfers=" + counts[0] + " audits=" + counts[1]);
        }
    }
}
