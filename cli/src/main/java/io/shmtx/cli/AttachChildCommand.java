package io.shmtx.cli;

import io.shmtx.pool.TieredPool;
import io.shmtx.region.Region;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code shmtx attach-child FILE} (hidden, run by {@code demo} in its child JVMs): attaches to a
 * region, prints {@code ATTACHED slot=N pid=P}; with {@code --allocate N} allocates N blocks of
 * {@value #BLOCK_BYTES} bytes from the region's pool and prints {@code ALLOCATED N blocks of 64
 * bytes}; waits until its standard input ends (or a bounded time); frees the blocks (printing
 * {@code FREED N}), prints {@code DETACHING slot=N} and detaches.
 *
 * <p>Not threadsafe: picocli fills one instance per command line.
 */
@Command(
    name = "attach-child",
    hidden = true,
    description = "Attach to FILE, print ATTACHED slot=N pid=P, hold the slot until standard input ends, detach.")
final class AttachChildCommand implements Callable<Integer>
{
    /** Size of the blocks {@code --allocate} asks for. */
    static final int BLOCK_BYTES = 64;

    private static final long MAX_WAIT_SECONDS = 86_400;

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "Region file.")
    private Path file;

    @Option(names = "--no-watchdog",
        description = "Do not recover dead slots periodically (the demo's parent recovers them, deterministically).")
    private boolean noWatchdog;

    @Option(names = "--max-wait-s", paramLabel = "S", defaultValue = "60",
        description = "Detach after this many seconds (0 to " + MAX_WAIT_SECONDS + ") even if standard input is still"
            + " open. Default: ${DEFAULT-VALUE}.")
    private long maxWaitSeconds;

    @Option(names = "--allocate", paramLabel = "N", defaultValue = "0",
        description = "After attaching, allocate N blocks of " + BLOCK_BYTES + " bytes from the region's pool;"
            + " free them before detaching. Default: ${DEFAULT-VALUE}.")
    private int allocate;

    @Override
    public Integer call() throws InterruptedException
    {
        if (allocate < 0)
        {
            throw new ParameterException(spec.commandLine(),
                "invalid value for --allocate: " + allocate + " is negative");
        }
        if (maxWaitSeconds < 0 || maxWaitSeconds > MAX_WAIT_SECONDS)
        {
            throw new ParameterException(spec.commandLine(),
                "invalid value for --max-wait-s: " + maxWaitSeconds + " is not in 0.." + MAX_WAIT_SECONDS);
        }
        final PrintWriter out = spec.commandLine().getOut();
        final Path real = RegionPaths.canonical(file);
        try (Region region = noWatchdog ? Region.open(real, Duration.ZERO) : Region.open(real);
            // opened before attach(): the region wants recovery steps registered before it may run them
            TieredPool pool = allocate > 0 ? TieredPool.open(region) : null)
        {
            final int slot = region.attach();
            out.println("ATTACHED slot=" + slot + " pid=" + ProcessHandle.current().pid());
            out.flush();
            final long[] handles = new long[allocate];
            for (int i = 0; i < allocate; i++)
            {
                handles[i] = pool.allocate(BLOCK_BYTES);
                pool.putLong(handles[i], 0, ProcessHandle.current().pid());
            }
            if (allocate > 0)
            {
                out.println("ALLOCATED " + allocate + " blocks of " + BLOCK_BYTES + " bytes");
                out.flush();
            }
            final boolean ended = awaitEndOfInput(System.in, Duration.ofSeconds(maxWaitSeconds));
            for (final long handle : handles)
            {
                pool.free(handle);
            }
            if (allocate > 0)
            {
                out.println("FREED " + allocate);
            }
            out.println((ended ? "DETACHING" : "TIMED OUT, DETACHING") + " slot=" + slot);
            out.flush();
        }
        return 0;
    }

    private static boolean awaitEndOfInput(final InputStream in, final Duration timeout) throws InterruptedException
    {
        final CountDownLatch ended = new CountDownLatch(1);
        final Thread reader = new Thread(() ->
        {
            final byte[] bytes = new byte[256];
            try
            {
                while (in.read(bytes) >= 0)
                {
                    // discard: only the end of the input matters
                }
            }
            catch (final IOException ex)
            {
                // a broken pipe ends the input too
            }
            ended.countDown();
        }, "stdin-watch");
        reader.setDaemon(true); // a read cannot be interrupted; exiting the JVM ends it
        reader.start();
        return ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
}
