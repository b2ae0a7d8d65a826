/**
 * Transactions over shared objects between processes: {@link io.shmtx.consistency.SharedMemory}
 * opens everything in one call, {@link io.shmtx.consistency.Tx} reads and writes objects under
 * the region's {@link io.shmtx.consistency.ConsistencyModel} (switched at run time by any process,
 * {@link io.shmtx.consistency.ModelSwitch}), and a dead process's transaction is finished or
 * undone by the survivors ({@link io.shmtx.consistency.ConsistencyDescriptor} lays
 * the section and the objects out).
 */
package io.shmtx.consistency;
