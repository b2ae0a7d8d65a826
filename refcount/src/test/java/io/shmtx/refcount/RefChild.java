package io.shmtx.refcount;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Child JVM of the multi-process reference-count tests. Args: mode, region file, object count,
 * seed. Modes: {@code chaos} retains and releases random shared objects (named roots obj0..)
 * until told "stop" on standard input (then releases everything and exits); {@code hold} retains
 * each object {@code seed} times and waits for "stop".
 */
public final class RefChild
{
    private RefChild()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final String mode = args[0];
        final Path file = Path.of(args[1]);
        final int objects = Integer.parseInt(args[2]);
        final long seed = Long.parseLong(args[3]);
        try (RefFixture f = new RefFixture(file))
        {
            final long[] handles = new long[objects];
            for (int o = 0; o < objects; o++)
            {
                handles[o] = f.region.root("obj" + o);
            }
            System.out.println("ATTACHED slot=" + f.region.slot());
            final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            if (mode.equals("hold"))
            {
                for (final long h : handles)
                {
                    for (int i = 0; i < seed; i++)
                    {
                        f.refs.retain(h);
                    }
                }
                System.out.println("HOLDING");
                in.readLine();
            }
            else
            {
                final SplittableRandom random = new SplittableRandom(seed);
                final Thread worker = new Thread(() ->
                {
                    long operations = 0;
                    while (!Thread.currentThread().isInterrupted())
                    {
                        final long h = handles[random.nextInt(objects)];
                        if (f.refs.held(h) > 0 && random.nextBoolean())
                        {
                            f.refs.release(h);
                        }
                        else if (f.refs.held(h) < 50)
                        {
                            f.refs.retain(h);
                        }
                        if (++operations == 2000)
                        {
                            System.out.println("RUNNING");
                        }
                    }
                });
                final Throwable[] failure = new Throwable[1];
                worker.setUncaughtExceptionHandler((thread, ex) -> failure[0] = ex);
                worker.start();
                in.readLine();
                worker.interrupt();
                worker.join();
                if (failure[0] != null)
                {
                    failure[0].printStackTrace();
                    System.exit(1); // the parent's exit-code check sees the failed worker
                }
            }
        }
        System.out.println("DONE");
    }
}
