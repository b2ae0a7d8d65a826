package io.shmtx.consistency;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Child JVM of {@link BankHarness} that switches the model. Args: region file, period in ms,
 * models (comma-separated, switched to in turn). Prints "SWITCHING" after its first switch and
 * "SWITCHER DONE switches=N timeouts=M" when told "stop" on standard input.
 */
public final class SwitchWorker
{
    private SwitchWorker()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Path file = Path.of(args[0]);
        final long period = Long.parseLong(args[1]);
        final String[] names = args[2].split(",");
        final ConsistencyModel[] models = new ConsistencyModel[names.length];
        for (int m = 0; m < names.length; m++)
        {
            models[m] = ConsistencyModel.valueOf(names[m]);
        }
        try (SharedMemory shm = SharedMemory.open(file, BankHarness.config()))
        {
            final long[] counts = new long[2];
            final Thread switcher = new Thread(() ->
            {
                for (int i = 0; !Thread.currentThread().isInterrupted(); i++)
                {
                    try
                    {
                        shm.switchModel(models[i % models.length]);
                        if (++counts[0] == 1)
                        {
                            System.out.println("SWITCHING");
                        }
                    }
                    catch (final ModelSwitchTimeoutException ex)
                    {
                        counts[1]++;
                    }
                    try
                    {
                        Thread.sleep(period);
                    }
                    catch (final InterruptedException ex)
                    {
                        return;
                    }
                }
            }, "switcher");
            final Throwable[] failure = new Throwable[1];
            switcher.setUncaughtExceptionHandler((thread, ex) -> failure[0] = ex);
            switcher.start();
            final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            in.readLine();
            switcher.interrupt();
            switcher.join();
            if (failure[0] != null)
            {
                failure[0].printStackTrace(System.out);
                System.exit(1);
            }
            System.out.println("SWITCHER DONE switches=" + counts[0] + " timeouts=" + counts[1]);
        }
    }
}
