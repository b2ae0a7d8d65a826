package io.shmtx.cli;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A child JVM of the demo: this JVM's java binary, class path and Agrona flag, running
 * {@code shmtx attach-child}. Its output (standard error merged) is read by a daemon thread
 * and handed to the demo's thread, which prints it, so output never interleaves.
 *
 * <p>Not threadsafe: use from the demo's thread. {@link #close()} kills the child if it still runs.
 */
final class DemoChild implements AutoCloseable
{
    /** The JVM flag every JVM touching Agrona 2.x needs. */
    static final String ADD_EXPORTS = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED";

    private static final String END = new String("end of output"); // identity marks the end

    private final String name;
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> transcript = new ArrayList<>();
    private boolean ended;

    private DemoChild(final String name, final Process process)
    {
        this.name = name;
        this.process = process;
        final Thread pump = new Thread(this::pump, "shmtx-demo-" + name + "-output");
        pump.setDaemon(true);
        pump.start();
    }

    /**
     * Starts {@code shmtx attach-child file --no-watchdog --allocate blocks} in a new JVM.
     *
     * @param name   label for messages, e.g. {@code "child 1"}.
     * @param file   region file.
     * @param blocks pool blocks the child allocates after attaching (0: none).
     * @return the running child.
     * @throws CliException when the JVM cannot be started.
     */
    static DemoChild start(final String name, final Path file, final int blocks)
    {
        final List<String> command = command(file, blocks);
        try
        {
            return new DemoChild(name, new ProcessBuilder(command).redirectErrorStream(true).start());
        }
        catch (final IOException ex)
        {
            throw new CliException("cannot start " + name + " (" + command.get(0) + "): " + ex.getMessage(), ex);
        }
    }

    private static List<String> command(final Path file, final int blocks)
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add(ADD_EXPORTS);
        command.add("-XX:TieredStopAtLevel=1"); // starts faster; the child only waits
        command.add("-XX:+UseSerialGC");
        command.add("-Xmx64m");
        command.add("-cp");
        command.add(absoluteClassPath());
        command.add(Main.class.getName());
        command.add("attach-child");
        command.add(file.toAbsolutePath().toString());
        command.add("--no-watchdog");
        command.add("--max-wait-s=60");
        command.add("--allocate=" + blocks);
        return command;
    }

    /** This JVM's class path with absolute entries, so the child may run in another directory. */
    static String absoluteClassPath()
    {
        final List<String> entries = new ArrayList<>();
        for (final String entry : System.getProperty("java.class.path").split(File.pathSeparator))
        {
            if (!entry.isEmpty())
            {
                entries.add(Path.of(entry).toAbsolutePath().toString());
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    private void pump()
    {
        readLines(process, lines::add);
        lines.add(END);
    }

    /**
     * Hands each line of a process's output to {@code onLine} until the output ends (the process
     * exited or was killed).
     *
     * @param process the process.
     * @param onLine  receives each line.
     */
    static void readLines(final Process process, final Consumer<String> onLine)
    {
        try (BufferedReader reader =
            new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while ((line = reader.readLine()) != null)
            {
                onLine.accept(line);
            }
        }
        catch (final IOException ex)
        {
            // the child died or was killed: its output ends here
        }
    }

    /**
     * Waits for a line starting with {@code prefix}, printing every other line as it comes.
     *
     * @param prefix         line prefix.
     * @param deadlineNanos  {@link System#nanoTime()} to give up at.
     * @param out            where to print the child's other lines.
     * @return the line.
     * @throws CliException with the child's output when the line does not come in time or the
     *                      child's output ends first.
     * @throws InterruptedException when interrupted.
     */
    String awaitLine(final String prefix, final long deadlineNanos, final PrintWriter out) throws InterruptedException
    {
        while (!ended)
        {
            final String line = lines.poll(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null)
            {
                throw new CliException(name + " (pid " + pid() + ") printed no '" + prefix + "' line in time; output: "
                    + transcript());
            }
            if (take(line, out) && line.startsWith(prefix))
            {
                return line;
            }
        }
        throw new CliException(name + " (pid " + pid() + ") ended its output before a '" + prefix + "' line"
            + exitText() + "; output: " + transcript());
    }

    /**
     * Prints the lines that came so far, until the output ends or {@code deadlineNanos}.
     *
     * @param deadlineNanos {@link System#nanoTime()} to stop at; now or earlier to print only what is there.
     * @param out           where to print.
     * @throws InterruptedException when interrupted.
     */
    void drain(final long deadlineNanos, final PrintWriter out) throws InterruptedException
    {
        while (!ended)
        {
            final String line = lines.poll(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null)
            {
                return;
            }
            take(line, out);
        }
    }

    private boolean take(final String line, final PrintWriter out)
    {
        if (line == END)
        {
            ended = true;
            return false;
        }
        transcript.add(line);
        out.println("  [" + name + "] " + line);
        out.flush();
        return true;
    }

    private String transcript()
    {
        return transcript.isEmpty() ? "(none)" : String.join(" | ", transcript);
    }

    private String exitText()
    {
        return process.isAlive() ? "" : " (exit code " + process.exitValue() + ")";
    }

    String name()
    {
        return name;
    }

    long pid()
    {
        return process.pid();
    }

    boolean isAlive()
    {
        return process.isAlive();
    }

    /**
     * Closes the child's standard input: {@code attach-child} detaches and exits.
     */
    void closeInput()
    {
        try
        {
            process.getOutputStream().close();
        }
        catch (final IOException ex)
        {
            // the child is gone already
        }
    }

    /**
     * Kills the child (SIGKILL on POSIX) and waits for it to end.
     *
     * @param timeoutMillis how long to wait.
     * @return the exit code.
     * @throws CliException when it does not end in time.
     * @throws InterruptedException when interrupted.
     */
    int kill(final long timeoutMillis) throws InterruptedException
    {
        process.destroyForcibly();
        return awaitExit(timeoutMillis);
    }

    /**
     * Waits for the child to end.
     *
     * @param timeoutMillis how long to wait.
     * @return the exit code.
     * @throws CliException when it does not end in time.
     * @throws InterruptedException when interrupted.
     */
    int awaitExit(final long timeoutMillis) throws InterruptedException
    {
        if (!process.waitFor(Math.max(0, timeoutMillis), TimeUnit.MILLISECONDS))
        {
            throw new CliException(name + " (pid " + pid() + ") did not exit within " + timeoutMillis + " ms");
        }
        return process.exitValue();
    }

    /**
     * Kills the child if it still runs and waits (bounded) for it to end. Never throws.
     */
    @Override
    public void close()
    {
        closeInput();
        destroy(process);
    }

    /**
     * Kills a process if it still runs (SIGKILL) and waits up to 5 s for it to end. Never throws.
     *
     * @param process the process.
     */
    static void destroy(final Process process)
    {
        if (process.isAlive())
        {
            process.destroyForcibly();
            try
            {
                process.waitFor(5, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }
}
