package io.shmtx.consistency;

/**
 * A transaction body with a result, run by {@link SharedMemory#transactAndGet(TxFunction)}. It may run
 * several times (once per attempt); it should have no effect outside the transaction.
 *
 * @param <T> result type.
 */
@FunctionalInterface
public interface TxFunction<T>
{
    /**
     * Runs the body.
     *
     * @param tx the transaction (valid until the body returns).
     * @return the result, returned by {@code transact} once the transaction commits.
     */
    T apply(Tx tx);
}
