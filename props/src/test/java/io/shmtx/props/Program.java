package io.shmtx.props;

import java.util.ArrayList;
import java.util.List;

/**
 * A transaction program: reads and read-modify-writes of a few objects' long words, the same
 * code whether it runs in a real transaction, in the serial replay of a checker, or against a
 * transaction's recorded observations. Immutable.
 *
 * <p>Every object has {@value #WORDS} words: word {@value #COUNTER} is its write counter, the
 * others are fields. A program that writes an object stores, at its end, the counter it read
 * plus one: so each committed write makes a new version numbered 1, 2, 3 ... per object, and the
 * version a transaction read is the counter it saw. The numbers give a checker the version order
 * of every object without a clock ({@link HistoryChecker}).
 *
 * <p>Reads are unconditional (a transfer reads both objects whatever their balances); only writes
 * depend on the values read. So the sequence of reads a program makes is known from the program
 * alone, and the values read decide the rest.
 *
 * @param ops    the operations, in order.
 * @param manual run with {@code begin()}/{@code commit()} rather than {@code transact}.
 */
record Program(List<Op> ops, boolean manual)
{
    /** Words per object. */
    static final int WORDS = 3;
    /** The word holding an object's write counter (its version number). */
    static final int COUNTER = 0;
    /** The word transfers move amounts between. */
    static final int BALANCE = 1;

    /** Operation kinds. */
    enum Kind
    {
        /** Read every word of {@code a}, one getLong each. */
        READ,
        /** Read every word of {@code a} with one getBytes. */
        READ_BYTES,
        /** Read {@code a}, then add {@code amount} to its word {@code word}. */
        ADD,
        /** Read {@code a} and {@code b}; if they differ and a's balance covers it, move {@code amount} from a to b. */
        TRANSFER,
        /** Let other threads run in the middle of the transaction ({@link Access#pause}); touches nothing. */
        PAUSE
    }

    /**
     * One operation.
     *
     * @param kind   what it does.
     * @param a      first object.
     * @param b      second object (TRANSFER), else 0.
     * @param word   word ADD changes (1 .. WORDS - 1), else 0.
     * @param amount amount of ADD or TRANSFER, length of a PAUSE, else 0.
     */
    record Op(Kind kind, int a, int b, int word, long amount)
    {
        String encode()
        {
            return kind.ordinal() + ":" + a + ":" + b + ":" + word + ":" + amount;
        }

        static Op decode(final String text)
        {
            final String[] f = text.split(":");
            if (f.length != 5)
            {
                throw new IllegalArgumentException("operation '" + text + "' is not kind:a:b:word:amount");
            }
            return new Op(Kind.values()[Integer.parseInt(f[0])], Integer.parseInt(f[1]), Integer.parseInt(f[2]),
                Integer.parseInt(f[3]), Long.parseLong(f[4]));
        }
    }

    Program
    {
        ops = List.copyOf(ops);
    }

    /**
     * Whether the program never writes (then it runs as a read-only transaction unless manual).
     *
     * @return {@code true} when it only reads.
     */
    boolean readOnly()
    {
        for (final Op op : ops)
        {
            if (op.kind() == Kind.ADD || op.kind() == Kind.TRANSFER)
            {
                return false;
            }
        }
        return true;
    }

    /**
     * Runs the program against {@code access}, appending every value read to {@code reads}.
     *
     * @param access the objects.
     * @param reads  receives each read's words, in the order read.
     */
    void run(final Access access, final List<long[]> reads)
    {
        final int n = access.objects();
        final long[] version = new long[n];
        final boolean[] written = new boolean[n];
        for (final Op op : ops)
        {
            switch (op.kind())
            {
                case READ, READ_BYTES -> read(access, op.a(), op.kind() == Kind.READ_BYTES, reads, version);
                case ADD ->
                {
                    final long[] words = read(access, op.a(), false, reads, version);
                    access.put(op.a(), op.word(), words[op.word()] + op.amount());
                    written[op.a()] = true;
                }
                case TRANSFER ->
                {
                    final long[] from = read(access, op.a(), false, reads, version);
                    final long[] to = read(access, op.b(), true, reads, version);
                    if (op.a() != op.b() && from[BALANCE] >= op.amount())
                    {
                        access.put(op.a(), BALANCE, from[BALANCE] - op.amount());
                        access.put(op.b(), BALANCE, to[BALANCE] + op.amount());
                        written[op.a()] = true;
                        written[op.b()] = true;
                    }
                }
                case PAUSE -> access.pause(op.amount());
                default -> throw new IllegalStateException("kind " + op.kind());
            }
        }
        for (int o = 0; o < n; o++)
        {
            if (written[o])
            {
                access.put(o, COUNTER, version[o] + 1);
            }
        }
    }

    private static long[] read(final Access access, final int object, final boolean bulk, final List<long[]> reads,
        final long[] version)
    {
        final long[] words = access.read(object, bulk);
        reads.add(words);
        version[object] = words[COUNTER];
        return words;
    }

    /**
     * One line of text: {@code m} or {@code t}, then the operations, separated by spaces.
     *
     * @return the line.
     */
    String encode()
    {
        final StringBuilder line = new StringBuilder(manual ? "m" : "t");
        for (final Op op : ops)
        {
            line.append(' ').append(op.encode());
        }
        return line.toString();
    }

    static Program decode(final String line)
    {
        final String[] parts = line.trim().split(" ");
        if (!parts[0].equals("m") && !parts[0].equals("t"))
        {
            throw new IllegalArgumentException("program '" + line + "' does not start with m or t");
        }
        final List<Op> ops = new ArrayList<>();
        for (int i = 1; i < parts.length; i++)
        {
            ops.add(Op.decode(parts[i]));
        }
        return new Program(ops, parts[0].equals("m"));
    }

    @Override
    public String toString()
    {
        return encode();
    }
}
