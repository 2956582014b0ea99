package io.github.saimjava.downstream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.saimjava.api.Precision;
import io.github.saimjava.api.SaimClassifier.Head;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.model.SaimModel;
import io.github.saimjava.model.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A frozen encoder with a trained attentive probe ({@link AttentiveProbe}) on top, for inference:
 * what an attentive-probe classifier file holds ({@link ClassifierCheckpoint}, {@link
 * Head#ATTENTIVE}).
 *
 * <pre>
 * images [N, C, S, S] -> encoder blocks -> mean of the last K blocks' outputs
 *   -> patch tokens [N, L, D] -> (x - running_mean) / sqrt(running_var + 1e-6)
 *   -> the probe's attention and head -> logits [N, K]
 * </pre>
 *
 * The tokens are those {@code SaimEncoder.patchTokens} gives (before the final norm), so the logits
 * are those the probe computed on them. Owns native memory: close it.
 */
public final class AttentiveClassifier implements ClassifierModel {
  private final SaimConfig config;
  private final NDManager manager;
  private final SaimModel encoder;
  private final Map<String, NDArray> encoderTensors = new LinkedHashMap<>();
  private final Map<String, HostTensor> headState = new LinkedHashMap<>();
  private final ClassifierCheckpoint.Attentive settings;
  private final int numClasses;
  private final NDArray mean;
  private final NDArray invStd;
  private final AttentiveProbe.Params params;

  private AttentiveClassifier(
      ClassifierCheckpoint checkpoint, SaimConfig config, NDManager parent, Precision precision) {
    this.config = config;
    this.settings = Objects.requireNonNull(checkpoint.attentive(), "an attentive checkpoint");
    this.numClasses = checkpoint.numClasses();
    this.manager = parent.newSubManager();
    this.encoder = VitClassifier.encoderOnly(config, 0, manager, 0, precision);
    encoder
        .parameters()
        .all()
        .forEach(
            (k, v) -> {
              if (!k.startsWith("prediction_head.")) {
                encoderTensors.put(k, v);
              }
            });
    Map<String, HostTensor> w = checkpoint.weights();
    loadEncoder(w, checkpoint.file().toString());
    w.forEach(
        (k, v) -> {
          if (k.startsWith("head.")) {
            headState.put(k, v);
          }
        });
    int d = settings.width();
    float[] kv = checkpoint.floats(ClassifierCheckpoint.WKV);
    float[] mu = checkpoint.floats(ClassifierCheckpoint.BN_MEAN);
    float[] var = checkpoint.floats(ClassifierCheckpoint.BN_VAR);
    float[] inv = new float[d];
    for (int j = 0; j < d; j++) {
      inv[j] = (float) (1 / Math.sqrt(var[j] + VitClassifier.BATCH_NORM_EPS));
    }
    this.mean = manager.create(mu);
    this.invStd = manager.create(inv);
    this.params =
        AttentiveProbe.Params.create(
            manager,
            checkpoint.floats(ClassifierCheckpoint.QUERIES),
            checkpoint.floats(ClassifierCheckpoint.WQ),
            Arrays.copyOfRange(kv, 0, d * d),
            Arrays.copyOfRange(kv, d * d, 2 * d * d),
            checkpoint.floats(ClassifierCheckpoint.LINEAR_WEIGHT),
            checkpoint.floats(ClassifierCheckpoint.LINEAR_BIAS));
  }

  /**
   * The attentive-probe classifier {@code checkpoint} holds (its head checked when it was read),
   * the encoder loaded strictly; the encoder's architecture {@code config}, or the file's when
   * null.
   *
   * @throws IllegalArgumentException naming the file when it records no architecture and none is
   *     given, when the head does not fit the architecture (naming the key), or when any encoder
   *     tensor is missing, unexpected or of another shape
   */
  public static AttentiveClassifier load(
      ClassifierCheckpoint checkpoint,
      @Nullable SaimConfig config,
      NDManager parent,
      Precision precision) {
    SaimConfig arch = config != null ? config : checkpoint.config();
    if (arch == null) {
      throw new IllegalArgumentException(
          checkpoint.file() + " records no model architecture: give the encoder's configuration");
    }
    checkpoint.checkFits(arch);
    return new AttentiveClassifier(checkpoint, arch, parent, precision);
  }

  /** Copies the file's encoder tensors (every name not under {@code head.}), strictly. */
  private void loadEncoder(Map<String, HostTensor> w, String source) {
    List<String> missing = new ArrayList<>();
    List<String> unexpected = new ArrayList<>();
    List<String> mismatched = new ArrayList<>();
    encoderTensors.forEach(
        (k, v) -> {
          HostTensor t = w.get(k);
          if (t == null) {
            missing.add(k);
          } else if (!Arrays.equals(t.shape(), v.getShape().getShape())) {
            mismatched.add(
                k
                    + ": checkpoint "
                    + Arrays.toString(t.shape())
                    + ", model "
                    + Arrays.toString(v.getShape().getShape()));
          }
        });
    for (String k : w.keySet()) {
      if (!k.startsWith("head.") && !encoderTensors.containsKey(k)) {
        unexpected.add(k);
      }
    }
    if (!missing.isEmpty() || !unexpected.isEmpty() || !mismatched.isEmpty()) {
      manager.close();
      throw new IllegalArgumentException(
          source
              + " does not fit the attentive classifier's encoder (width "
              + config.width()
              + ", depth "
              + config.depth()
              + ", "
              + config.imageSize()
              + " px, patch "
              + config.patchSize()
              + "): missing "
              + summarise(missing)
              + ", unexpected "
              + summarise(unexpected)
              + ", shape mismatches "
              + summarise(mismatched));
    }
    encoderTensors.forEach((k, v) -> Tensors.copyInto(v, Objects.requireNonNull(w.get(k)), k));
  }

  private static String summarise(List<String> names) {
    return names.size() <= 6
        ? names.toString()
        : names.subList(0, 6) + " and " + (names.size() - 6) + " more";
  }

  @Override
  public SaimConfig config() {
    return config;
  }

  @Override
  public Head head() {
    return Head.ATTENTIVE;
  }

  @Override
  public int numClasses() {
    return numClasses;
  }

  /** The settings the file recorded: attention heads, last blocks, queries, width. */
  public ClassifierCheckpoint.Attentive settings() {
    return settings;
  }

  /**
   * Nothing to do: the encoder runs block by block, as {@code SaimEncoder.patchTokens} does, so
   * that the logits are the probe's.
   */
  @Override
  public void freeze() {}

  @Override
  public NDArray logits(NDArray images) {
    int depth = config.depth();
    int k = settings.lastBlocks();
    List<NDArray> blocks = encoder.encodeBlocks(images, depth, false);
    NDArray sum = blocks.get(depth - k);
    for (int i = depth - k + 1; i < depth; i++) {
      sum = sum.add(blocks.get(i));
    }
    NDArray tokens = sum.div(k).get(":, 1:, :").toType(DataType.FLOAT32, false); // N x L x D
    NDArray x = tokens.sub(mean).mul(invStd);
    return AttentiveProbe.logits(x, params, settings.probeHeads());
  }

  @Override
  public Map<String, HostTensor> stateDict() {
    Map<String, HostTensor> out = new LinkedHashMap<>();
    encoderTensors.forEach((k, v) -> out.put(k, Tensors.toHost(v)));
    out.putAll(headState);
    return out;
  }

  @Override
  public void close() {
    manager.close();
  }
}
