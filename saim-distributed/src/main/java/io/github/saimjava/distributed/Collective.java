package io.github.saimjava.distributed;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * A group of {@link #worldSize()} processes, this one being {@link #rank()}, that call the same
 * collectives in the same order. Every call blocks until all ranks have joined it, or fails with a
 * {@link CollectiveException} naming this rank (and the peer, when known) after the time-out the
 * collective was created with; after a failure the collective is unusable and only {@link #close()}
 * remains.
 *
 * <p>Buffers are direct (native memory), and the operation works in place on their contents from
 * position to limit.
 */
public interface Collective extends AutoCloseable {
  /** This process's rank, {@code 0 .. worldSize() - 1}. */
  int rank();

  /** Number of processes. */
  int worldSize();

  /** Replaces the floats of {@code buf} on every rank by their sum over all ranks. */
  void allReduceSum(FloatBuffer buf);

  /**
   * Replaces the bfloat16 values (the upper halves of float32 bit patterns) of {@code buf} by their
   * sum over all ranks; each partial sum is rounded to bfloat16 (nearest even).
   */
  void allReduceSumBf16(ShortBuffer buf);

  /** Copies the bytes of {@code buf} on rank {@code root} into {@code buf} on every other rank. */
  void broadcast(ByteBuffer buf, int root);

  /** Returns when every rank has called it. */
  void barrier();

  /** Frees the connections; idempotent. */
  @Override
  void close();
}
