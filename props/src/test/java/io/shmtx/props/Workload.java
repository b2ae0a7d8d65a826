package io.shmtx.props;

import io.shmtx.props.Program.Kind;
import io.shmtx.props.Program.Op;

import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * What one run executes: a few objects, and for each thread (or process) a list of programs it
 * runs round-robin. Immutable.
 *
 * @param objects how many objects the programs use.
 * @param streams one list of programs per thread or process.
 */
record Workload(int objects, List<List<Program>> streams)
{
    Workload
    {
        streams = streams.stream().map(List::copyOf).toList();
    }

    /**
     * Workloads of 2 or 3 objects (few, so that transactions conflict often) and
     * {@code minStreams} to {@code maxStreams} streams of 1 to 6 programs.
     *
     * @param minStreams fewest streams.
     * @param maxStreams most streams.
     * @return the arbitrary.
     */
    static Arbitrary<Workload> arbitrary(final int minStreams, final int maxStreams)
    {
        return Arbitraries.integers().between(2, 3).flatMap(objects -> programs(objects).list().ofMinSize(1).ofMaxSize(6)
            .list().ofMinSize(minStreams).ofMaxSize(maxStreams).map(streams -> new Workload(objects, streams)));
    }

    /**
     * Programs of 1 to 6 operations on {@code objects} objects; one in five runs manually.
     *
     * @param objects how many objects.
     * @return the arbitrary.
     */
    static Arbitrary<Program> programs(final int objects)
    {
        final Arbitrary<Integer> object = Arbitraries.integers().between(0, objects - 1);
        final Arbitrary<Op> read = object.map(o -> new Op(Kind.READ, o, 0, 0, 0));
        final Arbitrary<Op> readBytes = object.map(o -> new Op(Kind.READ_BYTES, o, 0, 0, 0));
        final Arbitrary<Op> add = Combinators.combine(object, Arbitraries.integers().between(1, Program.WORDS - 1),
            Arbitraries.longs().between(-20, 20)).as((o, word, amount) -> new Op(Kind.ADD, o, 0, word, amount));
        final Arbitrary<Op> transfer = Combinators.combine(object, object, Arbitraries.longs().between(1, 60))
            .as((a, b, amount) -> new Op(Kind.TRANSFER, a, b, 0, amount));
        final Arbitrary<Op> pause = Arbitraries.longs().between(0, 200).map(length -> new Op(Kind.PAUSE, 0, 0, 0, length));
        final Arbitrary<Op> op = Arbitraries.frequencyOf(Tuple.of(3, read), Tuple.of(1, readBytes), Tuple.of(3, add),
            Tuple.of(2, transfer), Tuple.of(3, pause));
        return Combinators.combine(op.list().ofMinSize(1).ofMaxSize(6), Arbitraries.integers().between(0, 4))
            .as((ops, manual) -> new Program(ops, manual == 0));
    }
}
