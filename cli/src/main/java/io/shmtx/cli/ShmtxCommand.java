package io.shmtx.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.IVersionProvider;

/**
 * The top-level {@code shmtx} command: only groups the subcommands (a missing subcommand is a
 * usage error). Every command's help ends with the exit codes ({@link Main#newCommandLine}).
 *
 * <p>Not threadsafe: picocli fills one instance per command line.
 */
@Command(
    name = "shmtx",
    mixinStandardHelpOptions = true,
    versionProvider = ShmtxCommand.Version.class,
    description = "Create, list, inspect, watch, demonstrate and soak-test shmtx region files (shared memory between JVM"
        + " processes).",
    subcommands = {
        CreateCommand.class,
        InspectCommand.class,
        StatCommand.class,
        ListCommand.class,
        DemoCommand.class,
        AttachChildCommand.class,
        SoakCommand.class,
        SoakWorkerCommand.class,
        SoakCheckCommand.class,
        HelpCommand.class,
    })
final class ShmtxCommand
{
    /**
     * {@code --version}: this program's version (from the build) and the JVM's.
     */
    static final class Version implements IVersionProvider
    {
        @Override
        public String[] getVersion() throws IOException
        {
            final Properties properties = new Properties();
            try (InputStream in = ShmtxCommand.class.getResourceAsStream("version.properties"))
            {
                if (in != null)
                {
                    properties.load(in);
                }
            }
            return new String[] {
                "shmtx " + properties.getProperty("version", "(unknown version)"),
                "JVM: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                    + " (" + System.getProperty("java.vendor") + ")",
            };
        }
    }
}
