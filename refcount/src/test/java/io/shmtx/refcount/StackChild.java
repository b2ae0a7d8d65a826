package io.shmtx.refcount;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Child JVM of the full-table recovery test. Args: region file. Attaches with every module, binds
 * the common block's root if nobody has yet, takes something of every kind
 * ({@link Stack#holdEverything}), prints {@code HOLDING slot=N} and waits on standard input to be
 * killed.
 */
public final class StackChild
{
    private StackChild()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Stack stack = new Stack(Path.of(args[0]), Duration.ZERO);
        stack.region.attach();
        long common = stack.region.findRoot(Stack.COMMON);
        if (common == 0)
        {
            common = stack.refs.allocate(64);
            stack.region.bindRoot(Stack.COMMON, common); // bound once: the parent starts the others after this one holds
        }
        stack.holdEverything(common, 1 + stack.region.slot());
        System.out.println("HOLDING slot=" + stack.region.slot());
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    }
}
