package io.shmtx.region;

import java.nio.file.Path;

import org.agrona.concurrent.AtomicBuffer;

/**
 * The JVM option every process using a region needs, checked once per JVM and then by every
 * entry point that opens, creates or deletes a region, before it touches any file.
 *
 * <p>Agrona 2.x, through which every module reads and writes the mapped region, uses
 * {@code jdk.internal.misc.Unsafe}; {@code java.base} exports that package only to the modules a
 * {@code --add-exports} option names. Without it, the first use of an Agrona buffer fails deep
 * inside a half-done operation ({@code NoClassDefFoundError: Could not initialize class
 * org.agrona.BufferUtil}). Whether the package is exported to Agrona's module (the unnamed module
 * on the class path, {@code org.agrona} on the module path) is one call answered by the module
 * system, without initialising any Agrona class.
 *
 * <p>This class is threadsafe (its state is computed once, when the class is initialised).
 */
final class JvmOptions
{
    private static final String PACKAGE = "jdk.internal.misc";
    /** Agrona's module; an interface, whose class object is loaded without running Agrona code. */
    private static final Module AGRONA = AtomicBuffer.class.getModule();
    private static final String TARGET = AGRONA.isNamed() ? AGRONA.getName() : "ALL-UNNAMED";
    /** The option as written on a java command line. */
    static final String ADD_EXPORTS = "--add-exports java.base/" + PACKAGE + "=" + TARGET;
    private static final boolean EXPORTED = Object.class.getModule().isExported(PACKAGE, AGRONA);

    private JvmOptions()
    {
    }

    /**
     * Refuses to go on in a JVM without {@link #ADD_EXPORTS}.
     *
     * @param file the region file the caller is about to touch, for the message.
     * @throws MissingJvmOptionException naming the option and where to add it.
     */
    static void check(final Path file)
    {
        if (!EXPORTED)
        {
            throw new MissingJvmOptionException(file, ADD_EXPORTS, "Agrona needs to read and write the mapped region"
                + " (it uses jdk.internal.misc.Unsafe)", "Add it to the java command line (java " + ADD_EXPORTS
                + " ..., or the JDK_JAVA_OPTIONS environment variable), to the manifest of an executable jar"
                + " ('Add-Exports: java.base/" + PACKAGE + "'), or to the test JVM (Maven surefire: <argLine>"
                + ADD_EXPORTS + "</argLine>; Gradle: jvmArgs).");
        }
    }
}
