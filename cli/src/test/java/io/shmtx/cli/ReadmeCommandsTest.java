package io.shmtx.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.testkit.ReadmeExamples;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * The {@code ./shmtx} command lines of README.md are command lines this CLI accepts: each example
 * parses (nothing is run), each option a synopsis names exists, and the unknown-command message
 * README quotes is the one printed.
 */
class ReadmeCommandsTest
{
    private static final String PROGRAM = "./shmtx ";
    private static final Pattern OPTION = Pattern.compile("--[a-z][a-z-]*");

    @Test
    void everyExampleParses()
    {
        final List<String> examples = commandLines(false);
        assertTrue(examples.size() >= 10, "README's ./shmtx examples: " + examples);
        for (final String example : examples)
        {
            final String[] args = example.substring(PROGRAM.length()).strip().split("\\s+");
            try
            {
                Main.newCommandLine().parseArgs(args);
            }
            catch (final ParameterException ex)
            {
                fail("README.md: '" + example + "' is refused: " + ex.getMessage());
            }
        }
    }

    @Test
    void everyOptionOfASynopsisExists()
    {
        final List<String> synopses = commandLines(true);
        assertFalse(synopses.isEmpty(), "README has no ./shmtx synopsis ([--option ...])");
        for (final String synopsis : synopses)
        {
            final String command = synopsis.substring(PROGRAM.length()).strip().split("\\s+")[0];
            final CommandLine sub = Main.newCommandLine().getSubcommands().get(command);
            assertNotNull(sub, "README.md: '" + synopsis + "': no command " + command);
            final Matcher option = OPTION.matcher(synopsis);
            while (option.find())
            {
                assertNotNull(sub.getCommandSpec().findOption(option.group()),
                    "README.md: '" + synopsis + "': shmtx " + command + " has no option " + option.group());
            }
        }
    }

    @Test
    void theUnknownCommandMessageIsTheOneReadmeQuotes() throws Exception
    {
        final String quoted = "'stats' is not a command; did you mean 'stat'?";
        assertTrue(Files.readString(ReadmeExamples.readme()).contains("`" + quoted + "`"), "README no longer quotes: " + quoted);
        final Cli.Result result = Cli.run("stats", "/dev/shm/p");
        assertEquals(Main.EXIT_USAGE, result.exitCode(), result.toString());
        assertTrue(result.err().contains(quoted), result.toString());
    }

    /**
     * README's {@code ./shmtx} lines in sh blocks (a line indented under one continues it), without
     * comments: the synopses (with {@code [...]}) or the examples.
     */
    private static List<String> commandLines(final boolean synopses)
    {
        final List<String> lines = new ArrayList<>();
        for (final String block : ReadmeExamples.blocks("sh"))
        {
            StringBuilder current = null;
            for (final String line : block.split("\n"))
            {
                final String code = line.replaceAll("\\s+#.*", "");
                if (code.startsWith(PROGRAM))
                {
                    add(lines, current, synopses);
                    current = new StringBuilder(code.strip());
                }
                else if (current != null && !code.isBlank() && Character.isWhitespace(code.charAt(0)))
                {
                    current.append(' ').append(code.strip());
                }
                else
                {
                    add(lines, current, synopses);
                    current = null;
                }
            }
            add(lines, current, synopses);
        }
        return lines;
    }

    private static void add(final List<String> lines, final StringBuilder line, final boolean synopses)
    {
        if (line != null && line.indexOf("[") >= 0 == synopses)
        {
            lines.add(line.toString());
        }
    }
}
