package io.shmtx.cli;

import io.shmtx.region.RegionException;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.UnmatchedArgumentException;

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
        final String unknown = unknownCommand(ex);
        err.println(name + ": " + (unknown == null ? oneLine(ex.getMessage()) : notACommand(failed, unknown))
            + " (see '" + help + "')");
        err.flush();
        return EXIT_USAGE;
    }

    /**
     * The word given where a command was expected, when it names none: an unmatched argument
     * that is not an option, at a command that has subcommands ({@code shmtx stats}), or the
     * subcommand {@code help} was asked about ({@code shmtx help stats}, picocli's HelpCommand).
     *
     * @return the word, or null when the error is another one.
     */
    private static String unknownCommand(final ParameterException ex)
    {
        if (ex.getCommandLine().getSubcommands().isEmpty())
        {
            return null;
        }
        if (ex instanceof UnmatchedArgumentException)
        {
            final UnmatchedArgumentException unmatched = (UnmatchedArgumentException)ex;
            return unmatched.isUnknownOption() || unmatched.getUnmatched().isEmpty() ? null : unmatched.getUnmatched().get(0);
        }
        final String message = ex.getMessage();
        return message != null && message.startsWith("Unknown subcommand '") ? ex.getValue() : null;
    }

    /** "'stats' is not a command; did you mean 'stat'?", or the list of commands when none is near. */
    private static String notACommand(final CommandLine parent, final String word)
    {
        final List<String> names = new ArrayList<>();
        parent.getSubcommands().forEach((commandName, sub) ->
        {
            if (!sub.getCommandSpec().usageMessage().hidden() && !names.contains(sub.getCommandName()))
            {
                names.add(sub.getCommandName());
            }
        });
        final String nearest = Nearest.name(word, names);
        return "'" + word + "' is not a command; " + (nearest != null ? "did you mean '" + nearest + "'?"
            : "the commands are " + String.join(", ", names));
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

    /**
     * Ends a command that printed everything it could read: names what it could not on one line
     * of standard error.
     *
     * @param command  the command that read.
     * @param file     the region read.
     * @param problems what could not be read, or could not be true; empty when everything could.
     * @return 0 when {@code problems} is empty, else {@link #EXIT_ERROR} (damage makes the reading a failure).
     */
    static int unreadable(final CommandLine command, final Path file, final List<String> problems)
    {
        if (problems.isEmpty())
        {
            return 0;
        }
        final PrintWriter err = command.getErr();
        err.println(command.getCommandSpec().qualifiedName() + ": " + file + ": " + problems.size()
            + " part(s) unreadable: " + oneLine(String.join("; ", problems)));
        err.flush();
        return EXIT_ERROR;
    }

    private static String oneLine(final String message)
    {
        return message == null ? "" : message.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}
