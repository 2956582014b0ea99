package io.github.saimjava.downstream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import io.github.saimjava.api.HeadType;
import io.github.saimjava.api.Precision;
import io.github.saimjava.api.SaimClassifier.Head;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.model.FrozenEncoder;
import io.github.saimjava.model.LoadReport;
import io.github.saimjava.model.SaimModel;
import io.github.saimjava.model.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;

/**
 * The classifier of the reference's {@code models_vit.VisionTransformer}, for fine-tuning,
 * evaluation and inference: the SAIM encoder without masks (stochastic depth rising linearly over
 * the blocks), then one of the reference's heads ({@link Head}):
 *
 * <ul>
 *   <li>{@link Head#GLOBAL_POOL}: the mean of the patch tokens through its own LayerNorm {@code
 *       fc_norm} (the final {@code norm} is not part of the model), then a linear {@code head};
 *   <li>{@link Head#CLASS_TOKEN}: the class token after {@code norm}, then {@code head};
 *   <li>{@link Head#CLASS_TOKEN_BATCH_NORM}: the class token after {@code norm}, then {@code
 *       head.0} ({@code BatchNorm1d(affine=False, eps=1e-6)}: {@code (x - running_mean) /
 *       sqrt(running_var + eps)}; its running statistics are buffers, never trained here) and the
 *       linear {@code head.1}: the linear probe.
 * </ul>
 *
 * <p>Unlike pre-training, the position table is learned. Parameter names are the reference's:
 * {@code cls_token}, {@code pos_embed}, {@code patch_embed.proj.*}, {@code blocks.i.*}, {@code
 * norm.*} or {@code fc_norm.*}, {@code head.*} (or {@code head.0.*}, {@code head.1.*}). Images
 * {@code N x C x S x S}, features {@code N x D}, logits {@code N x K}. Owns native memory: close
 * it.
 */
public final class VitClassifier implements ClassifierModel {
  /** {@code BatchNorm1d}'s epsilon in the reference's linear probe. */
  public static final double BATCH_NORM_EPS = 1e-6;

  private static final String BN_MEAN = "head.0.running_mean";
  private static final String BN_VAR = "head.0.running_var";
  private static final String BN_COUNT = "head.0.num_batches_tracked";

  private final SaimConfig config;
  private final SaimModel encoder;
  private final NDManager manager;
  private final int numClasses;
  private final Head head;
  private final @Nullable NDArray fcNormWeight;
  private final @Nullable NDArray fcNormBias;
  private final @Nullable NDArray runningMean;
  private final @Nullable NDArray runningVar;
  private long batchesTracked;
  private final NDArray headWeight;
  private final NDArray headBias;
  private final Map<String, NDArray> tensors = new LinkedHashMap<>();
  private @Nullable FrozenEncoder frozen;

  /**
   * A classifier with the encoder initialised from {@code seed} (SAIM's initialisation), {@code
   * fc_norm} at weight 1 and bias 0, the head's weight drawn from N(0, headInitStd^2) and its bias
   * 0.
   *
   * @param config the encoder's architecture (its decoder settings are ignored)
   * @param numClasses K, at least 2
   * @param globalPool mean of patch tokens + {@code fc_norm} (true) or class token + {@code norm}
   * @param dropPath stochastic-depth rate of the last block, in [0, 1)
   * @param headInitStd the head weights' standard deviation (the reference: 2e-5 after loading
   *     pre-trained weights)
   */
  public VitClassifier(
      SaimConfig config,
      int numClasses,
      boolean globalPool,
      double dropPath,
      double headInitStd,
      NDManager parent,
      long seed) {
    this(
        config,
        numClasses,
        globalPool ? Head.GLOBAL_POOL : Head.CLASS_TOKEN,
        dropPath,
        headInitStd,
        parent,
        seed,
        Precision.FP32);
  }

  /**
   * A classifier with the given head, initialised as {@link #VitClassifier(SaimConfig, int,
   * boolean, double, double, NDManager, long)} does (a BatchNorm head starts at running mean 0 and
   * variance 1), its matrix multiplies in {@code precision}.
   */
  public VitClassifier(
      SaimConfig config,
      int numClasses,
      Head head,
      double dropPath,
      double headInitStd,
      NDManager parent,
      long seed,
      Precision precision) {
    if (numClasses < 2) {
      throw new IllegalArgumentException(
          "a classifier needs at least 2 classes, got " + numClasses);
    }
    this.config = config;
    this.numClasses = numClasses;
    this.head = head;
    boolean globalPool = head == Head.GLOBAL_POOL;
    this.manager = parent.newSubManager();
    this.encoder = encoderOnly(config, dropPath, manager, seed, precision);
    encoder.parameters().makeTrainable("pos_embed");
    for (Map.Entry<String, NDArray> e : encoder.parameters().all().entrySet()) {
      String name = e.getKey();
      if (name.startsWith("prediction_head.") || (globalPool && name.startsWith("norm."))) {
        continue;
      }
      tensors.put(name, e.getValue());
    }
    int d = config.width();
    NDArray fw = null;
    NDArray fb = null;
    if (globalPool) {
      fw = manager.ones(new Shape(d));
      fb = manager.zeros(new Shape(d));
      tensors.put("fc_norm.weight", fw);
      tensors.put("fc_norm.bias", fb);
    }
    this.fcNormWeight = fw;
    this.fcNormBias = fb;
    NDArray rm = null;
    NDArray rv = null;
    if (head == Head.CLASS_TOKEN_BATCH_NORM) {
      rm = manager.zeros(new Shape(d));
      rv = manager.ones(new Shape(d));
      tensors.put(BN_MEAN, rm);
      tensors.put(BN_VAR, rv);
    }
    this.runningMean = rm;
    this.runningVar = rv;
    SplittableRandom rng = new SplittableRandom(seed ^ 0x48454144L);
    float[] w = new float[numClasses * d];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (rng.nextGaussian() * headInitStd);
    }
    String linear = head == Head.CLASS_TOKEN_BATCH_NORM ? "head.1" : "head";
    headWeight = manager.create(w, new Shape(numClasses, d));
    headBias = manager.zeros(new Shape(numClasses));
    tensors.put(linear + ".weight", headWeight);
    tensors.put(linear + ".bias", headBias);
    // every tensor kept is learned (the encoder's only buffer, the position table, now is too),
    // except the BatchNorm's running statistics
    for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
      e.getValue().setName(e.getKey());
      if (!e.getValue().hasGradient() && !isBuffer(e.getKey())) {
        e.getValue().setRequiresGradient(true);
      }
    }
  }

  /**
   * The classifier {@code checkpoint} holds, loaded strictly: its head kind and number of classes
   * from the file, the encoder's architecture {@code config} (or the file's when null).
   *
   * @throws IllegalArgumentException naming the file when it records no architecture and none is
   *     given, or when any tensor is missing, unexpected or of another shape
   */
  public static VitClassifier load(
      ClassifierCheckpoint checkpoint,
      @Nullable SaimConfig config,
      NDManager parent,
      Precision precision) {
    SaimConfig arch = config != null ? config : checkpoint.config();
    if (arch == null) {
      throw new IllegalArgumentException(
          checkpoint.file()
              + " records no model architecture (a reference .pth"
              + " does not): give the encoder's configuration");
    }
    VitClassifier model =
        new VitClassifier(
            arch, checkpoint.numClasses(), checkpoint.head(), 0, 0, parent, 0, precision);
    try {
      model.loadStrict(checkpoint.weights(), checkpoint.file().toString());
      return model;
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  private static boolean isBuffer(String name) {
    return name.equals(BN_MEAN) || name.equals(BN_VAR);
  }

  /** The encoder's architecture as given (with its pre-training decoder settings). */
  @Override
  public SaimConfig config() {
    return config;
  }

  /** Number of classes K. */
  @Override
  public int numClasses() {
    return numClasses;
  }

  /**
   * Whether features are the mean of the patch tokens through {@code fc_norm} (else the class token
   * after {@code norm}).
   */
  public boolean globalPool() {
    return head == Head.GLOBAL_POOL;
  }

  /** The head kind. */
  @Override
  public Head head() {
    return head;
  }

  /** Every tensor by reference name, in the reference's order. */
  public Map<String, NDArray> tensors() {
    return Collections.unmodifiableMap(tensors);
  }

  /**
   * What the optimiser updates: every tensor (the position table is learned in fine-tuning) but the
   * BatchNorm's running statistics.
   */
  public Map<String, NDArray> trainable() {
    if (head != Head.CLASS_TOKEN_BATCH_NORM) {
      return Collections.unmodifiableMap(tensors);
    }
    Map<String, NDArray> t = new LinkedHashMap<>(tensors);
    t.keySet().removeIf(VitClassifier::isBuffer);
    return Collections.unmodifiableMap(t);
  }

  /**
   * From now on, evaluation ({@code training} false) runs the encoder as one engine call on a
   * snapshot of its weights ({@link SaimModel#freeze}): for a classifier that is no longer trained.
   * Only where {@link FrozenEncoder#wanted} says so; idempotent.
   */
  @Override
  public void freeze() {
    if (frozen == null && FrozenEncoder.wanted(encoder.manager())) {
      frozen = encoder.freeze(FrozenEncoder.fusedAttentionByDefault());
    }
  }

  /** Pooled features {@code N x D} of images {@code N x C x S x S}. */
  public NDArray features(NDArray images, boolean training) {
    FrozenEncoder f = training ? null : frozen;
    NDArray h =
        f != null
            ? f.encodeBlocks(images, config.depth(), config.depth()).get(0)
            : encoder.encode(images, training); // N x (L+1) x D
    if (head == Head.GLOBAL_POOL) {
      NDArray mean = h.get(":, 1:, :").mean(new int[] {1});
      return LayerNorm.layerNorm(
              mean,
              new Shape(config.width()),
              fcNormWeight,
              fcNormBias,
              (float) config.layerNormEps())
          .singletonOrThrow();
    }
    return encoder.norm(h).get(":, 0, :");
  }

  /**
   * Logits {@code N x K} of images {@code N x C x S x S}; stochastic depth only when {@code
   * training}. A BatchNorm head always normalises with its running statistics.
   */
  public NDArray forward(NDArray images, boolean training) {
    NDArray f = features(images, training);
    if (runningMean != null && runningVar != null) {
      f = f.sub(runningMean).div(runningVar.add(BATCH_NORM_EPS).sqrt());
    }
    return Linear.linear(f, headWeight, headBias).singletonOrThrow();
  }

  @Override
  public NDArray logits(NDArray images) {
    return forward(images, false);
  }

  /** Host copies of every tensor, by reference name. */
  @Override
  public Map<String, HostTensor> stateDict() {
    Map<String, HostTensor> out = new LinkedHashMap<>();
    tensors.forEach((k, v) -> out.put(k, Tensors.toHost(v)));
    if (head == Head.CLASS_TOKEN_BATCH_NORM) {
      out.put(BN_COUNT, HostTensor.ofLongs(new long[0], new long[] {batchesTracked}));
    }
    return out;
  }

  /**
   * Copies the tensors of {@code state} that this model has into it, by name, and reports the rest
   * as PyTorch's {@code load_state_dict} does. Nothing is copied when a shape differs or, with
   * {@code strict}, when anything does not match.
   *
   * @throws IllegalArgumentException on a shape mismatch, or any mismatch with {@code strict}
   */
  public LoadReport load(Map<String, HostTensor> state, boolean strict) {
    if (head == Head.CLASS_TOKEN_BATCH_NORM) {
      // PyTorch's BatchNorm counts its batches; the count takes no part in evaluation
      state = new LinkedHashMap<>(state);
      HostTensor count = state.remove(BN_COUNT);
      if (count != null && count.numel() == 1) {
        batchesTracked = (long) count.toFloatArray()[0];
      }
    }
    LoadReport r = check(state);
    if (!r.shapeMismatches().isEmpty() || (strict && !r.isClean())) {
      throw new IllegalArgumentException("the weights do not fit the classifier: " + r);
    }
    for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
      HostTensor t = state.get(e.getKey());
      if (t != null) {
        Tensors.copyInto(e.getValue(), t, e.getKey());
      }
    }
    return r;
  }

  /**
   * Loads {@code state} strictly ({@link #load} with {@code strict}), naming {@code source} and at
   * most a few of each kind of mismatch in the message.
   *
   * @throws IllegalArgumentException when any tensor is missing, unexpected or of another shape
   */
  public void loadStrict(Map<String, HostTensor> state, String source) {
    try {
      load(state, true);
    } catch (IllegalArgumentException e) {
      LoadReport r = check(state);
      throw new IllegalArgumentException(
          source
              + " does not fit the classifier ("
              + head
              + ", "
              + numClasses
              + " classes, width "
              + config.width()
              + ", depth "
              + config.depth()
              + ", "
              + config.imageSize()
              + " px, patch "
              + config.patchSize()
              + "): missing "
              + summarise(r.missing())
              + ", unexpected "
              + summarise(r.unexpected())
              + ", shape mismatches "
              + summarise(r.shapeMismatches()),
          e);
    }
  }

  /** What {@link #load} would report for {@code state}, without loading anything. */
  private LoadReport check(Map<String, HostTensor> state) {
    Map<String, HostTensor> s = new LinkedHashMap<>(state);
    if (head == Head.CLASS_TOKEN_BATCH_NORM) {
      s.remove(BN_COUNT);
    }
    List<String> missing = new ArrayList<>();
    List<String> unexpected = new ArrayList<>();
    List<String> mismatched = new ArrayList<>();
    for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
      HostTensor t = s.get(e.getKey());
      if (t == null) {
        missing.add(e.getKey());
      } else if (!Arrays.equals(t.shape(), e.getValue().getShape().getShape())) {
        mismatched.add(
            e.getKey()
                + ": checkpoint "
                + Arrays.toString(t.shape())
                + ", model "
                + Arrays.toString(e.getValue().getShape().getShape()));
      }
    }
    for (String k : s.keySet()) {
      if (!tensors.containsKey(k)) {
        unexpected.add(k);
      }
    }
    return new LoadReport(missing, unexpected, mismatched);
  }

  private static String summarise(List<String> names) {
    return names.size() <= 6
        ? names.toString()
        : names.subList(0, 6) + " and " + (names.size() - 6) + " more";
  }

  @Override
  public void close() {
    manager.close();
  }

  /**
   * The encoder of a classifier: {@code config}'s model with one shared query block, a linear head
   * and no blur, so that the decoder costs no extra parameters, and the encoder draws the same
   * initial values as pre-training's model of the same seed.
   */
  static SaimModel encoderOnly(
      SaimConfig config, double dropPath, NDManager manager, long seed, Precision precision) {
    SaimConfig c =
        config.toBuilder()
            .queryDepth(1)
            .shareWeight(true)
            .headType(HeadType.LINEAR)
            .noBlur()
            .dropPathRate(dropPath)
            .build();
    return new SaimModel(c, manager, seed, precision);
  }
}
