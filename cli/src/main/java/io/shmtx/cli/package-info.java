/**
 * The {@code shmtx} command line: create and inspect region files, watch pool statistics, a multi-process demo, and a soak test.
 * Start at {@link io.shmtx.cli.Main}.
 */
package io.shmtx.cli;
