package io.shmtx.region;

import static org.junit.jupiter.api.Assertions.*;

import io.shmtx.testkit.TempRegions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Whatever bytes a region file holds, opening and using it gives a region or a
 * {@link RegionException}: never another exception, never a JVM crash.
 */
class RegionCorruptionProperties
{
    private static final TempRegions TEMP = new TempRegions();
    private static byte[] image;

    @BeforeContainer
    static void makeImage() throws IOException
    {
        final Path file = TEMP.newPath("image");
        try (Region region = Region.create(file, RegionConfig.builder().processSlots(4).rootSlots(4)
            .watchdogInterval(Duration.ZERO).section(new SectionSpec(SectionSpec.FIRST_USER_ID, 5000, false)).build()))
        {
            region.attach();
            region.bindRoot("alpha", 11);
            region.bindRoot("beta", 22);
            region.nextTimestamp();
            image = Files.readAllBytes(file); // taken while attached: slot 0 ATTACHED, lock not held by the copy
        }
    }

    @AfterContainer
    static void cleanUp() throws IOException
    {
        TEMP.close();
    }

    record Flip(int position, byte value)
    {
    }

    @Provide
    Arbitrary<List<Flip>> flips()
    {
        final Arbitrary<Integer> anywhere = Arbitraries.integers().between(0, image.length - 1);
        final Arbitrary<Integer> metadata = Arbitraries.integers().between(0, 3 * RegionDescriptor.PAGE_SIZE - 1);
        final Arbitrary<Integer> position = Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(1, anywhere), net.jqwik.api.Tuple.of(4, metadata));
        final Arbitrary<Byte> value = Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(3, Arbitraries.bytes()),
            net.jqwik.api.Tuple.of(1, Arbitraries.of((byte)0, (byte)0xFF, (byte)1, (byte)0x80)));
        return Combinators.combine(position, value).as(Flip::new).list().ofMinSize(1).ofMaxSize(8);
    }

    @Property(tries = 300)
    void flippedBytesGiveARegionOrARegionException(@ForAll("flips") final List<Flip> flips) throws IOException
    {
        final byte[] bytes = image.clone();
        for (final Flip flip : flips)
        {
            bytes[flip.position()] = flip.value();
        }
        Statistics.collect(exercise(bytes));
    }

    @Property(tries = 60)
    void truncatedFilesGiveARegionException(@ForAll @IntRange(min = 0, max = 20_000) final int length) throws IOException
    {
        final int kept = Math.min(length, image.length - 1);
        final String outcome = exercise(Arrays.copyOf(image, kept));
        assertNotEquals("ok", outcome, "a truncated region of " + kept + " bytes must be refused");
        Statistics.collect(outcome);
    }

    @Property(tries = 40)
    void randomFilesAreNotRegions(@ForAll("noise") final byte[] bytes) throws IOException
    {
        Statistics.collect(exercise(bytes));
    }

    @Provide
    Arbitrary<byte[]> noise()
    {
        return Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(9000);
    }

    /**
     * Opens and uses a region made of {@code bytes}.
     *
     * @return "ok" or the simple name of the RegionException thrown.
     */
    private static String exercise(final byte[] bytes) throws IOException
    {
        final Path file = TEMP.newPath("corrupt");
        Files.write(file, bytes);
        try
        {
            try (Region reader = Region.openReadOnly(file)) // first, as inspect and stat do: a read-only mapping must not fault
            {
                reader.inspect();
                reader.roots();
                reader.processes();
            }
            try (Region region = Region.open(file))
            {
                region.inspect();
                region.roots();
                region.findRoot("alpha");
                region.attach();
                region.bindRoot("gamma", 33);
                assertEquals(33, region.root("gamma"));
                region.unbindRoot("gamma");
                region.recoverDeadSlots();
                region.processes();
                region.nextTimestamp();
            }
            return "ok";
        }
        catch (final RegionException ex)
        {
            assertNotNull(ex.getMessage());
            assertTrue(ex.getMessage().contains(file.toString()), ex.getMessage());
            return ex.getClass().getSimpleName();
        }
        finally
        {
            // not Region.delete: it refuses files that are no longer regions, as most of these are
            try
            {
                java.nio.file.Files.deleteIfExists(file);
                java.nio.file.Files.deleteIfExists(Region.lockFilePath(file));
            }
            catch (final java.io.IOException ex)
            {
                throw new java.io.UncheckedIOException(ex);
            }
        }
    }
}
