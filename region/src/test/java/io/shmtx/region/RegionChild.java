package io.shmtx.region;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Main class of the child JVMs in the multi-process tests. First argument: the mode; second:
 * the region file. Prints one line per event; reads commands from standard input.
 */
public final class RegionChild
{
    private RegionChild()
    {
    }

    static RegionConfig config()
    {
        return RegionConfig.builder().processSlots(8).rootSlots(8)
            .heartbeatInterval(Duration.ofMillis(50)).watchdogInterval(Duration.ZERO).build();
    }

    public static void main(final String[] args) throws Exception
    {
        final String mode = args[0];
        final Path file = Path.of(args[1]);
        switch (mode)
        {
            case "attach":
                try (Region region = Region.open(file))
                {
                    serve(region);
                }
                break;
            case "open-or-create":
                try (Region region = Region.openOrCreate(file, config()))
                {
                    serve(region);
                }
                break;
            case "read":
                try (Region region = Region.openReadOnly(file))
                {
                    for (final ProcessSlotInfo process : region.processes())
                    {
                        System.out.println("PROCESS slot=" + process.slot() + " pid=" + process.pid() + " alive=" + process.alive());
                    }
                    System.out.println("READ roots=" + region.roots() + " clock=" + region.currentTimestamp());
                }
                catch (final RuntimeException ex)
                {
                    System.out.println("FAILED " + ex);
                }
                break;
            case "race":
            case "create-race":
                awaitGo(Path.of(args[2]));
                try (Region region = mode.equals("race") ? Region.openOrCreate(file, config()) : Region.create(file, config()))
                {
                    final int slot = region.attach();
                    System.out.println("RACED slot=" + slot + " created=" + region.inspect().createdMillis()
                        + " creator=" + region.inspect().creatorPid());
                    serve(region);
                }
                catch (final RegionExistsException ex)
                {
                    System.out.println("EXISTS " + ex.getMessage());
                }
                break;
            case "slow-create":
                Region.initHook = () ->
                {
                    System.out.println("INITIALISING");
                    sleep(60_000);
                };
                Region.create(file, config());
                System.out.println("UNEXPECTED: created");
                break;
            case "slow-recover":
                try (Region region = Region.open(file))
                {
                    region.registerRecoveryStep(new RecoveryStep()
                    {
                        public String name()
                        {
                            return "slow";
                        }

                        public int order()
                        {
                            return 1;
                        }

                        public String recover(final Region r, final DeadProcess dead)
                        {
                            System.out.println("RECOVERING slot=" + dead.slot() + " pid=" + dead.pid());
                            sleep(60_000);
                            return "slept";
                        }
                    });
                    region.recoverDeadSlots();
                    System.out.println("UNEXPECTED: recovered");
                }
                break;
            default:
                throw new IllegalArgumentException("mode " + mode);
        }
    }

    private static void serve(final Region region) throws Exception
    {
        if (region.slot() < 0)
        {
            region.attach();
        }
        System.out.println("ATTACHED slot=" + region.slot() + " pid=" + ProcessHandle.current().pid());
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null)
        {
            final String[] words = line.split(" ");
            switch (words[0])
            {
                case "ping":
                    System.out.println("PONG");
                    break;
                case "alive":
                    System.out.println("ALIVE " + words[1] + " " + region.isAlive(Integer.parseInt(words[1])));
                    break;
                case "bind":
                    region.bindRoot(words[1], Long.parseLong(words[2]));
                    System.out.println("BOUND " + words[1]);
                    break;
                case "root":
                    System.out.println("ROOT " + words[1] + " " + region.findRoot(words[1]));
                    break;
                case "tick":
                    final int n = Integer.parseInt(words[1]);
                    long last = 0;
                    for (int i = 0; i < n; i++)
                    {
                        last = region.nextTimestamp();
                    }
                    System.out.println("TICKED " + last);
                    break;
                case "exit":
                    System.out.println("EXITING");
                    return;
                default:
                    System.out.println("UNKNOWN " + line);
            }
        }
    }

    private static void awaitGo(final Path go) throws InterruptedException
    {
        System.out.println("READY");
        final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!Files.exists(go) && System.nanoTime() < deadline)
        {
            Thread.onSpinWait();
        }
    }

    private static void sleep(final long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
