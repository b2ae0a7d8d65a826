package io.shmtx.region;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Main class of a child JVM started without {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED}
 * ({@link io.shmtx.testkit.ChildJvm#startWithoutAddExports}). Arguments: a path where no region
 * is, and an existing region. Tries every entry point that touches a region file, printing one
 * line each ({@code <entry point>: <what it threw>}), then creates a region without catching what
 * that throws, so the JVM prints it and exits with status 1.
 */
public final class NoExportsChild
{
    private NoExportsChild()
    {
    }

    public static void main(final String[] args)
    {
        final Path fresh = Path.of(args[0]);
        final Path existing = Path.of(args[1]);
        attempt("open", () -> Region.open(existing).close());
        attempt("open(watchdog)", () -> Region.open(existing, Duration.ZERO).close());
        attempt("openReadOnly", () -> Region.openReadOnly(existing).close());
        attempt("openOrCreate", () -> Region.openOrCreate(fresh, RegionConfig.defaults()).close());
        attempt("delete", () -> Region.delete(existing));
        Region.create(fresh, RegionConfig.builder().section(new SectionSpec(SectionSpec.FIRST_USER_ID, 4096, false)).build()).close();
        System.out.println("created: no exception");
    }

    private static void attempt(final String entryPoint, final Runnable call)
    {
        try
        {
            call.run();
            System.out.println(entryPoint + ": no exception");
        }
        catch (final Throwable ex)
        {
            System.out.println(entryPoint + ": " + ex);
        }
    }
}
