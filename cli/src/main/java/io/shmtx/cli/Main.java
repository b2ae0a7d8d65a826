package io.shmtx.cli;

import io.shmtx.region.RegionException;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.TypeConversionException;

/**
 * Entry point of the {@code shmtx} command.
 *
 * <p>This class is threadsafe (it has no state); each {@link CommandLine} it builds is not.
 *
 * <p>Exit codes: 0 success, 1 runtime error (a region that is missing, invalid or in use, a child
 * that failed), 2 usage error (an unknown option or command, a missing argument, a value that is
 * malformed, empty, negative or out of range, including a {@code --size} too small for the
 * sections): every usage error is found before any file is touched. Expected errors print one
 * line on standard error, never a stack trace; only a bug in this program prints one.
 */
public final class Main
{
    /** Exit code of a runtime error. */
    public static final int EXIT_ERROR = CommandLine.ExitCode.SOFTWARE;
    /** Exit code of a usage error. */
    public static final int EXIT_USAGE = CommandLine.ExitCode.USAGE;

    /** The end of every command's help. */
    static final String[] EXIT_CODES_FOOTER = {
        "",
        "Exit codes: 0 success; 1 runtime error (a file that is missing, not a region, damaged or in use; a child"
            + " process that failed); 2 usage error (an unknown option or command, a missing argument, a value that is"
            + " malformed, empty, negative or out of range).",
    };

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
        commandLine.registerConverter(Path.class, Main::path); // for every command's FILE
        commandLine.getCommandSpec().usageMessage().footer(EXIT_CODES_FOOTER);
        commandLine.getSubcommands().values().forEach(sub -> sub.getCommandSpec().usageMessage().footer(EXIT_CODES_FOOTER));
        return commandLine;
    }

    /**
     * A file argument: an empty or blank one is a usage error (as a path it would name the
     * working directory), and so is one the file system cannot represent.
     */
    private static Path path(final String value)
    {
        if (value.isBlank())
        {
            throw new TypeConversionException("'" + value + "' is not a file path");
        }
        try
        {
            return Path.of(value);
        }
        catch (final InvalidPathException ex)
        {
            throw new TypeConversionException("'" + value + "' is not a file path: " + ex.getReason());
        }
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
