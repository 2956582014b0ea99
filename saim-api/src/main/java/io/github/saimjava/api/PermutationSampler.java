package io.github.saimjava.api;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Draws the order in which SAIM predicts patches, and builds the content and query masks of that
 * order on the engine's device.
 *
 * <ul>
 *   <li>{@link Builder#stochastic(long)}: the paper's method. Each image gets its own noise {@code
 *       u ~ U[0,1)^L}, a pure function of the seed and the image's key, so a run is reproducible
 *       whatever the batch size or thread count.
 *   <li>{@link Builder#raster()}: the iGPT-style baseline, {@code u_k = k / L} for every image.
 *   <li>{@link Builder#given(int[]...)}: caller-given orders, used in turn; image {@code i} of the
 *       stream (or with key {@code i}) follows order {@code i mod M}.
 * </ul>
 *
 * <p>Thread-safe: {@link #sample(NDManager, int)} advances an atomic position.
 */
public final class PermutationSampler {
  /** The kind of prediction order a sampler produces. */
  public enum Kind {
    /** Independent uniform random orders per image (the paper). */
    STOCHASTIC,
    /** Row-major patch order for every image. */
    RASTER,
    /** Orders supplied by the caller. */
    GIVEN
  }

  private final int numPatches;
  private final Kind kind;
  private final long seed;
  private final int[][] orders;
  private final AtomicLong position;

  private PermutationSampler(Builder b) {
    this.numPatches = b.numPatches;
    this.kind = b.kind;
    this.seed = b.seed;
    this.orders = b.orders;
    this.position = new AtomicLong(b.start);
  }

  /**
   * A builder for {@code numPatches} patches per image (stochastic with seed 0 unless told
   * otherwise).
   *
   * @param numPatches patches per image, L (positive)
   * @return a new builder
   */
  public static Builder builder(int numPatches) {
    return new Builder(numPatches);
  }

  /** {@return how orders are drawn: stochastic, raster or given} */
  public Kind kind() {
    return kind;
  }

  /** {@return the number of patches per image, L} */
  public int numPatches() {
    return numPatches;
  }

  /** {@return the seed of stochastic orders (0 for the other kinds unless set)} */
  public long seed() {
    return seed;
  }

  /**
   * {@return how many images {@link #sample(NDManager, int)} has drawn so far (the next image's
   * key)}
   */
  public long position() {
    return position.get();
  }

  /**
   * Sets the next image's key, e.g. to resume a run.
   *
   * @param newPosition the key of the next image {@link #sample(NDManager, int)} draws
   *     (non-negative)
   */
  public void seek(long newPosition) {
    Checks.check(newPosition >= 0, "position (%s) must be non-negative", newPosition);
    position.set(newPosition);
  }

  /**
   * The noise {@code u} of the image with key {@code imageKey}: L distinct floats in [0, 1).
   *
   * @param imageKey the image's key (its position in the stream, or a dataset index)
   * @return the L values; patch {@code k} is predicted in ascending {@code u[k]}
   */
  public float[] noise(long imageKey) {
    float[] u = new float[numPatches];
    switch (kind) {
      case STOCHASTIC -> {
        SplittableRandom r = new SplittableRandom(mix(seed, imageKey));
        for (int k = 0; k < numPatches; k++) {
          u[k] = (r.nextInt() >>> 8) * 0x1.0p-24f;
        }
        breakTies(u, r);
      }
      case RASTER -> {
        for (int k = 0; k < numPatches; k++) {
          u[k] = (float) k / numPatches;
        }
      }
      case GIVEN -> {
        int[] o = orders[(int) Math.floorMod(imageKey, (long) orders.length)];
        for (int t = 0; t < numPatches; t++) {
          u[o[t]] = (float) t / numPatches;
        }
      }
    }
    return u;
  }

  /**
   * Floats in [0, 1) with 24 random bits tie with probability about L^2 / 2^25 (1 in 800 images at
   * L = 196), and a tie would let two patches see each other. Tied values after the first are drawn
   * again from the same stream until all are distinct, so every order is strict and still a pure
   * function of the seed and the key.
   */
  private static void breakTies(float[] u, SplittableRandom r) {
    Set<Float> seen = new HashSet<>();
    for (int k = 0; k < u.length; k++) {
      while (!seen.add(u[k])) {
        u[k] = (r.nextInt() >>> 8) * 0x1.0p-24f;
      }
    }
  }

  /**
   * Samples the next {@code batchSize} images of the stream, on {@code manager}'s device.
   *
   * @param manager where the arrays are created; the result owns a sub-manager of it
   * @param batchSize images to draw (positive)
   * @return their orders and masks; close it to free them
   */
  public Permutation sample(NDManager manager, int batchSize) {
    Checks.check(batchSize > 0, "batch size (%s) must be positive", batchSize);
    long first = position.getAndAdd(batchSize);
    long[] keys = new long[batchSize];
    for (int i = 0; i < batchSize; i++) {
      keys[i] = first + i;
    }
    return sample(manager, keys);
  }

  /**
   * Samples the orders of the images with the given keys (e.g. their dataset indices), in that
   * order.
   *
   * @param manager where the arrays are created; the result owns a sub-manager of it
   * @param imageKeys one key per image (at least one)
   * @return their orders and masks; close it to free them
   */
  public Permutation sample(NDManager manager, long... imageKeys) {
    Checks.check(imageKeys.length > 0, "at least one image key is needed");
    float[] all = new float[imageKeys.length * numPatches];
    for (int i = 0; i < imageKeys.length; i++) {
      System.arraycopy(noise(imageKeys[i]), 0, all, i * numPatches, numPatches);
    }
    NDManager owner = manager.newSubManager();
    try {
      NDArray u = owner.create(all, new Shape(imageKeys.length, numPatches));
      return fromNoise(owner, u);
    } catch (RuntimeException e) {
      owner.close();
      throw e;
    }
  }

  /**
   * The permutation defined by explicit noise {@code u} ({@code N x L}), exactly as the reference
   * computes its masks from its own noise. The result owns copies; {@code noise} is not consumed.
   *
   * @param noise {@code N x L} values, ranked per row to give each image's order
   * @return the orders and masks; close it to free them
   */
  public static Permutation fromNoise(NDArray noise) {
    Shape s = noise.getShape();
    Checks.check(
        s.dimension() == 2 && s.get(0) > 0 && s.get(1) > 0,
        "noise must have shape N x L, got %s",
        s);
    NDManager owner = noise.getManager().newSubManager();
    try {
      return fromNoise(owner, noise.toType(DataType.FLOAT32, true));
    } catch (RuntimeException e) {
      owner.close();
      throw e;
    }
  }

  private static Permutation fromNoise(NDManager owner, NDArray u) {
    u.attach(owner);
    long n = u.getShape().get(0);
    long l = u.getShape().get(1);
    NDArray order;
    NDArray content;
    NDArray query;
    try (NDManager tmp = owner.newSubManager()) {
      NDArray ui = u.expandDims(2); // N x L x 1: row i
      NDArray uj = u.expandDims(1); // N x 1 x L: column j
      ui.attach(tmp);
      uj.attach(tmp);
      NDArray negInf = tmp.full(new Shape(n, l, l), Float.NEGATIVE_INFINITY);
      NDArray zeros = tmp.zeros(new Shape(n, l, l));
      NDArray top = tmp.full(new Shape(n, 1, l), Float.NEGATIVE_INFINITY);
      NDArray left = tmp.zeros(new Shape(n, l + 1, 1));
      content = pad(NDArrays.where(ui.lt(uj), negInf, zeros), top, left);
      query = pad(NDArrays.where(ui.lte(uj), negInf, zeros), top, left);
      order = u.argSort(1);
      content.attach(owner);
      query.attach(owner);
      order.attach(owner);
    }
    return new Permutation(owner, u, order, content, query);
  }

  /**
   * Adds the class-token row (sees only column 0) and column (seen by everyone): N x 1 x (L+1) x
   * (L+1).
   */
  private static NDArray pad(NDArray patchMask, NDArray top, NDArray left) {
    return left.concat(top.concat(patchMask, 1), 2).expandDims(1);
  }

  private static long mix(long seed, long key) {
    long z = seed * 0x9E3779B97F4A7C15L + key;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Builds a {@link PermutationSampler}. */
  public static final class Builder {
    private final int numPatches;
    private Kind kind = Kind.STOCHASTIC;
    private long seed;
    private int[][] orders = new int[0][];
    private long start;

    private Builder(int numPatches) {
      Checks.check(numPatches > 0, "number of patches (%s) must be positive", numPatches);
      this.numPatches = numPatches;
    }

    /**
     * Independent random orders per image, reproducible from {@code seed}.
     *
     * @param seed the seed; an image's order is a pure function of it and the image's key
     * @return this builder
     */
    public Builder stochastic(long seed) {
      this.kind = Kind.STOCHASTIC;
      this.seed = seed;
      return this;
    }

    /**
     * Row-major order for every image.
     *
     * @return this builder
     */
    public Builder raster() {
      this.kind = Kind.RASTER;
      return this;
    }

    /**
     * The order of {@code kind}: {@link #stochastic(long)} with {@code seed}, or {@link #raster()}
     * (which ignores the seed), as pre-training's {@code order} setting chooses.
     *
     * @param kind {@link Kind#STOCHASTIC} or {@link Kind#RASTER}
     * @param seed the seed of stochastic orders
     * @return this builder
     * @throws IllegalArgumentException for {@link Kind#GIVEN}, whose orders only {@link
     *     #given(int[]...)} can supply
     */
    public Builder order(Kind kind, long seed) {
      Checks.check(
          kind != Kind.GIVEN, "order %s needs the orders themselves: use given(int[]...)", kind);
      return kind == Kind.RASTER ? raster() : stochastic(seed);
    }

    /**
     * Caller-given orders: each a permutation of {@code 0..L-1} listing patches in prediction
     * order.
     *
     * @param orders one or more orders; image {@code key} takes order {@code key mod orders.length}
     * @return this builder
     * @throws IllegalArgumentException naming the order and the patch at fault
     */
    public Builder given(int[]... orders) {
      Checks.check(orders.length > 0, "at least one order is needed");
      int[][] copy = new int[orders.length][];
      for (int i = 0; i < orders.length; i++) {
        copy[i] = checkPermutation(i, orders[i]);
      }
      this.kind = Kind.GIVEN;
      this.orders = copy;
      return this;
    }

    /**
     * The key of the first image {@link #sample(NDManager, int)} draws (default 0).
     *
     * @param position the first key (non-negative)
     * @return this builder
     */
    public Builder startAt(long position) {
      Checks.check(position >= 0, "position (%s) must be non-negative", position);
      this.start = position;
      return this;
    }

    /** {@return the sampler} */
    public PermutationSampler build() {
      return new PermutationSampler(this);
    }

    private int[] checkPermutation(int index, int[] order) {
      Checks.check(
          order.length == numPatches,
          "order %s has %s entries, expected %s (one per patch)",
          index,
          order.length,
          numPatches);
      boolean[] seen = new boolean[numPatches];
      for (int p : order) {
        Checks.check(
            p >= 0 && p < numPatches,
            "order %s is not a permutation: patch %s is outside 0..%s",
            index,
            p,
            numPatches - 1);
        Checks.check(
            !seen[p],
            "order %s is not a permutation: patch %s appears twice (%s)",
            index,
            p,
            Arrays.toString(order));
        seen[p] = true;
      }
      return order.clone();
    }
  }
}
