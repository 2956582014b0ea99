package io.github.saimjava.distributed;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
   * As {@link #allReduceSum(FloatBuffer)}, for the float32 values (native byte order) that the
   * bytes of {@code buf} hold from position to limit: an implementation may then send, receive and
   * sum in the buffer's own memory, where a {@link FloatBuffer} would cost it a copy.
   *
   * @throws IllegalArgumentException when the bytes are not a whole number of floats
   */
  default void allReduceSumFloats(ByteBuffer buf) {
    if (buf.remaining() % Float.BYTES != 0) {
      throw new IllegalArgumentException(
          "the buffer holds " + buf.remaining() + " bytes, not a whole number of floats");
    }
    allReduceSum(buf.duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer());
  }

  /**
   * Nanoseconds this rank has spent so far adding received values to its own in all-reduces (the
   * reduction arithmetic), counted from connection; 0 where the implementation cannot tell it apart
   * from sending and receiving. A caller subtracts two readings to time one call.
   */
  default long reduceNanos() {
    return 0;
  }

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
