package io.shmtx.refcount;

import static io.shmtx.testkit.Readable.*;

import io.shmtx.testkit.TempRegions;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Every public record and value class of the refcount module prints as text.
 */
class ToStringTest
{
    @Test
    void everyPublicRecordAndValueClassPrintsAsText() throws Exception
    {
        try (TempRegions temp = new TempRegions())
        {
            final Path file = temp.newPath("refcount-tostring");
            RefFixture.create(file, RefCountConfig.defaults());
            try (RefFixture f = new RefFixture(file))
            {
                f.refs.allocate(64);
                final long freedBehind = f.refs.allocate(64);
                f.pool.free(freedBehind);
                assertReadable(RefCountConfig.defaults());
                assertReadable(f.refs);
                assertReadable(f.refs.leakReport(0).get(0));
                f.region.close();
                assertReadable(f.refs.droppedAtClose().get(0));
            }
            assertCoversPublicRecords(RefCounts.class, List.of(RefCounts.HeldReference.class, RefCounts.DroppedReference.class));
        }
    }
}
