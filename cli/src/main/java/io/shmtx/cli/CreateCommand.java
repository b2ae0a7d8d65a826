package io.shmtx.cli;

import io.shmtx.region.Region;
import io.shmtx.region.RegionConfig;
import io.shmtx.region.RegionInfo;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code shmtx create FILE}: creates a region file (an error if a region is there already) and
 * prints its layout. Does not attach.
 *
 * <p>Not threadsafe: picocli fills one instance per command line.
 */
@Command(
    name = "create",
    mixinStandardHelpOptions = true,
    defaultValueProvider = CreateCommand.Defaults.class,
    description = "Create a region file and print its layout. Fails if a region exists at FILE.")
final class CreateCommand implements Callable<Integer>
{
    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "Region file to create, e.g. /dev/shm/my-region.")
    private Path file;

    @Option(names = "--size", paramLabel = "SIZE", converter = ByteSize.class,
        description = "Region size: bytes, or with k, m, g (e.g. 64m, 1g); rounded up to 4 KiB."
            + " 0 = just what the sections need. Default: ${DEFAULT-VALUE}.")
    private long size;

    @Option(names = "--process-slots", paramLabel = "N",
        description = "How many processes may attach at once. Default: ${DEFAULT-VALUE}.")
    private int processSlots;

    @Option(names = "--root-slots", paramLabel = "N",
        description = "How many named roots fit. Default: ${DEFAULT-VALUE}.")
    private int rootSlots;

    @Option(names = "--permissions", paramLabel = "PERMS",
        description = "Permissions of the region and lock files, like rw-rw---- (share with the group)."
            + " Default: ${DEFAULT-VALUE}.")
    private String permissions;

    @Option(names = "--heartbeat-ms", paramLabel = "MS",
        description = "Heartbeat interval of attached processes, in ms (10 to 3600000). Default: ${DEFAULT-VALUE}.")
    private long heartbeatMs;

    @Override
    public Integer call()
    {
        final RegionConfig config = config();
        final PrintWriter out = spec.commandLine().getOut();
        final Path real = RegionPaths.canonical(file);
        try (Region region = Region.create(real, config))
        {
            final RegionInfo info = region.inspect();
            out.println("created region " + info.file());
            RegionPrinter.header(out, info, Region.lockFilePath(real));
            RegionPrinter.sections(out, info);
        }
        out.flush();
        return 0;
    }

    private RegionConfig config()
    {
        try
        {
            return RegionConfig.builder()
                .size(size)
                .processSlots(processSlots)
                .rootSlots(rootSlots)
                .heartbeatInterval(Duration.ofMillis(heartbeatMs))
                .permissions(permissions)
                .build();
        }
        catch (final IllegalArgumentException ex)
        {
            final String message = "invalid value" + optionOf(ex.getMessage()) + ": " + ex.getMessage();
            throw new ParameterException(spec.commandLine(), message, ex);
        }
    }

    /** The option behind a {@link RegionConfig} message, which names the config field ("processSlots=0 ..."). */
    private static String optionOf(final String message)
    {
        final String field = message == null ? "" : message.replaceAll("^([A-Za-z]+).*", "$1");
        switch (field)
        {
            case "size": return " for --size";
            case "processSlots": return " for --process-slots";
            case "rootSlots": return " for --root-slots";
            case "heartbeatInterval": return " for --heartbeat-ms";
            case "permissions": return " for --permissions";
            default: return "";
        }
    }

    /**
     * The defaults shown in the help and used when an option is absent: the region module's own.
     */
    static final class Defaults implements IDefaultValueProvider
    {
        private static final RegionConfig DEFAULTS = RegionConfig.defaults();

        @Override
        public String defaultValue(final ArgSpec argSpec)
        {
            if (!(argSpec instanceof OptionSpec))
            {
                return null;
            }
            switch (((OptionSpec)argSpec).longestName())
            {
                case "--size": return Long.toString(DEFAULTS.size());
                case "--process-slots": return Integer.toString(DEFAULTS.processSlots());
                case "--root-slots": return Integer.toString(DEFAULTS.rootSlots());
                case "--permissions": return PosixFilePermissions.toString(DEFAULTS.permissions());
                case "--heartbeat-ms": return Long.toString(DEFAULTS.heartbeatInterval().toMillis());
                default: return null;
            }
        }
    }
}
