package io.shmtx.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The README's Java examples and the test sources that hold them, kept word for word alike.
 *
 * <p>Each example of README.md is the body of an example class under a {@code readme} test package
 * (e.g. {@code pool/src/test/java/io/shmtx/pool/readme/PoolExample.java}): its import lines are the
 * example's, and the lines between each {@code // README begin} and {@code // README end} marker
 * (indentation removed), in order, are the example's code after its first line
 * {@code Path file = Path.of("/dev/shm/...");} (the test passes a temporary path instead). The class
 * compiles with exactly the README's imports, in a package of its own, so the README example
 * compiles as written; {@link #assertInReadme(Class)} fails when the two differ.
 *
 * <p>Not threadsafe: {@link #printed(Action)} replaces {@link System#out} while it runs.
 */
public final class ReadmeExamples
{
    /** A README example's first line: the region file it uses. */
    public static final Pattern FILE_LINE = Pattern.compile("Path file = Path\\.of\\(\"/dev/shm/[A-Za-z0-9_.-]+\"\\);");

    private static final String BEGIN = "// README begin";
    private static final String END = "// README end";
    private static final String FENCE = "```";

    private ReadmeExamples()
    {
    }

    /**
     * Code run by {@link #printed(Action)}.
     */
    @FunctionalInterface
    public interface Action
    {
        /**
         * Runs.
         *
         * @throws Exception whatever the code throws.
         */
        void run() throws Exception;
    }

    /**
     * The project's README.md: the first one found from the working directory (a module's
     * folder under Maven) upwards.
     *
     * @return its path.
     * @throws AssertionError when there is none.
     */
    public static Path readme()
    {
        return projectRoot().resolve("README.md");
    }

    /**
     * The folder holding README.md and the reactor's pom.xml.
     *
     * @return its path.
     * @throws AssertionError when there is none above the working directory.
     */
    public static Path projectRoot()
    {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent())
        {
            if (Files.isRegularFile(dir.resolve("README.md")) && Files.isRegularFile(dir.resolve("pom.xml")))
            {
                return dir;
            }
        }
        throw new AssertionError("no README.md beside a pom.xml above " + Path.of("").toAbsolutePath());
    }

    /**
     * The fenced code blocks of README.md in {@code language}, in order, without their fences.
     *
     * @param language the fence's info string, e.g. {@code "java"} or {@code "sh"}.
     * @return the blocks' text, each line ending with a newline.
     */
    public static List<String> blocks(final String language)
    {
        final List<String> blocks = new ArrayList<>();
        StringBuilder block = null;
        boolean other = false;
        for (final String line : lines(readme()))
        {
            final String trimmed = line.strip();
            if (block == null && !other && trimmed.startsWith(FENCE))
            {
                if (trimmed.substring(FENCE.length()).equals(language))
                {
                    block = new StringBuilder();
                }
                else
                {
                    other = true;
                }
            }
            else if (trimmed.equals(FENCE))
            {
                if (block != null)
                {
                    blocks.add(block.toString());
                }
                block = null;
                other = false;
            }
            else if (block != null)
            {
                block.append(line).append('\n');
            }
        }
        return blocks;
    }

    /**
     * The README text of an example class: its imports, a blank line, the file line
     * ({@code /dev/shm/...} standing for the name the README gives), then its marked lines.
     *
     * @param source the example class's source file.
     * @return the text, each line ending with a newline.
     */
    public static String readmeText(final Path source)
    {
        final StringBuilder imports = new StringBuilder();
        final StringBuilder code = new StringBuilder();
        List<String> part = null;
        for (final String line : lines(source))
        {
            final String trimmed = line.strip();
            if (trimmed.startsWith("import "))
            {
                imports.append(trimmed).append('\n');
            }
            else if (trimmed.equals(BEGIN))
            {
                part = new ArrayList<>();
            }
            else if (trimmed.equals(END))
            {
                if (part == null)
                {
                    throw new AssertionError(source + ": '" + END + "' without '" + BEGIN + "'");
                }
                code.append(dedent(part));
                part = null;
            }
            else if (part != null)
            {
                part.add(line);
            }
        }
        if (part != null || code.length() == 0)
        {
            throw new AssertionError(source + ": no complete '" + BEGIN + "' ... '" + END + "' part");
        }
        return imports + "\n" + "Path file = Path.of(\"/dev/shm/...\");\n" + code;
    }

    /**
     * Whether a README block is the text of an example, file name aside.
     *
     * @param block   a README block ({@link #blocks(String)}).
     * @param example the example's README text ({@link #readmeText(Path)}).
     * @return {@code true} when they are the same.
     */
    public static boolean matches(final String block, final String example)
    {
        final String[] blockLines = block.split("\n", -1);
        final String[] exampleLines = example.split("\n", -1);
        if (blockLines.length != exampleLines.length)
        {
            return false;
        }
        for (int i = 0; i < blockLines.length; i++)
        {
            final boolean same = exampleLines[i].startsWith("Path file = ")
                ? FILE_LINE.matcher(blockLines[i]).matches()
                : blockLines[i].stripTrailing().equals(exampleLines[i].stripTrailing());
            if (!same)
            {
                return false;
            }
        }
        return true;
    }

    /**
     * The source file of a test class: under {@code src/test/java} of the working directory (a
     * module's folder under Maven), or else of the module of the project that has it.
     *
     * @param type the class.
     * @return the path.
     * @throws AssertionError when no module has it.
     */
    public static Path source(final Class<?> type)
    {
        final Path relative = Path.of("src", "test", "java").resolve(type.getName().replace('.', '/') + ".java");
        if (Files.isRegularFile(relative))
        {
            return relative.toAbsolutePath();
        }
        try (DirectoryStream<Path> modules = Files.newDirectoryStream(projectRoot(), Files::isDirectory))
        {
            for (final Path module : modules)
            {
                if (Files.isRegularFile(module.resolve(relative)))
                {
                    return module.resolve(relative);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot list " + projectRoot(), ex);
        }
        throw new AssertionError("no module of " + projectRoot() + " has " + relative);
    }

    /**
     * Checks that README.md has the example of {@code example} word for word.
     *
     * @param example the example class (its source is read, see {@link #source(Class)}).
     * @throws AssertionError showing the text README.md should have when it has none like it.
     */
    public static void assertInReadme(final Class<?> example)
    {
        final String text = readmeText(source(example));
        for (final String block : blocks("java"))
        {
            if (matches(block, text))
            {
                return;
            }
        }
        throw new AssertionError("README.md has no java block like " + example.getName() + "; it should read:\n" + text);
    }

    /**
     * Runs {@code action} with {@link System#out} collected (and restored afterwards).
     *
     * @param action what to run.
     * @return what it printed.
     * @throws Exception what it threw.
     */
    public static String printed(final Action action) throws Exception
    {
        final PrintStream original = System.out;
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8))
        {
            System.setOut(out);
            action.run();
        }
        finally
        {
            System.setOut(original);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static String dedent(final List<String> lines)
    {
        int indent = Integer.MAX_VALUE;
        for (final String line : lines)
        {
            if (!line.isBlank())
            {
                indent = Math.min(indent, line.length() - line.stripLeading().length());
            }
        }
        final StringBuilder text = new StringBuilder();
        for (final String line : lines)
        {
            text.append(line.isBlank() ? "" : line.substring(indent).stripTrailing()).append('\n');
        }
        return text.toString();
    }

    private static List<String> lines(final Path file)
    {
        try
        {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read " + file, ex);
        }
    }
}
