package io.github.saimjava.benchmarks.reproduce;

import com.google.gson.JsonObject;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimLinearProbe;
import java.util.List;
import java.util.Locale;

/**
 * What a reproduction runs: one architecture and one pre-training budget for every variant, the
 * seeds, and the evaluation protocol. Immutable; start from {@link #fmnistSmall()} or {@link
 * #quick()} and change it with the {@code with...} methods.
 *
 * @param name the table's name, also its file name
 * @param config the architecture and objective (variants change only the ablated part)
 * @param trainImages the first this many Fashion-MNIST training images pre-train and train the
 *     probe
 * @param testImages at most this many test images are evaluated (0: all of them)
 * @param epochs pre-training epochs
 * @param batchSize pre-training batch
 * @param lr absolute peak learning rate of AdamW
 * @param warmupEpochs linear warm-up, then a half-cycle cosine to 0
 * @param weightDecay AdamW weight decay
 * @param seeds one encoder per variant and seed (the seed of initialisation, data order, flips and
 *     orders)
 * @param variants the encoders compared
 * @param probe the linear probe's settings (its seed is the encoder's seed)
 * @param fineTune the short fine-tune's settings; 0 epochs for none
 * @param threads engine threads
 */
public record Plan(
    String name,
    SaimConfig config,
    int trainImages,
    int testImages,
    int epochs,
    int batchSize,
    double lr,
    double warmupEpochs,
    double weightDecay,
    List<Long> seeds,
    List<Variant> variants,
    SaimLinearProbe.Spec probe,
    FineTune fineTune,
    int threads) {

  /**
   * The short fine-tune of every encoder (the paper's protocol, shortened: {@code SaimFineTuner}'s
   * settings with global pooling, AdamW, layer-wise lr decay, drop-path, label smoothing, a linear
   * warm-up then cosine; no mixup, CutMix or random erasing at this length), on the same training
   * images, flips only.
   *
   * @param epochs fine-tuning epochs, 0 for no fine-tune column
   * @param batchSize images per step
   * @param blr base learning rate: lr = blr * batch / 256
   * @param warmupEpochs linear warm-up
   * @param layerDecay layer-wise learning-rate decay
   * @param dropPath stochastic-depth rate of the last block
   * @param smoothing label smoothing
   */
  public record FineTune(
      int epochs,
      int batchSize,
      double blr,
      double warmupEpochs,
      double layerDecay,
      double dropPath,
      double smoothing) {
    /**
     * Validates.
     *
     * @throws IllegalArgumentException naming the first invalid value
     */
    public FineTune {
      check(epochs >= 0, "fine-tune epochs (%s) must be 0 (none) or positive", epochs);
      check(batchSize > 0, "fine-tune batch (%s) must be positive", batchSize);
      check(blr > 0, "fine-tune blr (%s) must be positive", blr);
      check(
          warmupEpochs >= 0 && warmupEpochs <= Math.max(epochs, 0),
          "fine-tune warm-up (%s) must be in [0, %s]",
          warmupEpochs,
          epochs);
    }

    /** Whether there is a fine-tune column. */
    public boolean enabled() {
      return epochs > 0;
    }

    /** These settings with another number of epochs (the warm-up is capped by it). */
    public FineTune withEpochs(int v) {
      return new FineTune(
          v, batchSize, blr, Math.min(warmupEpochs, v), layerDecay, dropPath, smoothing);
    }
  }

  /** The largest training subset: the embedded data holds the first 10,000 training images. */
  public static final int MAX_TRAIN_IMAGES = 10_000;

  /**
   * Validates.
   *
   * @throws IllegalArgumentException naming the first invalid value
   */
  public Plan {
    seeds = List.copyOf(seeds);
    variants = List.copyOf(variants);
    check(
        !name.isBlank() && name.matches("[A-Za-z0-9._-]+"),
        "table name '%s' must be a plain file name",
        name);
    check(
        trainImages > 0 && trainImages <= MAX_TRAIN_IMAGES,
        "training images (%s) must be in 1..%s",
        trainImages,
        MAX_TRAIN_IMAGES);
    check(testImages >= 0, "test images (%s) must be 0 (all) or positive", testImages);
    check(epochs > 0, "epochs (%s) must be positive", epochs);
    check(
        batchSize > 0 && batchSize <= trainImages,
        "batch size (%s) must be in 1..%s (the training images)",
        batchSize,
        trainImages);
    check(lr > 0, "learning rate (%s) must be positive", lr);
    check(
        warmupEpochs >= 0 && warmupEpochs <= epochs,
        "warm-up epochs (%s) must be in [0, %s]",
        warmupEpochs,
        epochs);
    check(weightDecay >= 0, "weight decay (%s) must be non-negative", weightDecay);
    check(!seeds.isEmpty(), "at least one seed is needed");
    check(seeds.stream().distinct().count() == seeds.size(), "seeds %s repeat a seed", seeds);
    check(seeds.stream().allMatch(s -> s >= 0), "seeds %s must be non-negative", seeds);
    check(!variants.isEmpty(), "at least one variant is needed");
    check(
        variants.stream().distinct().count() == variants.size(),
        "variants %s repeat a variant",
        variants);
    check(threads > 0, "threads (%s) must be positive", threads);
  }

  /**
   * The reference configuration "fmnist-small" of issue #8: the first 10k training images padded 28
   * to 32 px, 3 channels, patch 4, width 128, depth 6, 4 heads, query depth 6, MLP head, blur 3 /
   * sigma 1, norm-pix L2 loss, batch 128, 8 epochs, AdamW lr 3e-4, weight decay 0.05, 1 warm-up
   * epoch then cosine, flips only; random init, raster and stochastic order with seeds 0 and 1; the
   * linear probe for 90 epochs (the paper's) at batch 256; a 2-epoch fine-tune at batch 128; all
   * test images.
   */
  public static Plan fmnistSmall() {
    SaimConfig c = SaimConfig.fmnistSmall();
    return new Plan(
        "fmnist-small",
        c,
        MAX_TRAIN_IMAGES,
        0,
        8,
        128,
        3e-4,
        1,
        0.05,
        List.of(0L, 1L),
        List.of(Variant.RANDOM, Variant.RASTER, Variant.STOCHASTIC),
        probeSettings(90, 256),
        new FineTune(2, 128, 1e-3, 0.25, 0.75, 0.1, 0.1),
        2);
  }

  /**
   * A smoke-test budget of about a minute: 256 training and 200 test images, a width-32 depth-2
   * network, one epoch, one seed, a 30-epoch probe, a one-epoch fine-tune. Its numbers mean nothing
   * about the method.
   */
  public static Plan quick() {
    SaimConfig c =
        SaimConfig.builder()
            .imageSize(32)
            .channels(3)
            .patchSize(8)
            .width(32)
            .depth(2)
            .heads(2)
            .queryDepth(2)
            .blur(3, 1.0)
            .build();
    return new Plan(
        "fmnist-small-quick",
        c,
        256,
        200,
        1,
        32,
        3e-4,
        0,
        0.05,
        List.of(0L),
        List.of(Variant.RANDOM, Variant.RASTER, Variant.STOCHASTIC),
        probeSettings(30, 64),
        new FineTune(1, 32, 1e-3, 0, 0.75, 0.1, 0.1),
        2);
  }

  /**
   * The probe of the table: the paper's (BatchNorm without affine, LARS, cosine, no warm-up, no
   * weight decay) with base learning rate 6.4, the value the project's zoo card uses for these
   * small features (the paper's 0.1 is for a batch of 16,384 ImageNet images).
   */
  static SaimLinearProbe.Spec probeSettings(int epochs, int batch) {
    return SaimLinearProbe.builder().epochs(epochs).batchSize(batch).blr(6.4).build().spec();
  }

  /** {@return the probe with another seed} */
  static SaimLinearProbe probe(SaimLinearProbe.Spec probe, long seed) {
    return SaimLinearProbe.builder()
        .epochs(probe.epochs())
        .batchSize(probe.batchSize())
        .blrs(probe.blrs().stream().mapToDouble(Double::doubleValue).toArray())
        .weightDecay(probe.weightDecay())
        .warmupEpochs(probe.warmupEpochs())
        .heldOutFraction(probe.heldOutFraction())
        .seed(seed)
        .build();
  }

  /**
   * The probe's settings as the reports and the result caches have always recorded them (one base
   * rate; the keys and their order are those of the probe settings before the API's spec).
   */
  static JsonObject probeJson(SaimLinearProbe.Spec probe) {
    JsonObject o = new JsonObject();
    o.addProperty("epochs", probe.epochs());
    o.addProperty("batchSize", probe.batchSize());
    o.addProperty("blr", probe.blrs().get(0));
    o.addProperty("weightDecay", probe.weightDecay());
    o.addProperty("warmupEpochs", probe.warmupEpochs());
    o.addProperty("seed", probe.seed());
    return o;
  }

  /** This plan with another number of pre-training epochs (the warm-up is capped by it). */
  public Plan withEpochs(int v) {
    return new Plan(
        name,
        config,
        trainImages,
        testImages,
        v,
        batchSize,
        lr,
        Math.min(warmupEpochs, v),
        weightDecay,
        seeds,
        variants,
        probe,
        fineTune,
        threads);
  }

  /** This plan with other seeds. */
  public Plan withSeeds(List<Long> v) {
    return new Plan(
        name,
        config,
        trainImages,
        testImages,
        epochs,
        batchSize,
        lr,
        warmupEpochs,
        weightDecay,
        v,
        variants,
        probe,
        fineTune,
        threads);
  }

  /** This plan with other variants. */
  public Plan withVariants(List<Variant> v) {
    return new Plan(
        name,
        config,
        trainImages,
        testImages,
        epochs,
        batchSize,
        lr,
        warmupEpochs,
        weightDecay,
        seeds,
        v,
        probe,
        fineTune,
        threads);
  }

  /** This plan with another number of fine-tuning epochs (0: no fine-tune column). */
  public Plan withFineTuneEpochs(int v) {
    return new Plan(
        name,
        config,
        trainImages,
        testImages,
        epochs,
        batchSize,
        lr,
        warmupEpochs,
        weightDecay,
        seeds,
        variants,
        probe,
        fineTune.withEpochs(v),
        threads);
  }

  /**
   * This plan with another number of engine threads (results change only by floating-point
   * rounding).
   */
  public Plan withThreads(int v) {
    return new Plan(
        name,
        config,
        trainImages,
        testImages,
        epochs,
        batchSize,
        lr,
        warmupEpochs,
        weightDecay,
        seeds,
        variants,
        probe,
        fineTune,
        v);
  }

  /** One line describing the pre-training budget, for the table. */
  String describeBudget() {
    return String.format(
        Locale.ROOT,
        "first %,d training images, %d epochs, batch %d, AdamW (0.9, 0.95) lr %s absolute, weight"
            + " decay %s, %s warm-up epoch(s) then cosine to 0, horizontal flips only",
        trainImages,
        epochs,
        batchSize,
        lr,
        weightDecay,
        fmt(warmupEpochs));
  }

  private static String fmt(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }

  private static void check(boolean ok, String message, Object... args) {
    if (!ok) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, message, args));
    }
  }
}
