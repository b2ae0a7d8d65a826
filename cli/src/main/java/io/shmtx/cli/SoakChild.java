package io.shmtx.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A child JVM of the soak (a worker or the end checker): this JVM's java binary and class path,
 * the Agrona flag, and the JVM's default JIT (tiered C1 and C2: unlike the quick tests' children,
 * nothing here stops at C1, so C2's reordering gets its chance). Every output line (standard
 * error merged) goes to a handler on a daemon thread as it comes.
 *
 * <p>Threadsafe: the handler runs on the output thread, the other methods on any thread.
 */
final class SoakChild
{
    private final Process process;
    private final CountDownLatch outputEnded = new CountDownLatch(1);

    private SoakChild(final Process process, final String name, final Consumer<String> onLine)
    {
        this.process = process;
        final Thread pump = new Thread(() -> pump(onLine), "shmtx-soak-" + name + "-output");
        pump.setDaemon(true);
        pump.start();
    }

    /**
     * Starts {@code shmtx ARGS} in a new JVM.
     *
     * @param name     label of the output thread.
     * @param workDir  the JVM's working directory; a fatal error log ({@code hs_err_pid*.log}) goes there.
     * @param args     the {@code shmtx} command line.
     * @param onLine   receives each output line.
     * @return the running child.
     * @throws CliException when the JVM cannot be started.
     */
    static SoakChild start(final String name, final Path workDir, final List<String> args, final Consumer<String> onLine)
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add(DemoChild.ADD_EXPORTS);
        command.add("-XX:+UseSerialGC"); // small and quiet: several of these share two cores
        command.add("-Xmx96m");
        command.add("-XX:-UsePerfData");
        command.add("-XX:ErrorFile=" + workDir.resolve("hs_err_pid%p.log"));
        command.add("-cp");
        command.add(DemoChild.absoluteClassPath());
        command.add(Main.class.getName());
        command.addAll(args);
        try
        {
            return new SoakChild(new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start(),
                name, onLine);
        }
        catch (final IOException ex)
        {
            throw new CliException("cannot start " + name + " (" + command.get(0) + "): " + ex.getMessage(), ex);
        }
    }

    private void pump(final Consumer<String> onLine)
    {
        try
        {
            DemoChild.readLines(process, onLine);
        }
        finally
        {
            outputEnded.countDown();
        }
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
     * The exit code.
     *
     * @return the code, or -1 while the child runs.
     */
    int exitCode()
    {
        return process.isAlive() ? -1 : process.exitValue();
    }

    /**
     * Sends SIGKILL ({@link Process#destroyForcibly()}) without waiting.
     */
    void signalKill()
    {
        process.destroyForcibly();
    }

    /**
     * Kills the child with {@link Process#destroyForcibly()} (SIGKILL), then waits for it to end
     * and for its output to be read to the end.
     *
     * @param timeoutMillis how long to wait for each.
     * @return whether it ended in time.
     * @throws InterruptedException when interrupted.
     */
    boolean kill(final long timeoutMillis) throws InterruptedException
    {
        process.destroyForcibly();
        return awaitEnd(timeoutMillis);
    }

    /**
     * Waits for the child to end and its output to be read to the end.
     *
     * @param timeoutMillis how long to wait for each.
     * @return whether both happened in time.
     * @throws InterruptedException when interrupted.
     */
    boolean awaitEnd(final long timeoutMillis) throws InterruptedException
    {
        return process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)
            && outputEnded.await(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /**
     * Kills the child if it still runs, waiting a bounded time. Never throws.
     */
    void destroy()
    {
        DemoChild.destroy(process);
    }
}
