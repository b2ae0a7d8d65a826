/**
 * The {@code shmtx} command line: create and inspect region files, watch pool statistics, and a multi-process demo.
 * Start at {@link io.shmtx.cli.Main}.
 */
package io.shmtx.cli;
