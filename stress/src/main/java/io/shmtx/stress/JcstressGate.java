package io.shmtx.stress;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.Charset;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.openjdk.jcstress.infra.runners.TestList;

/**
 * Runs jcstress in a child JVM and turns every way a run can go wrong into a non-zero exit code,
 * for the build.
 *
 * <p>This class is threadsafe: it is a {@code main} with no shared state.
 *
 * <p>jcstress exits 1 when a test saw a FORBIDDEN outcome or failed with an error, but it exits
 * 0 after {@code FATAL: No matching tests.} (a {@code -t} that selects nothing, or a jar without
 * {@code META-INF/TestList}), after {@code FATAL: No JVM configurations to run with.}, and when a
 * test is dropped silently (an API mismatch, or no CPU scheduling possible). This gate lists the
 * tests that {@code -t} selects from the jar's {@code META-INF/TestList} (as jcstress does), starts
 * {@code org.openjdk.jcstress.Main} with the same arguments in a child JVM (same {@code java},
 * class path and JVM flags as this one; jcstress hands its own JVM flags on to every test fork),
 * copies its output through, and fails when:
 * <ul>
 *     <li>{@code -t} selects no test (exit code 2, jcstress is not started);</li>
 *     <li>the child exits with a non-zero code (that code);</li>
 *     <li>a line starts with {@code FATAL:} (exit code 3);</li>
 *     <li>the output has no {@code RUN RESULTS:} report: jcstress did not get to the end (exit 4);</li>
 *     <li>the report's summary counts fewer tests than were selected (exit code 5).</li>
 * </ul>
 *
 * <p>Usage: {@code java [jvm flags] -cp jcstress.jar io.shmtx.stress.JcstressGate [jcstress options]}.
 */
public final class JcstressGate
{
    static final String FATAL_PREFIX = "FATAL:";
    static final String REPORT_HEADER = "RUN RESULTS:";

    /** A summary line of the report: "  Interesting tests: 2 matching test results." */
    private static final Pattern SUMMARY_LINE =
        Pattern.compile("^\\s+[A-Za-z ]+ tests: (?:(\\d+) matching test results\\..*|No matches\\.)$");

    private static final String JCSTRESS_MAIN = "org.openjdk.jcstress.Main";

    private JcstressGate()
    {
    }

    /**
     * Runs jcstress with {@code args} and exits with 0 only when every selected test ran and passed.
     *
     * @param args jcstress options, passed on unchanged.
     * @throws IOException          when the child JVM cannot be started or read.
     * @throws InterruptedException when interrupted while waiting for it.
     */
    public static void main(final String[] args) throws IOException, InterruptedException
    {
        final SortedSet<String> selected = selectedTests(args);
        if (selected.isEmpty())
        {
            fail(2, "no test in META-INF/TestList matches -t " + testFilter(args) + " (" + TestList.tests().size() +
                " tests in the jar)");
        }
        System.out.println("jcstress gate: " + selected.size() + " tests selected: " + selected);

        final Process process = new ProcessBuilder(command(args)).redirectErrorStream(true).start();
        // Interrupted (Ctrl-C on the build): take jcstress and its test forks down too.
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            process.descendants().forEach(ProcessHandle::destroy);
            process.destroy();
        }));
        final Verdict verdict = new Verdict();
        try (BufferedReader reader = new BufferedReader(
            new InputStreamReader(process.getInputStream(), Charset.defaultCharset())))
        {
            String line;
            while ((line = reader.readLine()) != null)
            {
                System.out.println(line);
                verdict.accept(line);
            }
        }
        final int exitCode = process.waitFor();

        final Judgement judgement = verdict.judge(exitCode, selected.size());
        if (judgement.status() != 0)
        {
            fail(judgement.status(), judgement.reason());
        }
        System.out.println("jcstress gate: " + judgement.reason());
        System.exit(0);
    }

    private static void fail(final int status, final String reason)
    {
        System.out.flush();
        System.err.println("jcstress gate: FAILED: " + reason);
        System.exit(status);
    }

    /** The tests jcstress will select, by the rule of {@code JCStress.getTests()}. */
    private static SortedSet<String> selectedTests(final String[] args)
    {
        final Pattern filter = Pattern.compile(testFilter(args));
        final SortedSet<String> selected = new TreeSet<>();
        for (final String test : TestList.tests())
        {
            if (filter.matcher(test).find())
            {
                selected.add(test);
            }
        }
        return selected;
    }

    /** The value of the last {@code -t}, or jcstress's default {@code .*}. */
    static String testFilter(final String[] args)
    {
        String filter = ".*";
        for (int i = 0; i < args.length - 1; i++)
        {
            if ("-t".equals(args[i]))
            {
                filter = args[i + 1];
            }
        }
        return filter;
    }

    private static List<String> command(final String[] args)
    {
        final List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(JCSTRESS_MAIN);
        command.addAll(Arrays.asList(args));
        return command;
    }

    /**
     * The gate's exit status and why.
     *
     * @param status 0 when the run passed.
     * @param reason what passed or failed, for the log.
     */
    record Judgement(int status, String reason)
    {
    }

    /** What the output of one run says, line by line. Not threadsafe: one reader thread. */
    static final class Verdict
    {
        final List<String> fatalLines = new ArrayList<>();
        boolean reportSeen;
        long results;

        Judgement judge(final int exitCode, final int selectedTests)
        {
            if (exitCode != 0)
            {
                return new Judgement(exitCode,
                    "jcstress exited with " + exitCode + ": a FORBIDDEN outcome or a test error, see above");
            }
            if (!fatalLines.isEmpty())
            {
                return new Judgement(3, "jcstress said " + String.join(" / ", fatalLines));
            }
            if (!reportSeen)
            {
                return new Judgement(4, "jcstress printed no " + REPORT_HEADER + " report");
            }
            if (results < selectedTests)
            {
                return new Judgement(5, "the report has " + results + " test results for " + selectedTests +
                    " selected tests");
            }
            return new Judgement(0, "passed, " + results + " test results for " + selectedTests + " selected tests");
        }

        /*
         * After "RUN RESULTS:" come the summary lines "Interesting tests", "Failed tests",
         * "Error tests" and "All remaining tests", each "N matching test results." or
         * "No matches.", and each test is counted under one of them (a failed one may count
         * twice, but then jcstress exits 1 anyway), so they add up to the tests that ran.
         */
        void accept(final String line)
        {
            if (line.startsWith(FATAL_PREFIX))
            {
                fatalLines.add(line);
            }
            else if (line.startsWith(REPORT_HEADER))
            {
                reportSeen = true;
            }
            else if (reportSeen)
            {
                final Matcher summary = SUMMARY_LINE.matcher(line);
                if (summary.matches() && summary.group(1) != null)
                {
                    results += Long.parseLong(summary.group(1));
                }
            }
        }
    }
}
