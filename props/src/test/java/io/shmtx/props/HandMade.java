package io.shmtx.props;

import io.shmtx.props.Program.Op;

import java.util.List;

/**
 * Pieces of hand-made histories for the checkers' tests: an object's words, programs and their
 * operations.
 *
 * <p>Threadsafe: static methods making new immutable values.
 */
final class HandMade
{
    private HandMade()
    {
    }

    /**
     * An object's words.
     *
     * @param counter its write counter (version).
     * @param balance its balance.
     * @return {@code [counter, balance, 0]}.
     */
    static long[] words(final long counter, final long balance)
    {
        return new long[] {counter, balance, 0};
    }

    /**
     * A program run by {@code transact}.
     *
     * @param ops its operations.
     * @return the program.
     */
    static Program program(final Op... ops)
    {
        return new Program(List.of(ops), false);
    }

    /**
     * Reads an object word by word.
     *
     * @param object the object.
     * @return the operation.
     */
    static Op read(final int object)
    {
        return new Op(Program.Kind.READ, object, 0, 0, 0);
    }

    /**
     * Adds to an object's balance.
     *
     * @param object the object.
     * @param amount what to add.
     * @return the operation.
     */
    static Op add(final int object, final long amount)
    {
        return new Op(Program.Kind.ADD, object, 0, Program.BALANCE, amount);
    }

    /**
     * Moves an amount between two balances when the first covers it.
     *
     * @param from   the object it leaves.
     * @param to     the object it reaches.
     * @param amount how much.
     * @return the operation.
     */
    static Op transfer(final int from, final int to, final long amount)
    {
        return new Op(Program.Kind.TRANSFER, from, to, 0, amount);
    }
}
