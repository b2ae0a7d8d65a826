/**
 * A shared lock table in a region: shared, exclusive and upgrade locks on handles taken by
 * transactions of any process, with deadlock prevention or detection ({@link io.shmtx.deadlock.LockPolicy})
 * and the release of a dead process's locks. Start at {@link io.shmtx.deadlock.LockManager}.
 */
package io.shmtx.deadlock;
