package io.github.saimjava.distributed;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One rank in its own JVM. Args: RENDEZVOUS RANK SIZE TIMEOUT_MS MODE [torch]. MODE "check":
 * all-reduce float32 and bfloat16, broadcast and barrier, checking every value; prints "ok". MODE
 * "wait": connects, prints "connected", then all-reduces until it fails and prints the error's
 * message as "error: ..." (exit 3). With "torch", PyTorch's engine is loaded and used before the
 * collective, so libtorch_cpu.so and its Gloo are in the process first. The collective is the one
 * the system property saim.collective picks ({@link Collectives}).
 */
public final class CollectiveChild {
  static final int N = 1 << 20;

  public static void main(String[] args) throws Exception {
    String rendezvous = args[0];
    int rank = Integer.parseInt(args[1]);
    int size = Integer.parseInt(args[2]);
    long timeoutMs = Long.parseLong(args[3]);
    String mode = args[4];
    if (args.length > 5 && args[5].equals("torch")) {
      try (NDManager m = Engine.getEngine("PyTorch").newBaseManager();
          NDArray a = m.create(new float[] {1, 2})) {
        System.out.println("torch " + a.sum().getFloat());
      }
    }
    Collective connected;
    try {
      connected =
          Collectives.connect(rendezvous, rank, size, "127.0.0.1", Duration.ofMillis(timeoutMs));
    } catch (IllegalStateException e) {
      System.out.println("error: " + e.getMessage());
      System.exit(2);
      return;
    }
    try (Collective c = connected) {
      System.out.println("connected " + c.rank() + "/" + c.worldSize());
      System.out.flush();
      if (mode.equals("wait")) {
        FloatBuffer b = floats(N);
        try {
          while (true) {
            c.allReduceSum(b);
          }
        } catch (CollectiveException e) {
          System.out.println("error: " + e.getMessage());
          System.out.println("peer " + e.peer().orElse(-1) + " timeout " + e.isTimeout());
          System.exit(3);
        }
      }
      check(c, rank, size);
      System.out.println("ok");
    }
  }

  static void check(Collective c, int rank, int size) {
    // float32: element i of rank r is r + i / N; the sum is size (size - 1) / 2 + size i / N
    FloatBuffer f = floats(N);
    for (int i = 0; i < N; i++) {
      f.put(i, rank + (float) i / N);
    }
    c.allReduceSum(f);
    for (int i = 0; i < N; i++) {
      float want = 0;
      for (int r = 0; r < size; r++) {
        want += r + (float) i / N;
      }
      if (Math.abs(f.get(i) - want) > 1e-6f * Math.max(1, Math.abs(want))) {
        throw new AssertionError("float32 sum at " + i + ": " + f.get(i) + ", want " + want);
      }
    }
    // bfloat16: small integers are exact
    ShortBuffer h =
        ByteBuffer.allocateDirect(2 * 1000).order(ByteOrder.nativeOrder()).asShortBuffer();
    for (int i = 0; i < 1000; i++) {
      h.put(i, bf16(rank + 1 + i % 7));
    }
    c.allReduceSumBf16(h);
    for (int i = 0; i < 1000; i++) {
      float want = size * (size + 1) / 2f + size * (i % 7);
      float got = Float.intBitsToFloat(h.get(i) << 16);
      if (got != want) {
        throw new AssertionError("bfloat16 sum at " + i + ": " + got + ", want " + want);
      }
    }
    byte[] text = "from rank zero".getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocateDirect(text.length);
    if (rank == 0) {
      b.put(text).flip();
    }
    c.broadcast(b, 0);
    byte[] got = new byte[text.length];
    b.get(0, got);
    if (!new String(got, StandardCharsets.UTF_8).equals("from rank zero")) {
      throw new AssertionError("broadcast gave " + new String(got, StandardCharsets.UTF_8));
    }
    c.barrier();
  }

  static FloatBuffer floats(int n) {
    return ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }

  static short bf16(float v) {
    return (short) (Float.floatToIntBits(v) >>> 16);
  }

  private CollectiveChild() {}
}
