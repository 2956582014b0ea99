package io.github.saimjava.train;

import io.github.saimjava.distributed.Collective;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A world of ranks as threads of one JVM, for code that only exchanges bytes and floats through a
 * {@link Collective} (no gradients, which need a JVM each). Counts the collectives and the bytes
 * each rank sends or receives.
 */
final class ThreadWorld {
  private final int size;
  private final CyclicBarrier barrier;
  private final Object[] slots;
  final AtomicInteger collectives = new AtomicInteger();
  final AtomicLong bytes = new AtomicLong();

  ThreadWorld(int size) {
    this.size = size;
    this.barrier = new CyclicBarrier(size);
    this.slots = new Object[size];
  }

  /**
   * Runs {@code body} on every rank at once; returns each rank's result, or the exception it threw.
   */
  List<Object> run(Function<Collective, Object> body) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(size);
    try {
      List<Future<Object>> fs = new ArrayList<>();
      for (int r = 0; r < size; r++) {
        Collective c = member(r);
        Callable<Object> task =
            () -> {
              try {
                return body.apply(c);
              } catch (RuntimeException e) {
                return e;
              }
            };
        fs.add(pool.submit(task));
      }
      List<Object> out = new ArrayList<>();
      for (Future<Object> f : fs) {
        out.add(f.get(30, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  private void meet() {
    try {
      barrier.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException
        | BrokenBarrierException
        | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("a rank of the thread world did not arrive", e);
    }
  }

  private Collective member(int rank) {
    return new Collective() {
      @Override
      public int rank() {
        return rank;
      }

      @Override
      public int worldSize() {
        return size;
      }

      @Override
      public void allReduceSum(FloatBuffer buf) {
        FloatBuffer b = buf.slice();
        float[] mine = new float[b.remaining()];
        b.get(0, mine);
        count(mine.length * (long) Float.BYTES);
        slots[rank] = mine;
        meet();
        float[] sum = new float[mine.length];
        for (Object o : slots) {
          float[] v = (float[]) o;
          for (int i = 0; i < sum.length; i++) {
            sum[i] += v[i];
          }
        }
        meet();
        b.put(0, sum);
      }

      @Override
      public void allReduceSumBf16(ShortBuffer buf) {
        throw new UnsupportedOperationException("not needed by the code under test");
      }

      @Override
      public void broadcast(ByteBuffer buf, int root) {
        ByteBuffer b = buf.slice();
        byte[] v = new byte[b.remaining()];
        count(v.length);
        if (rank == root) {
          b.get(0, v);
          slots[root] = v;
        }
        meet();
        if (rank != root) {
          b.put(0, (byte[]) slots[root]);
        }
        meet();
      }

      @Override
      public void barrier() {
        count(0);
        meet();
      }

      @Override
      public void close() {}

      private void count(long n) {
        if (rank == 0) {
          collectives.incrementAndGet();
          bytes.addAndGet(n);
        }
      }
    };
  }
}
