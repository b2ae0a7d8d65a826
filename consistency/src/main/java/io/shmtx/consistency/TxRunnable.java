package io.shmtx.consistency;

/**
 * A transaction body without a result, run by {@link SharedMemory#transact(TxRunnable)}. It may
 * run several times (once per attempt); it should have no effect outside the transaction.
 */
@FunctionalInterface
public interface TxRunnable
{
    /**
     * Runs the body.
     *
     * @param tx the transaction (valid until the body returns).
     */
    void run(Tx tx);
}
