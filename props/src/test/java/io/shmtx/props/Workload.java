package io.shmtx.props;

import io.shmtx.props.Program.Kind;
import io.shmtx.props.Program.Op;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * What one run executes: some objects, and for each thread (or process) a list of programs it
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

    /**
     * The bank: {@code minObjects} to {@code maxObjects} accounts, 1 to {@code maxWriters}
     * streams mostly of transfers (and additions to a word that is not the balance, so the total
     * of the balances never changes) with an audit among them now and then, and 1 to
     * {@code maxAuditors} streams of audits alone. An audit is a read-only program that reads
     * every account, in a random order, each with one getLong per word or one getBytes, with a
     * pause somewhere.
     *
     * @param minObjects  fewest accounts.
     * @param maxObjects  most accounts (at most {@link PropsFixture#MAX_OBJECTS}).
     * @param maxWriters  most streams of transfers.
     * @param maxAuditors most streams of audits.
     * @return the arbitrary.
     */
    static Arbitrary<Workload> bank(final int minObjects, final int maxObjects, final int maxWriters, final int maxAuditors)
    {
        return Arbitraries.integers().between(minObjects, maxObjects).flatMap(objects -> Combinators.combine(
            Arbitraries.frequencyOf(Tuple.of(4, transfers(objects)), Tuple.of(1, audit(objects))).list().ofMinSize(1)
                .ofMaxSize(6).list().ofMinSize(1).ofMaxSize(maxWriters),
            audit(objects).list().ofMinSize(1).ofMaxSize(3).list().ofMinSize(1).ofMaxSize(maxAuditors))
            .as((writers, auditors) -> new Workload(objects, Stream.concat(writers.stream(), auditors.stream()).toList())));
    }

    /** 1 to 4 transfers, additions to the word after the balance and pauses; one in five manual. */
    private static Arbitrary<Program> transfers(final int objects)
    {
        final Arbitrary<Integer> object = Arbitraries.integers().between(0, objects - 1);
        final Arbitrary<Op> transfer = Combinators.combine(object, object, Arbitraries.longs().between(1, 60))
            .as((a, b, amount) -> new Op(Kind.TRANSFER, a, b, 0, amount));
        final Arbitrary<Op> add = Combinators.combine(object, Arbitraries.longs().between(-20, 20))
            .as((o, amount) -> new Op(Kind.ADD, o, 0, Program.BALANCE + 1, amount));
        final Arbitrary<Op> pause = Arbitraries.longs().between(0, 200).map(length -> new Op(Kind.PAUSE, 0, 0, 0, length));
        final Arbitrary<Op> op = Arbitraries.frequencyOf(Tuple.of(5, transfer), Tuple.of(1, add), Tuple.of(2, pause));
        return Combinators.combine(op.list().ofMinSize(1).ofMaxSize(4), Arbitraries.integers().between(0, 4))
            .as((ops, manual) -> new Program(ops, manual == 0));
    }

    /** Every object once, in a random order, each read word by word or in bulk, a pause at a random place. */
    private static Arbitrary<Program> audit(final int objects)
    {
        final List<Integer> all = IntStream.range(0, objects).boxed().toList();
        return Combinators.combine(Arbitraries.shuffle(all), Arbitraries.of(false, true).list().ofSize(objects),
            Arbitraries.integers().between(0, objects), Arbitraries.longs().between(0, 200), Arbitraries.of(false, true))
            .as((order, bulk, at, length, manual) ->
            {
                final List<Op> ops = new ArrayList<>();
                for (int k = 0; k < objects; k++)
                {
                    ops.add(new Op(bulk.get(k) ? Kind.READ_BYTES : Kind.READ, order.get(k), 0, 0, 0));
                }
                ops.add(at, new Op(Kind.PAUSE, 0, 0, 0, length));
                return new Program(ops, manual);
            });
    }
}
