package io.shmtx.cli;

import io.shmtx.region.RegionException;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;

import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Entry point of the {@code shmtx} command.
 *
 * <p>This class is threadsafe (it has no state); each {@link CommandLine} it builds is not.
 *
 * <p>Exit codes: 0 success, 1 runtime error (a region that is missing, invalid or in use, a child
 * that failed), 2 usage error (unknown option, bad value). Expected errors print one line on
 * standard error, never a stack trace; only a bug in this program prints one.
 */
public final class Main
{
    /** Exit code of a runtime error. */
    public static final int EXIT_ERROR = CommandLine.ExitCode.SOFTWARE;
    /** Exit code of a usage error. */
    public static final int EXIT_USAGE = CommandLine.ExitCode.USAGE;

    private Main()
    {
    }

    /**
     * Runs the command and exits the JVM with its exit code.
     *
     * @param args command line arguments.
     */
    public static void main(final String[] args)
    {
        System.exit(newCommandLine().execute(args));
    }

    /**
     * A command line with this program's error handling, writing to {@code System.out} and
     * {@code System.err} until {@link CommandLine#setOut} / {@link CommandLine#setErr} say otherwise.
     *
     * @return a new command line.
     */
    public static CommandLine newCommandLine()
    {
        final CommandLine commandLine = new CommandLine(new ShmtxCommand());
        commandLine.setParameterExceptionHandler(Main::onUsageError);
        commandLine.setExecutionExceptionHandler(Main::onRuntimeError);
        return commandLine;
    }

    private static int onUsageError(final ParameterException ex, final String[] args)
    {
        final CommandLine failed = ex.getCommandLine();
        final PrintWriter err = failed.getErr();
        if (args.length == 0)
        {
            failed.usage(err);
            return EXIT_USAGE;
        }
        final String name = failed.getCommandSpec().qualifiedName();
        final String help = failed.getParent() == null ? "shmtx --help" : "shmtx help " + failed.getCommandName();
        err.println(name + ": " + oneLine(ex.getMessage()) + " (see '" + help + "')");
        err.flush();
        return EXIT_USAGE;
    }

    private static int onRuntimeError(final Exception ex, final CommandLine failed, final ParseResult parsed)
    {
        final PrintWriter err = failed.getErr();
        final String name = failed.getCommandSpec().qualifiedName();
        if (ex instanceof RegionException || ex instanceof CliException)
        {
            err.println(name + ": " + oneLine(ex.getMessage()));
        }
        else if (ex instanceof IOException || ex instanceof UncheckedIOException)
        {
            final Throwable io = ex instanceof UncheckedIOException ? ex.getCause() : ex;
            err.println(name + ": " + io.getClass().getSimpleName() + ": " + oneLine(io.getMessage()));
        }
        else
        {
            err.println(name + ": internal error, please report it: " + ex);
            ex.printStackTrace(err);
        }
        err.flush();
        return EXIT_ERROR;
    }

    private static String oneLine(final String message)
    {
        return message == null ? "" : message.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}
