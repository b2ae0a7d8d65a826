/**
 * The region: one file mapped by every process, with a validated header, a process table with
 * kernel-backed liveness, named roots, a region clock and a recovery driver. Start at
 * {@link io.shmtx.region.Region}.
 */
package io.shmtx.region;
