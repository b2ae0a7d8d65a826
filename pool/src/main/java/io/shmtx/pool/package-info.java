/**
 * Tiered pools of fixed-size blocks in a region, shared lock-free by every thread of every attached
 * process and addressed by 64-bit {@link io.shmtx.pool.Handles handles}: thread caches, an emergency
 * reserve, usage thresholds, statistics, a leak report, validation and the recovery of a dead
 * process's blocks. Start at {@link io.shmtx.pool.TieredPool}.
 */
package io.shmtx.pool;
