package io.shmtx.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A child JVM running a given main class on this JVM's class path, with this JVM's flags, for
 * multi-process tests: read its output line by line, write to its input, kill it with
 * {@link Process#destroyForcibly()}.
 *
 * <p>Not threadsafe; use from one test thread. {@link #close()} kills the child if it still runs.
 */
public final class ChildJvm implements AutoCloseable
{
    /** The JVM flag every JVM touching Agrona needs. */
    public static final String ADD_EXPORTS = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED";

    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> transcript = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Writer input;
    private final String name;

    private ChildJvm(final Process process, final String name)
    {
        this.process = process;
        this.name = name;
        this.input = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        final Thread reader = new Thread(this::pump, "child-output-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code mainClass} with {@code args} in a new JVM.
     *
     * @param mainClass class with a {@code main} method, on this JVM's class path.
     * @param args      program arguments.
     * @return the running child.
     * @throws IOException when the JVM cannot be started.
     */
    public static ChildJvm start(final Class<?> mainClass, final String... args) throws IOException
    {
        return start(List.of(), true, System.getProperty("java.class.path"), mainClass, args);
    }

    /**
     * Starts {@code mainClass} in a new JVM like {@link #start} but without {@link #ADD_EXPORTS},
     * as a user who forgot it would: for the tests of what shmtx does then.
     *
     * @param mainClass class with a {@code main} method, on this JVM's class path.
     * @param args      program arguments.
     * @return the running child.
     * @throws IOException when the JVM cannot be started.
     */
    public static ChildJvm startWithoutAddExports(final Class<?> mainClass, final String... args) throws IOException
    {
        return start(List.of(), false, System.getProperty("java.class.path"), mainClass, args);
    }

    /**
     * Starts {@code mainClass} with {@code args} in a new JVM running as another user (uid and
     * gid {@code uid}, no supplementary groups), through {@code setpriv}; needs root (see
     * {@link OtherUser#assumeRoot}). Class path entries that user could not read (a local Maven
     * repository under {@code /root}) are copied to a readable folder under {@code target/} first.
     *
     * @param uid       the user (and group) id to run as.
     * @param mainClass class with a {@code main} method, on this JVM's class path.
     * @param args      program arguments.
     * @return the running child.
     * @throws IOException when the JVM cannot be started.
     */
    public static ChildJvm startAs(final int uid, final Class<?> mainClass, final String... args) throws IOException
    {
        return start(List.of(OtherUser.SETPRIV.toString(), "--reuid=" + uid, "--regid=" + uid, "--clear-groups"), true,
            OtherUser.readableClassPath(), mainClass, args);
    }

    private static ChildJvm start(final List<String> prefix, final boolean addExports, final String classPath,
        final Class<?> mainClass, final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>(prefix);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (addExports)
        {
            command.add(ADD_EXPORTS);
        }
        command.add("-Xshare:auto");
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-Xmx128m");
        command.add("-cp");
        command.add(classPath);
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (!addExports)
        {
            // options the launcher would add from the environment: the child must run without the flag
            builder.environment().remove("JDK_JAVA_OPTIONS");
            builder.environment().remove("JAVA_TOOL_OPTIONS");
        }
        return new ChildJvm(builder.start(), mainClass.getSimpleName());
    }

    private void pump()
    {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while ((line = reader.readLine()) != null)
            {
                transcript.add(line);
                lines.add(line);
            }
        }
        catch (final IOException ex)
        {
            // the child died: its output ends here
        }
    }

    /**
     * Waits for the next output line matching {@code match}, skipping others.
     *
     * @param match   what to wait for.
     * @param timeout how long at most.
     * @return the line.
     * @throws AssertionError with the child's whole output when the line does not come in time
     *                        or the child exits first.
     */
    public String awaitLine(final Predicate<String> match, final Duration timeout)
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        try
        {
            while (true)
            {
                final long left = deadline - System.nanoTime();
                if (left <= 0)
                {
                    throw new AssertionError(name + " (pid " + pid() + ") gave no matching line within " + timeout
                        + "; output:\n" + String.join("\n", transcript));
                }
                final String line = lines.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)), TimeUnit.NANOSECONDS);
                if (line != null && match.test(line))
                {
                    return line;
                }
                if (line == null && !process.isAlive() && lines.isEmpty())
                {
                    Thread.sleep(50); // let the pump drain the last lines
                    if (lines.isEmpty())
                    {
                        throw new AssertionError(name + " (pid " + pid() + ") exited with " + process.exitValue()
                            + " before a matching line; output:\n" + String.join("\n", transcript));
                    }
                }
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", ex);
        }
    }

    /**
     * Waits for a line starting with {@code prefix}.
     *
     * @param prefix  line prefix.
     * @param timeout how long at most.
     * @return the line.
     */
    public String awaitLine(final String prefix, final Duration timeout)
    {
        return awaitLine(line -> line.startsWith(prefix), timeout);
    }

    /**
     * Sends one line to the child's standard input.
     *
     * @param line text without newline.
     * @throws IOException when the child's input is closed.
     */
    public void send(final String line) throws IOException
    {
        input.write(line);
        input.write('\n');
        input.flush();
    }

    /**
     * The child's pid.
     *
     * @return the pid.
     */
    public long pid()
    {
        return process.pid();
    }

    /**
     * Whether the child still runs.
     *
     * @return {@code true} if alive.
     */
    public boolean isAlive()
    {
        return process.isAlive();
    }

    /**
     * Everything the child printed so far.
     *
     * @return the lines.
     */
    public List<String> transcript()
    {
        synchronized (transcript)
        {
            return new ArrayList<>(transcript);
        }
    }

    /**
     * Kills the child with {@link Process#destroyForcibly()} (SIGKILL) and waits for it to end.
     */
    public void kill()
    {
        process.destroyForcibly();
        waitForExit(Duration.ofSeconds(30));
    }

    /**
     * Waits for the child to exit.
     *
     * @param timeout how long at most.
     * @return the exit code.
     * @throws AssertionError when it does not exit in time.
     */
    public int waitForExit(final Duration timeout)
    {
        try
        {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
            {
                throw new AssertionError(name + " (pid " + pid() + ") did not exit within " + timeout
                    + "; output:\n" + String.join("\n", transcript()));
            }
            return process.exitValue();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", ex);
        }
    }

    /**
     * Sends a POSIX signal with the {@code kill} command (e.g. {@code STOP}, {@code CONT}).
     *
     * @param signal signal name without {@code SIG}.
     * @throws IOException when {@code kill} cannot run.
     * @throws InterruptedException when interrupted.
     */
    public void signal(final String signal) throws IOException, InterruptedException
    {
        final Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).inheritIO().start();
        if (kill.waitFor() != 0)
        {
            throw new IOException("kill -" + signal + " " + pid() + " failed");
        }
    }

    @Override
    public void close()
    {
        if (process.isAlive())
        {
            kill();
        }
    }
}
