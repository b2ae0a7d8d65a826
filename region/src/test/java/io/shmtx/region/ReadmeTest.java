package io.shmtx.region;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.testkit.ReadmeExamples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * README.md as a whole: every Java example is the text of an example class some module's test
 * runs (see {@link ReadmeExamples}), each deletes its region and registers its listeners before
 * what they are meant to see, and every link reaches a file of the project.
 */
class ReadmeTest
{
    private static final Pattern LISTENER = Pattern.compile("add\\w*Listener\\(|\\.onZero\\(");
    private static final Pattern ATTACH_OR_ALLOCATE = Pattern.compile("\\.attach\\(\\)|\\.\\w*[aA]llocate\\w*\\(");
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");

    @Test
    void everyJavaExampleIsRunByATest() throws IOException
    {
        final List<String> examples = new ArrayList<>();
        for (final Path source : exampleSources())
        {
            examples.add(ReadmeExamples.readmeText(source));
        }
        assertFalse(examples.isEmpty(), "no example class found under " + ReadmeExamples.projectRoot());
        final List<String> blocks = ReadmeExamples.blocks("java");
        for (final String block : blocks)
        {
            assertTrue(examples.stream().anyMatch(example -> ReadmeExamples.matches(block, example)),
                "README.md has a java block that no test runs (it must be the text of a */src/test/java/**/readme/*Example.java):\n"
                    + block);
        }
        for (final Path source : exampleSources())
        {
            final String example = ReadmeExamples.readmeText(source);
            assertTrue(blocks.stream().anyMatch(block -> ReadmeExamples.matches(block, example)),
                source + " is not in README.md; it should read:\n" + example);
        }
    }

    @Test
    void everyJavaExampleDeletesItsRegion()
    {
        for (final String block : ReadmeExamples.blocks("java"))
        {
            assertTrue(block.contains("Region.delete(file);"), "a README example that does not show how to delete its region:\n" + block);
        }
    }

    @Test
    void listenersAreAddedBeforeTheAttachmentAndAllocations()
    {
        for (final String block : ReadmeExamples.blocks("java"))
        {
            final String[] lines = block.split("\n");
            int firstUse = -1;
            for (int i = 0; i < lines.length; i++)
            {
                final String code = lines[i].replaceAll("//.*", "");
                if (firstUse < 0 && ATTACH_OR_ALLOCATE.matcher(code).find())
                {
                    firstUse = i;
                }
                if (firstUse >= 0 && LISTENER.matcher(code).find())
                {
                    fail("line " + (i + 1) + " adds a listener after line " + (firstUse + 1) + " attached or allocated"
                        + " (attach() recovers the dead, allocations cross thresholds: a listener added later misses"
                        + " them):\n" + block);
                }
            }
        }
    }

    @Test
    void everyLinkReachesAFileOfTheProject() throws IOException
    {
        final Path root = ReadmeExamples.projectRoot();
        final String text = Files.readString(ReadmeExamples.readme());
        final Matcher link = LINK.matcher(text);
        int local = 0;
        while (link.find())
        {
            final String target = link.group(1).replaceAll("#.*", "");
            if (target.isEmpty() || target.matches("[a-z]+:.*"))
            {
                continue;
            }
            final Path file = root.resolve(target).normalize();
            assertTrue(file.startsWith(root) && Files.exists(file), "README.md links to " + link.group(1) + ", not a file of the project");
            local++;
        }
        assertTrue(local > 0, "README.md links to no file of the project");
    }

    private static List<Path> exampleSources() throws IOException
    {
        final Path root = ReadmeExamples.projectRoot();
        final List<Path> sources = new ArrayList<>();
        try (Stream<Path> modules = Files.list(root))
        {
            for (final Path tests : modules.map(module -> module.resolve("src/test/java")).filter(Files::isDirectory).toList())
            {
                try (Stream<Path> files = Files.walk(tests))
                {
                    files.filter(f -> f.getParent().getFileName().toString().equals("readme") && f.toString().endsWith("Example.java"))
                        .forEach(sources::add);
                }
            }
        }
        sources.sort(null);
        return sources;
    }
}
