package io.github.saimjava.distributed;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A {@link Collective} in plain Java: the ranks form a ring of TCP connections (rank {@code r}
 * sends to {@code r + 1} and receives from {@code r - 1}, modulo the world size), set up through a
 * {@link Rendezvous}. Nothing native, nothing to install: it runs wherever Java 17 does.
 *
 * <p><b>All-reduce</b> is the bandwidth-optimal ring: the buffer of {@code N} elements is cut into
 * {@code worldSize} chunks, chunk {@code c} holding elements {@code [c N / W, (c + 1) N / W)}; in
 * {@code W - 1} reduce-scatter steps every chunk travels once round the ring, each rank adding its
 * own values, and in {@code W - 1} all-gather steps the finished chunks are copied round. Each rank
 * thus sends and receives {@code 2 (W - 1) N / W} elements. The sum of chunk {@code c} is always
 * taken in the same order, starting at rank {@code c}:
 *
 * <pre>{@code
 * sum = ((x[c] + x[c+1]) + x[c+2]) + ... + x[c+W-1]     (ranks modulo W)
 * }</pre>
 *
 * and every rank ends with the bits of that one sum. In {@link #allReduceSumBf16} each {@code +} is
 * done in float32 and rounded to bfloat16 (nearest even; a NaN stays a quiet NaN), as in the Gloo
 * implementation. Receiving, reducing and sending overlap: a rank sends the chunk it finished in
 * the previous step while it receives and reduces the next one as its bytes arrive.
 *
 * <p><b>Time-outs and failures:</b> a collective fails when a neighbour closes its connection (it
 * died or stopped: "lost rank p") or when no byte moved to or from it within the time-out ("rank p
 * did not answer in time"). The failing rank then closes its own connections, so that the failure
 * travels round the ring at once rather than one time-out per rank.
 *
 * <p><b>Who may connect:</b> each rank publishes its address and a random token in the rendezvous
 * store (which, over {@code tcp://}, only holders of the job's secret can read); a connection that
 * does not present the token of the rank it reaches is closed unread.
 */
public final class RingCollective implements Collective {
  private static final byte[] MAGIC = "saim-ring-1".getBytes(StandardCharsets.US_ASCII);
  private static final int TOKEN = 16;
  private static final int OP_F32 = 1;
  private static final int OP_BF16 = 2;
  private static final int OP_BROADCAST = 3;
  private static final int OP_BARRIER = 4;
  private static final String[] OP_NAMES = {
    "", "all-reduce", "bfloat16 all-reduce", "broadcast", "barrier"
  };

  private final int rank;
  private final int size;
  private final long timeoutNs;
  private final @Nullable SocketChannel toNext;
  private final @Nullable SocketChannel fromPrev;
  private final @Nullable Selector selector;
  private final @Nullable AutoCloseable store;
  private final ByteBuffer header = ByteBuffer.allocateDirect(24).order(ByteOrder.BIG_ENDIAN);
  private final ByteBuffer peerHeader = ByteBuffer.allocateDirect(24).order(ByteOrder.BIG_ENDIAN);
  private ByteBuffer recvStage = ByteBuffer.allocateDirect(0);
  private ByteBuffer scratch = ByteBuffer.allocateDirect(0);
  private long reduceNanos;
  private int sequence;
  private boolean closed;
  private @Nullable String broken;

  private RingCollective(
      int rank,
      int size,
      long timeoutMs,
      @Nullable SocketChannel toNext,
      @Nullable SocketChannel fromPrev,
      @Nullable AutoCloseable store)
      throws IOException {
    this.rank = rank;
    this.size = size;
    this.timeoutNs = timeoutMs * 1_000_000L;
    this.toNext = toNext;
    this.fromPrev = fromPrev;
    this.store = store;
    if (toNext != null && fromPrev != null) {
      toNext.configureBlocking(false);
      fromPrev.configureBlocking(false);
      selector = Selector.open();
      toNext.register(selector, 0);
      fromPrev.register(selector, 0);
    } else {
      selector = null;
    }
  }

  /**
   * Joins the other ranks and connects the ring.
   *
   * @param rendezvous {@code file:DIR}, {@code redis://HOST:PORT/RUN} or {@code tcp://HOST:PORT}
   *     ({@link Rendezvous})
   * @param host the address this rank listens on and the others connect to; empty for this
   *     machine's host name (listening on every interface)
   * @param timeout how long the rendezvous and each later collective may wait for the others
   * @throws IllegalArgumentException for a bad rank, size, time-out or rendezvous, or a rendezvous
   *     folder that is a file or that this rank cannot write in
   * @throws CollectiveException when the others did not arrive in time or could not be reached
   */
  public static RingCollective connect(
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
    long ms = timeout.toMillis();
    if (size == 1) {
      try {
        return new RingCollective(0, 1, ms, null, null, null);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
    long deadline = System.nanoTime() + ms * 1_000_000L;
    StoreHandle s = StoreHandle.open(r, rank, size, ms);
    ServerSocketChannel server = null;
    SocketChannel next = null;
    SocketChannel prev = null;
    int stage = -1; // the peer being waited for, for the message
    try {
      server = ServerSocketChannel.open();
      InetAddress bindTo = host.isEmpty() ? null : InetAddress.getByName(host);
      server.bind(new InetSocketAddress(bindTo, 0));
      String advertised = host.isEmpty() ? InetAddress.getLocalHost().getHostName() : host;
      byte[] token = new byte[TOKEN];
      new SecureRandom().nextBytes(token);
      int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
      s.store.set(
          "ring/" + rank,
          (advertised + " " + port + " " + HexFormat.of().formatHex(token))
              .getBytes(StandardCharsets.UTF_8));
      int n = (rank + 1) % size;
      int p = (rank + size - 1) % size;
      stage = n;
      String[] addr =
          new String(s.store.get("ring/" + n, remainingMs(deadline)), StandardCharsets.UTF_8)
              .split(" ");
      next = SocketChannel.open();
      next.socket()
          .connect(
              new InetSocketAddress(addr[0], Integer.parseInt(addr[1])),
              (int) Math.max(1, Math.min(Integer.MAX_VALUE, remainingMs(deadline))));
      next.setOption(StandardSocketOptions.TCP_NODELAY, true);
      ByteBuffer hello = ByteBuffer.allocate(MAGIC.length + 9 + TOKEN);
      hello.put(MAGIC).putInt(rank).putInt(size);
      hello.put((byte) (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? 1 : 0));
      hello.put(HexFormat.of().parseHex(addr[2])).flip();
      while (hello.hasRemaining()) {
        next.write(hello);
      }
      stage = p;
      prev = accept(server, p, size, token, deadline);
      server.close();
      server = null;
      RingCollective c = new RingCollective(rank, size, ms, next, prev, s.closer);
      c.barrier(); // the ring is whole
      return c;
    } catch (IOException | RuntimeException e) {
      closeQuietly(server);
      closeQuietly(next);
      closeQuietly(prev);
      closeQuietly(s.closer);
      if (e instanceof CollectiveException || e instanceof IllegalArgumentException) {
        throw (RuntimeException) e;
      }
      boolean timedOut = e instanceof SocketTimeoutException || System.nanoTime() > deadline;
      throw new CollectiveException(
          String.format(
              Locale.ROOT,
              "rank %d of %d: connecting the ring through %s failed: %s (%s)",
              rank,
              size,
              r,
              timedOut
                  ? "rank " + stage + " did not answer in time"
                  : "could not reach rank " + stage,
              e.getMessage()),
          rank,
          stage,
          timedOut);
    }
  }

  /** Accepts connections until one from rank {@code prev} holding this rank's token arrives. */
  private static SocketChannel accept(
      ServerSocketChannel server, int prev, int size, byte[] token, long deadline)
      throws IOException {
    server.configureBlocking(false);
    try (Selector sel = Selector.open()) {
      server.register(sel, SelectionKey.OP_ACCEPT);
      while (true) {
        long left = remainingMs(deadline);
        if (left <= 0) {
          throw new SocketTimeoutException("no connection from rank " + prev);
        }
        sel.select(left);
        sel.selectedKeys().clear();
        SocketChannel ch = server.accept();
        if (ch == null) {
          continue;
        }
        ByteBuffer hello = ByteBuffer.allocate(MAGIC.length + 9 + TOKEN);
        ch.configureBlocking(false);
        boolean ok = readWithin(ch, hello, Math.min(deadline, System.nanoTime() + 10_000_000_000L));
        hello.flip();
        byte[] magic = new byte[MAGIC.length];
        byte[] got = new byte[TOKEN];
        if (ok) {
          hello.get(magic);
          int from = hello.getInt();
          int world = hello.getInt();
          boolean little = hello.get() == 1;
          hello.get(got);
          if (MessageDigest.isEqual(magic, MAGIC)
              && MessageDigest.isEqual(got, token)
              && from == prev) {
            if (world != size || little != (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN)) {
              ch.close();
              throw new IOException(
                  "rank "
                      + prev
                      + (world != size
                          ? " was launched with world size " + world + ", this rank with " + size
                          : " has another byte order"));
            }
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            return ch;
          }
        }
        ch.close(); // not a rank of this launch
      }
    }
  }

  private static boolean readWithin(SocketChannel ch, ByteBuffer b, long deadline)
      throws IOException {
    try (Selector sel = Selector.open()) {
      ch.register(sel, SelectionKey.OP_READ);
      while (b.hasRemaining()) {
        if (ch.read(b) < 0) {
          return false;
        }
        long left = remainingMs(deadline);
        if (left <= 0) {
          return false;
        }
        if (b.hasRemaining()) {
          sel.select(left);
          sel.selectedKeys().clear();
        }
      }
      return true;
    }
  }

  private static long remainingMs(long deadline) {
    return Math.max(0, (deadline - System.nanoTime()) / 1_000_000L);
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
  public synchronized void allReduceSum(FloatBuffer buf) {
    FloatBuffer b = direct(buf).slice();
    int n = b.remaining();
    ByteBuffer whole = scratch(n * Float.BYTES);
    whole.asFloatBuffer().put(0, b, 0, n);
    allReduce(whole, F32, n);
    b.put(0, whole.asFloatBuffer(), 0, n);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Here the ring sends, receives and sums in {@code buf}'s own memory: no copy of it is made.
   */
  @Override
  public synchronized void allReduceSumFloats(ByteBuffer buf) {
    ByteBuffer b = direct(buf).slice().order(ByteOrder.nativeOrder());
    if (b.remaining() % Float.BYTES != 0) {
      throw new IllegalArgumentException(
          "the buffer holds " + b.remaining() + " bytes, not a whole number of floats");
    }
    allReduce(b, F32, b.remaining() / Float.BYTES);
  }

  @Override
  public synchronized void allReduceSumBf16(ShortBuffer buf) {
    ShortBuffer b = direct(buf).slice();
    int n = b.remaining();
    ByteBuffer whole = scratch(n * Short.BYTES);
    whole.asShortBuffer().put(0, b, 0, n);
    allReduce(whole, BF16, n);
    b.put(0, whole.asShortBuffer(), 0, n);
  }

  @Override
  public synchronized long reduceNanos() {
    return reduceNanos;
  }

  @Override
  public synchronized void broadcast(ByteBuffer buf, int root) {
    if (root < 0 || root >= size) {
      throw new IllegalArgumentException("root (" + root + ") must be in 0 .. " + (size - 1));
    }
    ByteBuffer b = direct(buf).slice();
    String what = "broadcast of " + b.remaining() + " bytes from rank " + root;
    usable();
    if (size == 1) {
      return;
    }
    agree(OP_BROADCAST, b.remaining(), root, what);
    int next = (rank + 1) % size;
    if (rank == root) {
      move(b, null, 1, null, false, what);
    } else {
      // a rank passes on each byte as it arrives, unless its next is the root
      move(next == root ? null : b.duplicate().limit(0), b, 1, null, next != root, what);
    }
  }

  @Override
  public synchronized void barrier() {
    usable();
    // after W - 1 exchanges round the ring every rank has heard, through its predecessors, of all
    for (int i = 0; i < size - 1; i++) {
      agree(OP_BARRIER, 0, i, "barrier");
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    closeChannels();
    closeQuietly(store);
  }

  private void closeChannels() {
    closeQuietly(selector);
    closeQuietly(toNext);
    closeQuietly(fromPrev);
  }

  private void usable() {
    if (closed) {
      throw new IllegalStateException("rank " + rank + ": the collective is closed");
    }
    if (broken != null) {
      throw new IllegalStateException(
          "rank " + rank + ": the collective failed before (" + broken + ")");
    }
  }

  /** How the all-reduce adds a received run of values into this rank's own. */
  private interface Adder {
    int bytes();

    /** {@code own[at + k] = received[k] + own[at + k]} for {@code k} in {@code [i, j)}. */
    void add(ByteBuffer received, ByteBuffer own, int at, int i, int j);
  }

  private static final Adder F32 =
      new Adder() {
        @Override
        public int bytes() {
          return Float.BYTES;
        }

        @Override
        public void add(ByteBuffer received, ByteBuffer own, int at, int i, int j) {
          FloatBuffer r = received.asFloatBuffer();
          FloatBuffer o = own.asFloatBuffer();
          for (int k = i; k < j; k++) {
            o.put(at + k, r.get(k) + o.get(at + k));
          }
        }
      };

  private static final Adder BF16 =
      new Adder() {
        @Override
        public int bytes() {
          return Short.BYTES;
        }

        @Override
        public void add(ByteBuffer received, ByteBuffer own, int at, int i, int j) {
          ShortBuffer r = received.asShortBuffer();
          ShortBuffer o = own.asShortBuffer();
          for (int k = i; k < j; k++) {
            o.put(at + k, bf16Sum(r.get(k), o.get(at + k)));
          }
        }
      };

  /** {@code a + b} of two bfloat16 values, added in float32 and rounded to nearest even. */
  static short bf16Sum(short a, short b) {
    return toBf16(Float.intBitsToFloat(a << 16) + Float.intBitsToFloat(b << 16));
  }

  /** Rounds to bfloat16, nearest even; a NaN stays NaN (quiet). */
  static short toBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if ((bits & 0x7fffffff) > 0x7f800000) {
      return (short) ((bits >>> 16) | 0x40);
    }
    bits += 0x7fff + ((bits >>> 16) & 1);
    return (short) (bits >>> 16);
  }

  private static int lo(int c, int n, int size) {
    return (int) ((long) c * n / size);
  }

  /** A direct buffer of this collective's of at least {@code bytes}, in native order. */
  private ByteBuffer scratch(int bytes) {
    if (scratch.capacity() < bytes) {
      scratch = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }
    return scratch.duplicate().clear().limit(bytes).order(ByteOrder.nativeOrder());
  }

  /** Bytes {@code [lo(c) w, lo(c + 1) w)} of {@code b}: chunk {@code c}'s elements. */
  private ByteBuffer chunk(ByteBuffer b, int c, int n, int w) {
    return b.duplicate().limit(lo(c + 1, n, size) * w).position(lo(c, n, size) * w);
  }

  /**
   * The ring all-reduce of the {@code n} elements in {@code b} (native order, from 0), in place:
   * each step sends a chunk straight from {@code b}, receives the predecessor's partial sum of
   * another chunk into one chunk-sized stage and adds {@code b}'s values to it where they lie, so
   * that the sum is finished in {@code b}; the all-gather receives the finished chunks straight
   * into {@code b}. Sending chunk {@code c} while changing chunk {@code c - 1} touches distinct
   * bytes.
   */
  private void allReduce(ByteBuffer b, Adder adder, int n) {
    int op = adder == F32 ? OP_F32 : OP_BF16;
    String what =
        op == OP_F32 ? "all-reduce of " + n + " floats" : "all-reduce of " + n + " bfloat16 values";
    usable();
    if (size == 1) {
      return;
    }
    agree(op, n, 0, what);
    int w = adder.bytes();
    int largest = 0;
    for (int c = 0; c < size; c++) {
      largest = Math.max(largest, lo(c + 1, n, size) - lo(c, n, size));
    }
    if (recvStage.capacity() < largest * w) {
      recvStage = ByteBuffer.allocateDirect(largest * w).order(ByteOrder.nativeOrder());
    }
    ByteBuffer stage = recvStage;
    // reduce-scatter: in step s rank r sends chunk r - s (its own values at s = 0, then the chunk
    // it
    // summed in step s - 1) and receives chunk r - s - 1, to which it adds its own values
    for (int s = 0; s < size - 1; s++) {
      int c = Math.floorMod(rank - s - 1, size);
      int from = lo(c, n, size);
      int len = lo(c + 1, n, size) - from;
      move(
          chunk(b, Math.floorMod(rank - s, size), n, w),
          stage.duplicate().position(0).limit(len * w),
          w,
          (i, j) -> {
            long t = System.nanoTime();
            adder.add(stage, b, from, i, j);
            reduceNanos += System.nanoTime() - t;
          },
          false,
          what);
    }
    // rank r now holds the whole sum of chunk r + 1; all-gather: in step s it sends chunk r + 1 - s
    // and receives the finished chunk r - s in its place
    for (int s = 0; s < size - 1; s++) {
      move(
          chunk(b, Math.floorMod(rank + 1 - s, size), n, w),
          chunk(b, Math.floorMod(rank - s, size), n, w),
          w,
          null,
          false,
          what);
    }
  }

  /**
   * Sends and receives the header of this collective (operation, count, argument, sequence) and
   * checks that the previous rank called the same one.
   */
  private void agree(int op, long count, int arg, String what) {
    header.clear();
    header.putInt(op).putLong(count).putInt(arg).putInt(sequence).putInt(0).flip();
    peerHeader.clear();
    move(header, peerHeader, 1, null, false, what);
    sequence++;
    peerHeader.flip();
    int pop = peerHeader.getInt();
    long pcount = peerHeader.getLong();
    int parg = peerHeader.getInt();
    if (pop != op || pcount != count || (op != OP_BARRIER && parg != arg)) {
      int prev = (rank + size - 1) % size;
      String theirs =
          pop > 0 && pop < OP_NAMES.length
              ? OP_NAMES[pop] + " of " + pcount + (pop == OP_BROADCAST ? " from rank " + parg : "")
              : "an unknown operation " + pop;
      fail(
          what,
          prev,
          false,
          "rank " + prev + " called " + theirs + ": the ranks must call the same collectives",
          "mismatch");
    }
  }

  /** Called with the range of elements (of the receiving step) whose bytes have all arrived. */
  private interface Arrived {
    void elements(int from, int to);
  }

  /**
   * Writes {@code send} to the next rank while reading {@code recv} from the previous one, until
   * both are done, telling {@code arrived} of each run of whole elements ({@code w} bytes) that
   * came in. With {@code forward}, {@code send} shares {@code recv}'s memory and its limit follows
   * the bytes received: they are passed on as they arrive ({@link #broadcast}).
   */
  private void move(
      @Nullable ByteBuffer send,
      @Nullable ByteBuffer recv,
      int w,
      @Nullable Arrived arrived,
      boolean forward,
      String what) {
    int recvStart = recv == null ? 0 : recv.position();
    int doneElements = 0;
    long lastSend = System.nanoTime();
    long lastRecv = lastSend;
    int next = (rank + 1) % size;
    int prev = (rank + size - 1) % size;
    SocketChannel out = Objects.requireNonNull(toNext);
    SocketChannel in = Objects.requireNonNull(fromPrev);
    Selector sel = Objects.requireNonNull(selector);
    while (true) {
      if (forward && send != null && recv != null) {
        send.limit(recv.position());
      }
      boolean sending =
          send != null && (send.hasRemaining() || forward && recv != null && recv.hasRemaining());
      boolean receiving = recv != null && recv.hasRemaining();
      if (!sending && !receiving) {
        return;
      }
      boolean progressed = false;
      if (send != null && send.hasRemaining()) {
        try {
          if (out.write(send) > 0) {
            progressed = true;
            lastSend = System.nanoTime();
          }
        } catch (IOException ex) {
          fail(what, next, false, lostMessage(next), ex.toString());
        }
      }
      if (receiving && recv != null) {
        int k;
        try {
          k = in.read(recv);
        } catch (IOException ex) {
          fail(what, prev, false, lostMessage(prev), ex.toString());
          return;
        }
        if (k < 0) {
          fail(what, prev, false, lostMessage(prev), "end of stream");
        }
        if (k > 0) {
          progressed = true;
          lastRecv = System.nanoTime();
          if (arrived != null) {
            int complete = (recv.position() - recvStart) / w;
            if (complete > doneElements) {
              arrived.elements(doneElements, complete);
              doneElements = complete;
            }
          }
        }
      }
      if (progressed) {
        continue;
      }
      long now = System.nanoTime();
      if (receiving && now - lastRecv > timeoutNs) {
        fail(what, prev, true, "rank " + prev + " did not answer in time", timeoutText());
      }
      if (send != null && send.hasRemaining() && now - lastSend > timeoutNs) {
        fail(what, next, true, "rank " + next + " did not answer in time", timeoutText());
      }
      try {
        in.keyFor(sel).interestOps(receiving ? SelectionKey.OP_READ : 0);
        out.keyFor(sel)
            .interestOps(send != null && send.hasRemaining() ? SelectionKey.OP_WRITE : 0);
        long waitMs =
            Math.max(
                1,
                Math.min(
                    receiving ? (lastRecv + timeoutNs - now) / 1_000_000L : Long.MAX_VALUE,
                    send != null && send.hasRemaining()
                        ? (lastSend + timeoutNs - now) / 1_000_000L
                        : Long.MAX_VALUE));
        sel.select(waitMs);
        sel.selectedKeys().clear();
      } catch (IOException ex) {
        fail(what, -1, false, "the transport failed", ex.toString());
      }
      if (Thread.interrupted()) {
        Thread.currentThread().interrupt();
        fail(what, -1, false, "interrupted", "the calling thread was interrupted");
      }
    }
  }

  private String timeoutText() {
    return "nothing moved for " + timeoutNs / 1_000_000L + " ms";
  }

  private static String lostMessage(int peer) {
    return "lost rank " + peer + " (its connection closed: it stopped or died)";
  }

  private void fail(String what, int peer, boolean timeout, String cause, String detail) {
    String message =
        String.format(
            Locale.ROOT, "rank %d of %d: %s failed: %s (%s)", rank, size, what, cause, detail);
    broken = message;
    // closing tells the neighbours at once, and through them the rest of the ring
    closeChannels();
    throw new CollectiveException(message, rank, peer, timeout);
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

  private static void closeQuietly(@Nullable AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      // closing on the way out of a failure, which says what matters
    }
  }

  /** The rendezvous store of a launch, and what to close with the collective. */
  private record StoreHandle(KeyValueStore store, @Nullable AutoCloseable closer) {
    static StoreHandle open(Rendezvous r, int rank, int size, long ms) {
      if (r instanceof Rendezvous.Folder f) {
        try {
          return new StoreHandle(
              new FolderStore(FolderHandshake.agree(f.dir(), rank, size, ms)), null);
        } catch (IOException e) {
          throw new IllegalStateException(
              "rank " + rank + ": rendezvous folder " + f.dir() + " is not usable: " + e, e);
        }
      }
      try {
        if (r instanceof Rendezvous.Tcp tcp) {
          byte[] secret = TcpStore.secret(System.getenv());
          TcpStore store =
              rank == 0
                  ? TcpStore.serve(tcp.port(), secret)
                  : TcpStore.connect(tcp.host(), tcp.port(), ms, secret);
          return new StoreHandle(store, store);
        }
        RedisStore redis = RedisStore.connect((Rendezvous.Redis) r, ms);
        return new StoreHandle(redis, redis);
      } catch (IOException e) {
        throw new CollectiveException(
            "rank " + rank + " of " + size + ": rendezvous failed: " + e.getMessage(),
            rank,
            rank == 0 ? -1 : 0,
            false);
      }
    }
  }
}
