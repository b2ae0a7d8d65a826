/**
 * Memory-ordering helpers for shared memory: explicit fences ({@link io.shmtx.barriers.Barriers}),
 * an ordering chosen as a value ({@link io.shmtx.barriers.Ordering}) and accessors that apply it
 * to an Agrona {@link org.agrona.concurrent.AtomicBuffer} ({@link io.shmtx.barriers.OrderedAccess}).
 *
 * <p>Set the system property {@code shmtx.barriers.count=true} to count every fence and ordered
 * access ({@link io.shmtx.barriers.BarrierCounters}); when it is off (the default) the counting
 * code is removed by the JIT because the switch is a {@code static final} constant.
 */
package io.shmtx.barriers;
