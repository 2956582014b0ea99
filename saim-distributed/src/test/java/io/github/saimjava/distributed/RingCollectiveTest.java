package io.github.saimjava.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * The plain-Java ring between threads of one JVM on loopback: every rank of a world is a thread
 * with its own {@link RingCollective}, met through a {@code file:} (or {@code tcp://}) rendezvous.
 */
class RingCollectiveTest {
  /** One live world per size, shared by the property tries (connecting costs a rendezvous). */
  private static final Map<Integer, List<Collective>> WORLDS = new HashMap<>();

  private static final ExecutorService POOL = Executors.newCachedThreadPool();
  private static final List<Path> FOLDERS = new ArrayList<>();

  interface RankWork<T> {
    T run(Collective c) throws Exception;
  }

  static synchronized List<Collective> world(int size) throws Exception {
    List<Collective> w = WORLDS.get(size);
    if (w == null) {
      w = connect("file:" + folder(), size, 60_000);
      WORLDS.put(size, w);
    }
    return w;
  }

  static Path folder() throws IOException {
    Path dir = Files.createTempDirectory("saim-ring-test");
    FOLDERS.add(dir);
    return dir;
  }

  static List<Collective> connect(String rendezvous, int size, long timeoutMs) throws Exception {
    List<Future<Collective>> fs = new ArrayList<>();
    for (int r = 0; r < size; r++) {
      int rank = r;
      fs.add(
          POOL.submit(
              () ->
                  RingCollective.connect(
                      rendezvous, rank, size, "127.0.0.1", Duration.ofMillis(timeoutMs))));
    }
    List<Collective> w = new ArrayList<>();
    for (Future<Collective> f : fs) {
      w.add(f.get(2, TimeUnit.MINUTES));
    }
    return w;
  }

  /** Runs {@code work} on every rank at once; returns each rank's result, in rank order. */
  static <T> List<T> onAll(List<Collective> world, RankWork<T> work) throws Exception {
    List<Future<T>> fs = new ArrayList<>();
    for (Collective c : world) {
      fs.add(POOL.submit(() -> work.run(c)));
    }
    List<T> out = new ArrayList<>();
    for (Future<T> f : fs) {
      out.add(f.get(2, TimeUnit.MINUTES));
    }
    return out;
  }

  @AfterContainer
  static void closeWorlds() throws IOException {
    WORLDS.values().forEach(w -> w.forEach(Collective::close));
    WORLDS.clear();
    for (Path dir : FOLDERS) {
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
    FOLDERS.clear();
  }

  static FloatBuffer floats(float[] v) {
    FloatBuffer b =
        ByteBuffer.allocateDirect(4 * v.length).order(ByteOrder.nativeOrder()).asFloatBuffer();
    b.put(v).flip();
    return b;
  }

  static ShortBuffer shorts(short[] v) {
    ShortBuffer b =
        ByteBuffer.allocateDirect(2 * v.length).order(ByteOrder.nativeOrder()).asShortBuffer();
    b.put(v).flip();
    return b;
  }

  /** Values of many magnitudes, so that a different summation order gives different bits. */
  static float[][] values(int size, int n, long seed) {
    Random rnd = new Random(seed);
    float[][] x = new float[size][n];
    for (float[] row : x) {
      for (int i = 0; i < n; i++) {
        row[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(7) - 3));
      }
    }
    return x;
  }

  /** The documented order: chunk c of W is summed from rank c round the ring. */
  static int chunkOf(int i, int n, int size) {
    int c = 0;
    while ((long) (c + 1) * n / size <= i) {
      c++;
    }
    return c;
  }

  @Property(tries = 40)
  void allReduceSumGivesEveryRankTheBitsOfTheDocumentedSum(
      @ForAll @IntRange(min = 1, max = 4) int size,
      @ForAll @IntRange(min = 0, max = 3000) int n,
      @ForAll long seed)
      throws Exception {
    float[][] x = values(size, n, seed);
    List<float[]> got =
        onAll(
            world(size),
            c -> {
              FloatBuffer b = floats(x[c.rank()]);
              c.allReduceSum(b);
              float[] out = new float[n];
              b.get(0, out);
              return out;
            });
    float[] want = new float[n];
    for (int i = 0; i < n; i++) {
      int c = chunkOf(i, n, size);
      float acc = x[c][i];
      for (int k = 1; k < size; k++) {
        acc += x[(c + k) % size][i];
      }
      want[i] = acc;
    }
    for (int r = 0; r < size; r++) {
      assertArrayEquals(bits(want), bits(got.get(r)), "rank " + r + " of " + size + ", n " + n);
    }
  }

  /**
   * The in-place all-reduce of floats held in bytes: the window from position to limit of a larger
   * buffer ends with the bits of the documented sum, and the bytes around it are not touched.
   */
  @Property(tries = 30)
  void allReduceSumFloatsSumsTheWindowInPlaceAndLeavesTheRest(
      @ForAll @IntRange(min = 1, max = 4) int size,
      @ForAll @IntRange(min = 0, max = 3000) int n,
      @ForAll @IntRange(min = 0, max = 7) int before,
      @ForAll long seed)
      throws Exception {
    float[][] x = values(size, n, seed);
    int guard = 5;
    List<float[]> got =
        onAll(
            world(size),
            c -> {
              ByteBuffer b =
                  ByteBuffer.allocateDirect(4 * (before + n + guard))
                      .order(ByteOrder.nativeOrder());
              for (int i = 0; i < before + n + guard; i++) {
                b.putFloat(4 * i, -1.5f);
              }
              b.position(4 * before);
              b.asFloatBuffer().put(x[c.rank()]);
              long reduce = c.reduceNanos();
              c.allReduceSumFloats(b.duplicate().limit(4 * (before + n)));
              assertTrue(c.reduceNanos() >= reduce, "reduceNanos went down");
              float[] out = new float[before + n + guard];
              for (int i = 0; i < out.length; i++) {
                out[i] = b.getFloat(4 * i);
              }
              return out;
            });
    for (int r = 0; r < size; r++) {
      float[] all = got.get(r);
      for (int i = 0; i < n; i++) {
        int c = chunkOf(i, n, size);
        float acc = x[c][i];
        for (int k = 1; k < size; k++) {
          acc += x[(c + k) % size][i];
        }
        assertEquals(
            Float.floatToRawIntBits(acc),
            Float.floatToRawIntBits(all[before + i]),
            "rank " + r + " of " + size + ", element " + i + " of " + n);
      }
      for (int i = 0; i < before; i++) {
        assertEquals(-1.5f, all[i], "byte before the window changed, rank " + r);
      }
      for (int i = before + n; i < all.length; i++) {
        assertEquals(-1.5f, all[i], "byte after the window changed, rank " + r);
      }
    }
  }

  @Example
  void aWindowThatIsNotWholeFloatsIsRefused() throws Exception {
    Collective c = world(1).get(0);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                c.allReduceSumFloats(ByteBuffer.allocateDirect(6).order(ByteOrder.nativeOrder())));
    assertEquals("the buffer holds 6 bytes, not a whole number of floats", e.getMessage());
  }

  @Property(tries = 30)
  void bf16AllReduceRoundsEachPartialSumToNearestEven(
      @ForAll @IntRange(min = 1, max = 4) int size,
      @ForAll @IntRange(min = 0, max = 2000) int n,
      @ForAll long seed)
      throws Exception {
    float[][] x = values(size, n, seed);
    short[][] h = new short[size][n];
    for (int r = 0; r < size; r++) {
      for (int i = 0; i < n; i++) {
        h[r][i] = RingCollective.toBf16(x[r][i]);
      }
    }
    List<short[]> got =
        onAll(
            world(size),
            c -> {
              ShortBuffer b = shorts(h[c.rank()]);
              c.allReduceSumBf16(b);
              short[] out = new short[n];
              b.get(0, out);
              return out;
            });
    short[] want = new short[n];
    for (int i = 0; i < n; i++) {
      int c = chunkOf(i, n, size);
      float acc = bf16(h[c][i]);
      for (int k = 1; k < size; k++) {
        acc = bf16(roundToBf16Reference(acc + bf16(h[(c + k) % size][i])));
      }
      want[i] = roundToBf16Reference(acc);
    }
    for (int r = 0; r < size; r++) {
      assertArrayEquals(want, got.get(r), "rank " + r + " of " + size + ", n " + n);
    }
  }

  static float bf16(short h) {
    return Float.intBitsToFloat(h << 16);
  }

  /**
   * A scalar reference written differently from the implementation: the nearer of the two bfloat16
   * neighbours of {@code f}, the one with an even last bit on a tie.
   */
  static short roundToBf16Reference(float f) {
    if (Float.isNaN(f)) {
      return (short) ((Float.floatToRawIntBits(f) >>> 16) | 0x40);
    }
    int bits = Float.floatToRawIntBits(f);
    short down = (short) (bits >>> 16);
    short up = (short) (down + 1);
    int rest = bits & 0xffff;
    if (rest < 0x8000 || rest == 0x8000 && (down & 1) == 0) {
      return down;
    }
    return up;
  }

  @Property(tries = 2000)
  void bf16RoundingMatchesTheScalarReference(@ForAll float f) {
    assertEquals(roundToBf16Reference(f), RingCollective.toBf16(f), Float.toString(f));
  }

  @Example
  void bf16RoundingTiesGoToEvenAndNaNStaysNaN() {
    // 1 + 2^-8 lies halfway between 1 (even) and 1 + 2^-7: down; 1 + 3 * 2^-8: up to 1 + 2^-6
    assertEquals(1f, bf16(RingCollective.toBf16(1f + 0x1p-8f)));
    assertEquals(1f + 0x1p-6f, bf16(RingCollective.toBf16(1f + 3 * 0x1p-8f)));
    assertEquals(Float.POSITIVE_INFINITY, bf16(RingCollective.toBf16(Float.MAX_VALUE)));
    assertTrue(Float.isNaN(bf16(RingCollective.toBf16(Float.NaN))));
    assertEquals(
        3f, bf16(RingCollective.bf16Sum(RingCollective.toBf16(1f), RingCollective.toBf16(2f))));
  }

  @Property(tries = 20)
  void broadcastCopiesTheRootsBytesToEveryRank(
      @ForAll @IntRange(min = 1, max = 4) int size,
      @ForAll @IntRange(min = 0, max = 3) int rootPick,
      @ForAll @IntRange(min = 0, max = 100_000) int n,
      @ForAll long seed)
      throws Exception {
    int root = rootPick % size;
    byte[] sent = new byte[n];
    new Random(seed).nextBytes(sent);
    List<byte[]> got =
        onAll(
            world(size),
            c -> {
              ByteBuffer b = ByteBuffer.allocateDirect(n);
              if (c.rank() == root) {
                b.put(sent).flip();
              }
              c.broadcast(b, root);
              byte[] out = new byte[n];
              b.get(0, out);
              return out;
            });
    for (int r = 0; r < size; r++) {
      assertArrayEquals(sent, got.get(r), "rank " + r);
    }
  }

  @Example
  void largeBuffersAndABarrierOnThreeRanks() throws Exception {
    // more than the sockets' buffers hold, so that sending and receiving must overlap
    int n = 3_000_001;
    List<Boolean> ok =
        onAll(
            world(3),
            c -> {
              FloatBuffer b =
                  ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder()).asFloatBuffer();
              for (int i = 0; i < n; i++) {
                b.put(i, c.rank() + 1);
              }
              c.allReduceSum(b);
              c.barrier();
              for (int i = 0; i < n; i++) {
                if (b.get(i) != 6f) {
                  return false;
                }
              }
              return true;
            });
    assertEquals(List.of(true, true, true), ok);
  }

  @Example
  void threeRanksMeetThroughRankZerosTcpStore() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    List<Collective> w = connect("tcp://127.0.0.1:" + port, 3, 30_000);
    try {
      List<Float> sums =
          onAll(
              w,
              c -> {
                FloatBuffer b = floats(new float[] {c.rank(), 1});
                c.allReduceSum(b);
                return b.get(0) + b.get(1);
              });
      assertEquals(List.of(6f, 6f, 6f), sums);
    } finally {
      w.forEach(Collective::close);
    }
  }

  @Example
  void aSilentPeerTimesTheCallerOutNamingIt() throws Exception {
    List<Collective> w = connect("file:" + folder(), 2, 1500);
    try {
      CollectiveException e =
          assertThrows(
              CollectiveException.class, () -> w.get(0).allReduceSum(floats(new float[10])));
      assertEquals(
          "rank 0 of 2: all-reduce of 10 floats failed: rank 1 did not answer in time (nothing"
              + " moved for 1500 ms)",
          e.getMessage());
      assertEquals(1, e.peer().getAsInt());
      assertTrue(e.isTimeout());
      // after a failure, the collective refuses further use, saying why
      IllegalStateException again =
          assertThrows(IllegalStateException.class, () -> w.get(0).barrier());
      assertTrue(again.getMessage().contains("failed before"), again.getMessage());
    } finally {
      w.forEach(Collective::close);
    }
  }

  @Example
  void aClosedPeerStopsTheCallerNamingIt() throws Exception {
    List<Collective> w = connect("file:" + folder(), 3, 30_000);
    try {
      w.get(2).close();
      // rank 0 receives from rank 2
      CollectiveException e =
          assertThrows(CollectiveException.class, () -> w.get(0).broadcast(direct(5), 1));
      assertTrue(
          e.getMessage()
              .startsWith(
                  "rank 0 of 3: broadcast of 5 bytes from rank 1 failed: lost rank 2 (its"
                      + " connection closed: it stopped or died)"),
          e.getMessage());
      assertEquals(2, e.peer().getAsInt());
      // rank 1 hears of it through rank 0, which closed its connections when it failed
      CollectiveException e1 = assertThrows(CollectiveException.class, () -> w.get(1).barrier());
      assertTrue(e1.getMessage().startsWith("rank 1 of 3: barrier failed: "), e1.getMessage());
    } finally {
      w.forEach(Collective::close);
    }
  }

  @Example
  void ranksCallingDifferentCollectivesAreToldWhich() throws Exception {
    List<Collective> w = connect("file:" + folder(), 2, 30_000);
    try {
      List<String> errors =
          onAll(
              w,
              c -> {
                try {
                  c.allReduceSum(floats(new float[10 + c.rank()]));
                  return "";
                } catch (CollectiveException e) {
                  return e.getMessage();
                }
              });
      assertTrue(
          errors
              .get(0)
              .startsWith(
                  "rank 0 of 2: all-reduce of 10 floats failed: rank 1 called all-reduce of 11:"),
          errors.get(0));
    } finally {
      w.forEach(Collective::close);
    }
  }

  @Example
  void aRankAloneTimesOutInTheRendezvousNamingWhoIsMissing() throws Exception {
    CollectiveException e =
        assertThrows(
            CollectiveException.class,
            () ->
                RingCollective.connect(
                    "file:" + folder(), 0, 2, "127.0.0.1", Duration.ofMillis(500)));
    assertEquals(
        "rank 0 of 2: rendezvous timed out after 500 ms: rank 1 did not join", e.getMessage());
  }

  @Example
  void aWorldOfOneNeedsNoRendezvous() {
    try (Collective c =
        RingCollective.connect("file:/nonexistent/never", 0, 1, "", Duration.ofSeconds(1))) {
      FloatBuffer b = floats(new float[] {1.5f});
      c.allReduceSum(b);
      c.barrier();
      assertEquals(1.5f, b.get(0));
    }
  }

  @Example
  void theDefaultIsTheJavaCollectiveAndAnUnknownChoiceIsOneLine() {
    String before = System.getProperty(Collectives.PROPERTY);
    try {
      System.clearProperty(Collectives.PROPERTY);
      assertEquals("java", Collectives.chosen());
      System.setProperty(Collectives.PROPERTY, "mpi");
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, Collectives::chosen);
      assertEquals(
          "system property saim.collective is 'mpi': use java (the default, nothing to install)"
              + " or gloo (needs libgloo0)",
          e.getMessage());
    } finally {
      if (before == null) {
        System.clearProperty(Collectives.PROPERTY);
      } else {
        System.setProperty(Collectives.PROPERTY, before);
      }
    }
  }

  static ByteBuffer direct(int n) {
    return ByteBuffer.allocateDirect(n);
  }

  static int[] bits(float[] v) {
    int[] b = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = Float.floatToRawIntBits(v[i]);
    }
    return b;
  }
}
