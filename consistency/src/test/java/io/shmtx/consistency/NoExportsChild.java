package io.shmtx.consistency;

import java.nio.file.Path;

/**
 * Main class of a child JVM started without {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED}:
 * opens shared memory at the path it is given, without catching what that throws (the JVM
 * prints it and exits with status 1).
 */
public final class NoExportsChild
{
    private NoExportsChild()
    {
    }

    public static void main(final String[] args)
    {
        SharedMemory.open(Path.of(args[0]), SharedMemoryConfig.builder().processSlots(2).build()).close();
        System.out.println("opened: no exception");
    }
}
