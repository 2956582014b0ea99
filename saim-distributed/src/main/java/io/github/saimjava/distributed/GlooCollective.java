package io.github.saimjava.distributed;

import java.io.IOException;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A {@link Collective} over Gloo's TCP transport: a full mesh of connections between the ranks, set
 * up through a {@link Rendezvous}. Gloo is Debian's {@code libgloo0} (the same library PyTorch's
 * CPU data-parallel training uses), reached through a small JNI library; see {@link
 * #isAvailable()}.
 *
 * <pre>{@code
 * Duration timeout = Duration.ofMinutes(2);
 * try (Collective c = GlooCollective.connect("file:/shared/run1", rank, 2, "", timeout)) {
 *   FloatBuffer grads =
 *       ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder()).asFloatBuffer();
 *   ... fill ...
 *   c.allReduceSum(grads);
 * }
 * }</pre>
 */
public final class GlooCollective implements Collective {
  private final int rank;
  private final int size;
  private final long timeoutMs;
  private long ctx;
  private @Nullable String broken;
  private final @Nullable TcpStore store;

  private GlooCollective(long ctx, int rank, int size, long timeoutMs, @Nullable TcpStore store) {
    this.ctx = ctx;
    this.store = store;
    this.rank = rank;
    this.size = size;
    this.timeoutMs = timeoutMs;
  }

  /** Whether the native library is there and loads. */
  public static boolean isAvailable() {
    return NativeGloo.problem() == null;
  }

  /** Why {@link #isAvailable()} is false, or empty. */
  public static String unavailableReason() {
    String p = NativeGloo.problem();
    return p == null ? "" : p;
  }

  /**
   * Joins the other ranks and connects to each of them.
   *
   * @param rendezvous {@code file:DIR}, {@code redis://HOST:PORT/RUN} or {@code tcp://HOST:PORT}
   *     ({@link Rendezvous})
   * @param host the address (or host name) this rank listens on and the others connect to; empty
   *     for this machine's host name
   * @param timeout how long the rendezvous and each later collective may wait for the others
   * @throws IllegalArgumentException for a bad rank, size, time-out or rendezvous, or a rendezvous
   *     folder that is a file or that this rank cannot write in
   * @throws IllegalStateException when the rendezvous folder fails otherwise
   * @throws IllegalStateException when the native library is not available (saying why)
   * @throws CollectiveException when the others did not arrive in time
   */
  public static GlooCollective connect(
      String rendezvous, int rank, int size, String host, Duration timeout) {
    Objects.requireNonNull(host, "host");
    if (size < 1 || rank < 0 || rank >= size) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT, "rank (%d) must be in 0 .. world size - 1 (world size %d)", rank, size));
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("time-out (" + timeout + ") must be positive");
    }
    Rendezvous r = Rendezvous.parse(rendezvous);
    String problem = NativeGloo.problem();
    if (problem != null) {
      throw new IllegalStateException(problem);
    }
    long ms = timeout.toMillis();
    String kind;
    String arg;
    int port = 0;
    if (r instanceof Rendezvous.Folder f) {
      kind = "file";
      try {
        arg = FolderHandshake.agree(f.dir(), rank, size, ms).toString();
      } catch (IOException e) {
        // not an UncheckedIOException, whose handlers report the cause alone (often just a path)
        throw new IllegalStateException(
            "rank " + rank + ": rendezvous folder " + f.dir() + " is not usable: " + e, e);
      }
    } else if (r instanceof Rendezvous.Tcp tcp) {
      return connectThroughTcp(tcp, rank, size, host, ms);
    } else {
      Rendezvous.Redis redis = (Rendezvous.Redis) r;
      kind = "redis";
      arg = redis.host() + "/" + redis.run();
      port = redis.port();
    }
    int[] failure = new int[2];
    String[] message = new String[1];
    long handle = NativeGloo.connect(kind, arg, port, rank, size, host, ms, failure, message);
    if (handle == 0) {
      throw failure("connect to the other ranks through " + r, rank, size, message[0], failure);
    }
    return new GlooCollective(handle, rank, size, ms, null);
  }

  private static GlooCollective connectThroughTcp(
      Rendezvous.Tcp tcp, int rank, int size, String host, long ms) {
    TcpStore store;
    try {
      byte[] secret = TcpStore.secret(System.getenv());
      store =
          rank == 0
              ? TcpStore.serve(tcp.port(), secret)
              : TcpStore.connect(tcp.host(), tcp.port(), ms, secret);
    } catch (IOException e) {
      throw new CollectiveException(
          "rank " + rank + " of " + size + ": rendezvous failed: " + e.getMessage(),
          rank,
          rank == 0 ? -1 : 0,
          false);
    }
    int[] failure = new int[2];
    String[] message = new String[1];
    long handle = NativeGloo.connectStore(store, rank, size, host, ms, failure, message);
    if (handle == 0) {
      try {
        store.close();
      } catch (IOException e) {
        // the failure below says what matters
      }
      throw failure("connect to the other ranks through " + tcp, rank, size, message[0], failure);
    }
    return new GlooCollective(handle, rank, size, ms, store);
  }

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
    FloatBuffer b = direct(buf).slice();
    check(
        "all-reduce of " + b.remaining() + " floats",
        NativeGloo.allReduceF32(handle(), b, b.remaining(), timeoutMs, failure));
  }

  @Override
  public void allReduceSumBf16(ShortBuffer buf) {
    ShortBuffer b = direct(buf).slice();
    check(
        "all-reduce of " + b.remaining() + " bfloat16 values",
        NativeGloo.allReduceBf16(handle(), b, b.remaining(), timeoutMs, failure));
  }

  @Override
  public void broadcast(ByteBuffer buf, int root) {
    if (root < 0 || root >= size) {
      throw new IllegalArgumentException("root (" + root + ") must be in 0 .. " + (size - 1));
    }
    ByteBuffer b = direct(buf).slice();
    check(
        "broadcast of " + b.remaining() + " bytes from rank " + root,
        NativeGloo.broadcast(handle(), b, b.remaining(), root, timeoutMs, failure));
  }

  @Override
  public void barrier() {
    check("barrier", NativeGloo.barrier(handle(), timeoutMs, failure));
  }

  @Override
  public synchronized void close() {
    if (ctx != 0) {
      NativeGloo.close(ctx);
      ctx = 0;
    }
    if (store != null) {
      try {
        store.close();
      } catch (IOException e) {
        // nothing left to do with it
      }
    }
  }

  private final int[] failure = new int[2];

  private long handle() {
    if (broken != null) {
      throw new IllegalStateException(
          "rank " + rank + ": the collective failed before (" + broken + ")");
    }
    if (ctx == 0) {
      throw new IllegalStateException("rank " + rank + ": the collective is closed");
    }
    return ctx;
  }

  private void check(String what, @Nullable String error) {
    if (error != null) {
      CollectiveException e = failure(what, rank, size, error, failure);
      broken = e.getMessage();
      throw e;
    }
  }

  private static CollectiveException failure(
      String what, int rank, int size, String error, int[] failure) {
    // Gloo names the peer of a closed connection, not of a time-out; with two ranks there is one
    int peer = failure[0] < 0 && size == 2 ? 1 - rank : failure[0];
    boolean timeout = failure[1] != 0;
    String cause =
        peer >= 0
            ? (timeout
                ? "rank " + peer + " did not answer in time"
                : "lost rank " + peer + " (its connection closed: it stopped or died)")
            : (timeout ? "a peer did not answer in time" : "the transport failed");
    return new CollectiveException(
        String.format(
            Locale.ROOT, "rank %d of %d: %s failed: %s (%s)", rank, size, what, cause, error),
        rank,
        peer,
        timeout);
  }

  private static <B extends Buffer> B direct(B buf) {
    if (!buf.isDirect()) {
      throw new IllegalArgumentException("the buffer must be direct (ByteBuffer.allocateDirect)");
    }
    if (buf instanceof FloatBuffer f && f.order() != ByteOrder.nativeOrder()
        || buf instanceof ShortBuffer s && s.order() != ByteOrder.nativeOrder()) {
      throw new IllegalArgumentException(
          "the buffer must be in native byte order (ByteOrder.nativeOrder())");
    }
    return buf;
  }
}
