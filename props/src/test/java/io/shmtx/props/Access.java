package io.shmtx.props;

/**
 * What a {@link Program} runs against: the objects of a transaction (a real {@code Tx}), a
 * serial model, or a transaction's own recorded observations.
 *
 * <p>Implementations are not threadsafe: one transaction, one thread.
 */
interface Access
{
    /**
     * How many objects there are (indices 0 .. objects() - 1).
     *
     * @return the count.
     */
    int objects();

    /**
     * Reads every word of an object as this transaction sees it.
     *
     * @param object index.
     * @param bulk   read it with one bulk copy rather than word by word (two code paths of a
     *               real transaction; a model ignores it).
     * @return a fresh array of {@link Program#WORDS} words.
     */
    long[] read(int object, boolean bulk);

    /**
     * Writes one word of an object.
     *
     * @param object index.
     * @param word   word index, 0 .. {@link Program#WORDS} - 1.
     * @param value  value.
     */
    void put(int object, int word, long value);

    /**
     * Gives other threads a chance to run in the middle of a transaction, to widen the windows
     * in which transactions overlap. A model does nothing.
     *
     * @param length 0 to yield the processor, else about that many spin-wait hints.
     */
    default void pause(final long length)
    {
    }
}
