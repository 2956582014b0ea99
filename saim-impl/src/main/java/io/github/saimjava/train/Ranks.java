package io.github.saimjava.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import io.github.saimjava.api.Distributed;
import io.github.saimjava.api.SaimTrainer;
import io.github.saimjava.distributed.Collective;
import io.github.saimjava.distributed.Collectives;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The processes of a data-parallel run ({@link SaimTrainer.Spec#distributed()}), seen from the
 * training loop: one rank alone does nothing here. With several, every rank trains the same model
 * on its part of each global micro-batch; after the local {@link DataParallel} step has combined
 * the gradients of this process's devices, {@link #averageGradients} replaces them by their mean
 * over the ranks (one all-reduce of all gradients), so clipping and AdamW see what one process with
 * the whole batch would have computed, and the weights stay identical on all ranks. Rank 0 alone
 * reads the checkpoint to resume from and sends it to the others ({@link #shareCheckpoint}), and
 * alone writes the output folder ({@link #writes()}). The copy another rank receives lives in the
 * temporary folder under a name holding its process id: deleted on close and on exit, and swept by
 * the next rank that starts there once that process is gone.
 */
final class Ranks implements AutoCloseable {
  /** Bytes of a checkpoint sent per broadcast. */
  private static final int CHUNK = 64 << 20;

  /** How the names of the checkpoint copies a rank receives start. */
  static final String RECEIVED_PREFIX = "saim-rank";

  /** A received copy's name: the rank, the receiving process's id, a random part. */
  private static final Pattern RECEIVED =
      Pattern.compile("saim-rank[0-9]+-checkpoint-pid([0-9]{1,18})-[0-9]+\\.safetensors");

  private final @Nullable Collective collective;
  private final int rank;
  private final int size;
  private @Nullable ByteBuffer flat;
  private final AllReduceProfile profile = new AllReduceProfile();
  private @Nullable Path received;

  Ranks(@Nullable Collective collective) {
    this.collective = collective;
    this.rank = collective == null ? 0 : collective.rank();
    this.size = collective == null ? 1 : collective.worldSize();
  }

  /**
   * Connects to the other ranks of {@code t}, or stands alone.
   *
   * @throws IllegalStateException when Gloo is asked for ({@code -Dsaim.collective=gloo}) but does
   *     not load (why)
   * @throws io.github.saimjava.distributed.CollectiveException when the others do not arrive in
   *     time
   */
  static Ranks open(SaimTrainer.Spec t) {
    Distributed d = t.distributed();
    if (d == null || d.worldSize() == 1) {
      return new Ranks(null);
    }
    return new Ranks(
        Collectives.connect(d.rendezvous(), d.rank(), d.worldSize(), d.host(), d.timeout()));
  }

  int rank() {
    return rank;
  }

  int size() {
    return size;
  }

  /** Whether this rank writes the output folder (rank 0). */
  boolean writes() {
    return rank == 0;
  }

  /**
   * Checks that every rank was launched with the same {@code settings} ({@link WorldAgreement});
   * alone, nothing to check.
   *
   * @throws IllegalArgumentException on every rank, naming the first differing setting and both
   *     values
   */
  void agree(JsonObject settings) {
    if (collective != null) {
      WorldAgreement.check(collective, settings);
    }
  }

  /**
   * The sum of {@code value} over the ranks (a count such as the skipped images), exact for
   * non-negative values and up to 65,793 ranks: eight 8-bit limbs summed in float32.
   */
  long sum(long value) {
    if (collective == null) {
      return value;
    }
    FloatBuffer limbs =
        ByteBuffer.allocateDirect(8 * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    for (int i = 0; i < 8; i++) {
      limbs.put(i, (value >>> (8 * i)) & 0xff);
    }
    collective.allReduceSum(limbs);
    long total = 0;
    for (int i = 0; i < 8; i++) {
      total += (long) limbs.get(i) << (8 * i);
    }
    return total;
  }

  /**
   * Replaces every gradient by its mean over the ranks, and returns the mean of {@code loss}.
   * Gradients are taken in the map's order (the same on every rank: the same model).
   *
   * <p>The exchange, timed part by part into {@link #profile()}: each gradient is copied from the
   * engine's memory straight into one direct buffer reused from step to step (<em>copy out</em>); a
   * barrier waits for the slowest rank (<em>wait</em>); the collective sums the buffer in place
   * (<em>wire</em>: sending and receiving, and <em>reduce</em>: the additions, where the collective
   * can tell them apart); each sum is copied straight back into the gradient's memory and divided
   * there by the number of ranks (<em>copy in</em>). A gradient whose memory cannot be written
   * through a buffer (not contiguous, not float32, not in host memory) is copied through an array
   * instead.
   */
  double averageGradients(Map<String, NDArray> params, double loss) {
    if (collective == null) {
      return loss;
    }
    long start = System.nanoTime();
    try (NoGrad ng = NoGrad.enter()) {
      List<Grad> grads = new ArrayList<>();
      long total = 1;
      for (NDArray p : params.values()) {
        if (p.hasGradient()) {
          NDArray g = p.getGradient();
          grads.add(new Grad(g, total - 1));
          total += g.size();
        }
      }
      if (total > Integer.MAX_VALUE / Float.BYTES) {
        throw new IllegalStateException(total + " gradient values do not fit one buffer");
      }
      int bytes = (int) total * Float.BYTES;
      ByteBuffer buf = flat;
      if (buf == null || buf.capacity() < bytes) {
        buf = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
        flat = buf;
      }
      for (Grad g : grads) {
        g.copyOut(buf);
      }
      buf.putFloat(bytes - Float.BYTES, (float) loss);
      long copied = System.nanoTime();
      collective.barrier();
      long met = System.nanoTime();
      long reduceBefore = collective.reduceNanos();
      collective.allReduceSumFloats(buf.duplicate().position(0).limit(bytes));
      long summed = System.nanoTime();
      long reduce = Math.max(0, collective.reduceNanos() - reduceBefore);
      float inv = 1f / size;
      for (Grad g : grads) {
        g.copyIn(buf, inv);
      }
      long end = System.nanoTime();
      profile.add(
          end - start, copied - start, met - copied, summed - met - reduce, reduce, end - summed);
      return buf.getFloat(bytes - Float.BYTES) / size;
    }
  }

  /**
   * The all-reduce's time per step, split by part, since the last {@link AllReduceProfile#take()};
   * empty with one rank.
   */
  AllReduceProfile profile() {
    return profile;
  }

  /** One gradient of the exchange, and where its values lie in the buffer. */
  private static final class Grad {
    private final NDArray grad;
    private final int at;
    private final int count;
    private @Nullable ByteBuffer memory;

    Grad(NDArray grad, long at) {
      this.grad = grad;
      this.at = (int) at * Float.BYTES;
      this.count = (int) grad.size();
    }

    /** Copies the gradient's values to {@code buf} at {@link #at}. */
    void copyOut(ByteBuffer buf) {
      if (grad.getDataType() == DataType.FLOAT32) {
        ByteBuffer view = grad.toByteBuffer(true).order(ByteOrder.nativeOrder());
        buf.put(at, view, 0, count * Float.BYTES);
        memory = writesThrough(grad, view) ? view : null;
      } else {
        buf.asFloatBuffer()
            .put(at / Float.BYTES, grad.toType(DataType.FLOAT32, false).toFloatArray());
      }
    }

    /** Writes {@code buf}'s sum at {@link #at}, times {@code inv}, into the gradient. */
    void copyIn(ByteBuffer buf, float inv) {
      ByteBuffer m = memory;
      if (m != null) {
        m.put(0, buf, at, count * Float.BYTES);
        grad.muli(inv);
      } else {
        float[] v = new float[count];
        buf.asFloatBuffer().get(at / Float.BYTES, v);
        for (int i = 0; i < v.length; i++) {
          v[i] *= inv;
        }
        try (NDArray mean = grad.getManager().create(v, grad.getShape())) {
          grad.set(new NDIndex("..."), mean.toType(grad.getDataType(), false));
        }
      }
      grad.close();
    }
  }

  /**
   * Whether {@code view} (from {@link NDArray#toByteBuffer(boolean)}) is the array's own memory
   * rather than a contiguous copy of it: a bit flipped through it must show in a second view.
   */
  static boolean writesThrough(NDArray a, ByteBuffer view) {
    if (view.capacity() < Integer.BYTES) {
      return view.capacity() == 0;
    }
    int bits = view.getInt(0);
    view.putInt(0, bits ^ 1);
    boolean shared = a.toByteBuffer(true).order(ByteOrder.nativeOrder()).getInt(0) == (bits ^ 1);
    view.putInt(0, bits);
    return shared;
  }

  /**
   * The checkpoint every rank resumes from: rank 0's {@code found} (null: start afresh) is sent to
   * the other ranks, which get it as a temporary file (deleted on {@link #close()}); other ranks
   * pass null.
   */
  @Nullable Path shareCheckpoint(@Nullable Path found) throws IOException {
    if (collective == null) {
      return found;
    }
    ByteBuffer length = ByteBuffer.allocateDirect(Long.BYTES);
    if (rank == 0) {
      length.putLong(0, found == null ? 0 : Files.size(found));
    }
    collective.broadcast(length, 0);
    long n = length.getLong(0);
    if (n == 0) {
      return null;
    }
    ByteBuffer chunk = ByteBuffer.allocateDirect((int) Math.min(CHUNK, n));
    byte[] bytes = new byte[chunk.capacity()];
    if (rank == 0) {
      try (InputStream in = Files.newInputStream(found)) {
        for (long sent = 0; sent < n; ) {
          int k = (int) Math.min(bytes.length, n - sent);
          in.readNBytes(bytes, 0, k);
          chunk.clear();
          chunk.put(bytes, 0, k).flip();
          collective.broadcast(chunk, 0);
          sent += k;
        }
      }
      return found;
    }
    Path folder = Path.of(System.getProperty("java.io.tmpdir"));
    sweepReceived(folder);
    received =
        Files.createTempFile(
            folder,
            RECEIVED_PREFIX + rank + "-checkpoint-pid" + ProcessHandle.current().pid() + "-",
            ".safetensors");
    // removed on close(), on any exit the JVM survives, and by the next start after a kill
    received.toFile().deleteOnExit();
    try (OutputStream out = Files.newOutputStream(received)) {
      for (long got = 0; got < n; ) {
        int k = (int) Math.min(bytes.length, n - got);
        chunk.clear().limit(k);
        collective.broadcast(chunk, 0);
        chunk.get(0, bytes, 0, k);
        out.write(bytes, 0, k);
        got += k;
      }
    }
    return received;
  }

  /**
   * Deletes the checkpoint copies in {@code folder} that ranks which are gone received (a rank
   * killed outright cannot delete its own); returns how many.
   */
  static int sweepReceived(Path folder) throws IOException {
    int n = 0;
    try (DirectoryStream<Path> s = Files.newDirectoryStream(folder, RECEIVED_PREFIX + "*")) {
      for (Path p : s) {
        Matcher m = RECEIVED.matcher(p.getFileName().toString());
        if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
          n += Files.deleteIfExists(p) ? 1 : 0;
        }
      }
    }
    return n;
  }

  @Override
  public void close() throws IOException {
    if (collective != null) {
      collective.close();
    }
    if (received != null) {
      Files.deleteIfExists(received);
    }
  }
}
