/**
 * Persistent, crash-resistant reference counts on pool blocks: a block is freed exactly once, when
 * its last holder lets go, even when a holder is killed without letting go (per-process ledgers,
 * intents and a journaled recovery). Start at {@link io.shmtx.refcount.RefCounts}.
 */
package io.shmtx.refcount;
