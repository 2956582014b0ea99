package io.github.saimjava.downstream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.saimjava.api.HeadType;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.io.HostTensor;
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

/**
 * The fine-tuning model, as the reference's {@code models_vit.VisionTransformer}: the SAIM
 * encoder without masks (stochastic depth rising linearly over the blocks), then either the mean
 * of the patch tokens through its own LayerNorm {@code fc_norm} (global pool; the final {@code
 * norm} is not part of the model) or the class token after {@code norm}, then a linear {@code
 * head}. Unlike pre-training, the position table is learned.
 *
 * <p>Parameter names are the reference's: {@code cls_token}, {@code pos_embed}, {@code
 * patch_embed.proj.*}, {@code blocks.i.*}, {@code norm.*} or {@code fc_norm.*}, {@code head.*}.
 * Images {@code N x C x S x S}, logits {@code N x K}. Owns native memory: close it.
 */
public final class VitClassifier implements AutoCloseable {
  private final SaimConfig config;
  private final SaimModel encoder;
  private final NDManager manager;
  private final int numClasses;
  private final boolean globalPool;
  private final NDArray fcNormWeight;
  private final NDArray fcNormBias;
  private final NDArray headWeight;
  private final NDArray headBias;
  private final Map<String, NDArray> tensors = new LinkedHashMap<>();

  /**
   * A classifier with the encoder initialised from {@code seed} (SAIM's initialisation), {@code
   * fc_norm} at weight 1 and bias 0, the head's weight drawn from N(0, headInitStd^2) and its bias 0.
   *
   * @param config the encoder's architecture (its decoder settings are ignored)
   * @param numClasses K, at least 2
   * @param globalPool mean of patch tokens + {@code fc_norm} (true) or class token + {@code norm}
   * @param dropPath stochastic-depth rate of the last block, in [0, 1)
   * @param headInitStd the head weights' standard deviation (the reference: 2e-5 after loading
   *     pre-trained weights)
   */
  public VitClassifier(SaimConfig config, int numClasses, boolean globalPool, double dropPath, double headInitStd,
      NDManager parent, long seed) {
    if (numClasses < 2) {
      throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + numClasses);
    }
    this.config = config;
    this.numClasses = numClasses;
    this.globalPool = globalPool;
    this.manager = parent.newSubManager();
    // one shared query block, a linear head and no blur: the decoder costs no extra parameters,
    // and the encoder draws the same initial values as pre-training's model of the same seed
    SaimConfig encoderOnly = config.toBuilder().queryDepth(1).shareWeight(true).headType(HeadType.LINEAR).noBlur()
        .dropPathRate(dropPath).build();
    this.encoder = new SaimModel(encoderOnly, manager, seed);
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
    SplittableRandom rng = new SplittableRandom(seed ^ 0x48454144L);
    float[] w = new float[numClasses * d];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (rng.nextGaussian() * headInitStd);
    }
    headWeight = manager.create(w, new Shape(numClasses, d));
    headBias = manager.zeros(new Shape(numClasses));
    tensors.put("head.weight", headWeight);
    tensors.put("head.bias", headBias);
    // every tensor kept is learned (the encoder's only buffer, the position table, now is too)
    for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
      e.getValue().setName(e.getKey());
      if (!e.getValue().hasGradient()) {
        e.getValue().setRequiresGradient(true);
      }
    }
  }

  /** The encoder's architecture as given (with its pre-training decoder settings). */
  public SaimConfig config() {
    return config;
  }

  /** Number of classes K. */
  public int numClasses() {
    return numClasses;
  }

  /** Whether features are the mean of the patch tokens through {@code fc_norm} (else the class token after {@code norm}). */
  public boolean globalPool() {
    return globalPool;
  }

  /** Every tensor by reference name, in the reference's order. */
  public Map<String, NDArray> tensors() {
    return Collections.unmodifiableMap(tensors);
  }

  /** What the optimiser updates: every tensor (the position table is learned in fine-tuning). */
  public Map<String, NDArray> trainable() {
    return Collections.unmodifiableMap(tensors);
  }

  /** Pooled features {@code N x D} of images {@code N x C x S x S}. */
  public NDArray features(NDArray images, boolean training) {
    NDArray h = encoder.encode(images, training); // N x (L+1) x D
    if (globalPool) {
      NDArray mean = h.get(":, 1:, :").mean(new int[] {1});
      return ai.djl.nn.norm.LayerNorm.layerNorm(mean, new Shape(config.width()), fcNormWeight, fcNormBias,
          (float) config.layerNormEps()).singletonOrThrow();
    }
    return encoder.norm(h).get(":, 0, :");
  }

  /** Logits {@code N x K} of images {@code N x C x S x S}; stochastic depth only when {@code training}. */
  public NDArray forward(NDArray images, boolean training) {
    return ai.djl.nn.core.Linear.linear(features(images, training), headWeight, headBias).singletonOrThrow();
  }

  /** Host copies of every tensor, by reference name. */
  public Map<String, HostTensor> stateDict() {
    Map<String, HostTensor> out = new LinkedHashMap<>();
    tensors.forEach((k, v) -> out.put(k, Tensors.toHost(v)));
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
    List<String> missing = new ArrayList<>();
    List<String> unexpected = new ArrayList<>();
    List<String> mismatched = new ArrayList<>();
    for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
      HostTensor t = state.get(e.getKey());
      if (t == null) {
        missing.add(e.getKey());
      } else if (!Arrays.equals(t.shape(), e.getValue().getShape().getShape())) {
        mismatched.add(e.getKey() + ": checkpoint " + Arrays.toString(t.shape()) + ", model "
            + Arrays.toString(e.getValue().getShape().getShape()));
      }
    }
    for (String k : state.keySet()) {
      if (!tensors.containsKey(k)) {
        unexpected.add(k);
      }
    }
    LoadReport r = new LoadReport(missing, unexpected, mismatched);
    if (!mismatched.isEmpty() || (strict && !r.isClean())) {
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

  @Override
  public void close() {
    manager.close();
  }
}
