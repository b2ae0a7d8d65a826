package io.shmtx.cli;

import io.shmtx.deadlock.LockManager;
import io.shmtx.deadlock.LockManagerConfig;
import io.shmtx.deadlock.LockPolicy;
import io.shmtx.pool.PoolConfig;
import io.shmtx.pool.TieredPool;
import io.shmtx.refcount.RefCountConfig;
import io.shmtx.refcount.RefCounts;
import io.shmtx.region.Region;
import io.shmtx.region.RegionConfig;
import io.shmtx.region.RegionDescriptor;
import io.shmtx.region.RegionInfo;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
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
import picocli.CommandLine.TypeConversionException;

/**
 * {@code shmtx create FILE}: creates a region file (an error if a region is there already),
 * optionally with a pool section, reference counts on its blocks and a lock table, and prints its
 * layout. Does not attach.
 *
 * <p>Not threadsafe: picocli fills one instance per command line.
 */
@Command(
    name = "create",
    mixinStandardHelpOptions = true,
    defaultValueProvider = CreateCommand.Defaults.class,
    description = "Create a region file (with --pool: with a tiered block pool; with --refcounts: with reference"
        + " counts on its blocks; with --locks: with a lock table) and print its layout. Fails if a region exists"
        + " at FILE.")
final class CreateCommand implements Callable<Integer>
{
    /**
     * {@code PoolConfig.defaults()} tiers as {@code --pool-tiers} takes them, spaced so that the help can wrap
     * them (a test keeps the two equal).
     */
    static final String DEFAULT_POOL_TIERS =
        "32:8192, 64:8192, 128:4096, 256:2048, 512:1024, 1k:512, 4k:256, 16k:64, 64k:16";

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "Region file to create, e.g. /dev/shm/my-region.")
    private Path file;

    @Option(names = "--size", paramLabel = "SIZE", converter = ByteSize.class,
        description = "Region size: bytes, or with k, m, g (e.g. 64m, 1g); rounded up to 4 KiB."
            + " 0 = just what the sections need (a smaller non-zero size is refused). Default: ${DEFAULT-VALUE}.")
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

    @Option(names = "--pool",
        description = "Add a tiered block pool section (the pool module's default tiers unless --pool-tiers).")
    private boolean pool;

    /**
     * One comma-separated list per {@code --pool-tiers} given (the option may be repeated), parsed by
     * {@link TierSpec#parseList}: not split by picocli, whose splitting drops trailing empty elements.
     */
    @Option(names = "--pool-tiers", paramLabel = "SIZE:COUNT,...",
        description = "The pool's tiers, smallest block first: block size (bytes, or with k, m, g; a multiple of 8)"
            + " and block count, optionally :RESERVE (blocks only critical requests may take), e.g."
            + " 64:8192,4k:256. Implies --pool. Default: " + DEFAULT_POOL_TIERS + ".")
    private List<String> poolTiers;

    @Option(names = "--refcounts",
        description = "Add reference counts on the pool's blocks (the refcount module's defaults)."
            + " Needs --pool or --pool-tiers.")
    private boolean refcounts;

    @Option(names = "--locks",
        description = "Add a lock table section (the deadlock module's defaults; the policy from --lock-policy).")
    private boolean locks;

    @Option(names = "--lock-policy", paramLabel = "POLICY",
        description = "The lock table's policy: ${COMPLETION-CANDIDATES} (processes may switch it later)."
            + " Implies --locks. Default: ${DEFAULT-VALUE}.")
    private LockPolicy lockPolicy;

    @Override
    public Integer call()
    {
        final PoolConfig poolConfig = pool || poolTiers != null ? poolConfig() : null;
        if (refcounts && poolConfig == null)
        {
            throw new ParameterException(spec.commandLine(),
                "--refcounts needs a pool to count references to: add --pool or --pool-tiers");
        }
        final RefCountConfig refCountConfig = refcounts ? RefCountConfig.defaults() : null;
        final LockManagerConfig lockConfig = locks || lockPolicyGiven() ? lockConfig() : null;
        final RegionConfig config = config(poolConfig, refCountConfig, lockConfig);
        checkSize(config);
        final PrintWriter out = spec.commandLine().getOut();
        final Path real = RegionPaths.canonical(file);
        try (Region region = Region.create(real, config))
        {
            final RegionInfo info = region.inspect();
            out.println("created region " + info.file());
            RegionPrinter.header(out, info, Region.lockFilePath(real));
            RegionPrinter.sections(out, info);
            if (poolConfig != null)
            {
                try (TieredPool created = TieredPool.open(region))
                {
                    PoolPrinter.config(out, created.config());
                }
            }
            if (refCountConfig != null)
            {
                RefCountPrinter.config(out, refCountConfig);
            }
            if (lockConfig != null)
            {
                LockPrinter.config(out, lockConfig);
            }
        }
        out.flush();
        return 0;
    }

    private PoolConfig poolConfig()
    {
        if (poolTiers == null)
        {
            return PoolConfig.defaults();
        }
        try
        {
            final PoolConfig.Builder builder = PoolConfig.builder();
            for (final String tiers : poolTiers)
            {
                TierSpec.parseList(tiers).forEach(builder::tier);
            }
            return builder.build();
        }
        catch (final TypeConversionException | IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(), "invalid value for --pool-tiers: " + ex.getMessage(), ex);
        }
    }

    private boolean lockPolicyGiven()
    {
        return spec.commandLine().getParseResult().hasMatchedOption("--lock-policy");
    }

    private LockManagerConfig lockConfig()
    {
        return LockManagerConfig.builder().policy(lockPolicy).build();
    }

    private RegionConfig config(final PoolConfig poolConfig, final RefCountConfig refCountConfig,
        final LockManagerConfig lockConfig)
    {
        try
        {
            final RegionConfig.Builder builder = RegionConfig.builder()
                .size(size)
                .processSlots(processSlots)
                .rootSlots(rootSlots)
                .heartbeatInterval(Duration.ofMillis(heartbeatMs))
                .permissions(permissions);
            final RegionConfig regionOnly = builder.build(); // checks --process-slots before the sections use it
            if (poolConfig == null && lockConfig == null)
            {
                return regionOnly;
            }
            if (poolConfig != null)
            {
                try
                {
                    builder.section(TieredPool.section(poolConfig, processSlots));
                }
                catch (final IllegalArgumentException ex)
                {
                    final String option = poolTiers == null ? "--pool" : "--pool-tiers";
                    throw new ParameterException(spec.commandLine(),
                        "invalid value for " + option + ": " + ex.getMessage(), ex);
                }
            }
            if (refCountConfig != null)
            {
                try
                {
                    builder.section(RefCounts.section(poolConfig, refCountConfig, processSlots));
                }
                catch (final IllegalArgumentException ex)
                {
                    throw new ParameterException(spec.commandLine(), "invalid --refcounts: " + ex.getMessage(), ex);
                }
            }
            if (lockConfig != null)
            {
                try
                {
                    builder.section(LockManager.section(lockConfig, processSlots));
                }
                catch (final IllegalArgumentException ex)
                {
                    throw new ParameterException(spec.commandLine(),
                        "invalid value for --process-slots with --locks: " + ex.getMessage(), ex);
                }
            }
            return builder.build();
        }
        catch (final IllegalArgumentException ex)
        {
            final String message = "invalid value" + optionOf(ex.getMessage()) + ": " + ex.getMessage();
            throw new ParameterException(spec.commandLine(), message, ex);
        }
    }

    /**
     * Refuses, as usage errors, the sizes {@link Region#create} would refuse for this
     * configuration: a {@code --size} below what the sections need, and sections larger than the
     * largest region. Checked here so that a bad value is exit 2 like every other bad value, and
     * before the file is touched.
     */
    private void checkSize(final RegionConfig config)
    {
        final long needed = config.neededSize();
        if (needed > RegionDescriptor.MAX_REGION_SIZE)
        {
            throw new ParameterException(spec.commandLine(), "the sections need " + needed
                + " bytes, more than the largest region (" + RegionDescriptor.MAX_REGION_SIZE
                + " bytes): give fewer or smaller --pool-tiers, fewer --process-slots or --root-slots, or leave out"
                + " --refcounts or --locks");
        }
        if (config.size() != 0 && RegionDescriptor.align(config.size(), RegionDescriptor.PAGE_SIZE) < needed)
        {
            throw new ParameterException(spec.commandLine(), "invalid value for --size: size=" + config.size()
                + " is too small: the sections need " + needed + " bytes (--size 0 gives just what they need)");
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
     * The defaults shown in the help and used when an option is absent: the region module's own
     * (and the deadlock module's policy).
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
                case "--lock-policy": return LockManagerConfig.defaults().policy().name();
                default: return null;
            }
        }
    }
}
