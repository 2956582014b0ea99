package io.github.saimjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import io.github.saimjava.api.HeadType;
import io.github.saimjava.api.LossType;
import io.github.saimjava.api.Permutation;
import io.github.saimjava.api.Precision;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.io.HostTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The SAIM pre-training model: a ViT encoder producing the content stream and a parallel query
 * decoder that predicts each patch's pixels from the patches before it in a sampled order.
 *
 * <p>The steps read as the method does: {@link #embed} (patches + position table + class token),
 * {@link #forward} (the interleaved content and query streams under the permutation masks, then
 * {@code norm} and the prediction head), {@link #target} (blur, patchify, per-patch normalisation)
 * and {@link #loss}. Shapes: images {@code N x C x H x W}, {@code L} patches, width {@code D},
 * patch values {@code P = p*p*C}.
 *
 * <p>Owns its parameters' native memory: close it when done. Not thread-safe for training;
 * concurrent inference on one instance is safe once no thread trains it.
 */
public final class SaimModel implements AutoCloseable {
  private final SaimConfig config;
  private final NDManager manager;
  private final ParameterSet params = new ParameterSet();
  private final NDArray clsToken;
  private final NDArray posEmbed;
  private final NDArray patchWeight;
  private final NDArray patchBias;
  private final List<Block> blocks = new ArrayList<>();
  private final List<Block> queryBlocks = new ArrayList<>();
  private final Layers.LayerNorm norm;
  private final Layers.@Nullable Mlp mlpHead;
  private final Layers.@Nullable Linear linearHead;
  private final @Nullable NDArray blurWeight;
  private final Autocast autocast;
  private final @Nullable InferenceKernels kernels;

  /**
   * A model with the reference initialisation drawn from {@code seed}, its parameters on {@code
   * parent}'s device (in a sub-manager this model owns).
   */
  public SaimModel(SaimConfig config, NDManager parent, long seed) {
    this(config, parent, seed, Precision.FP32);
  }

  /**
   * As {@link #SaimModel(SaimConfig, NDManager, long)}, with the matrix multiplies in {@code
   * precision}: parameters stay float32 (they are the master weights), and so do {@link #forward}'s
   * outputs, {@link #encode} and the loss.
   */
  public SaimModel(SaimConfig config, NDManager parent, long seed, Precision precision) {
    this.config = config;
    this.manager = parent.newSubManager();
    this.autocast = Autocast.of(precision, manager);
    this.kernels = InferenceKernels.load(manager);
    TrainingKernels training = TrainingKernels.load(manager);
    SplittableRandom rng = new SplittableRandom(seed);
    int d = config.width();
    int c = config.channels();
    int p = config.patchSize();
    NDManager m = manager;

    float[] cls = new float[d];
    for (int i = 0; i < d; i++) {
      cls[i] = (float) (rng.nextGaussian() * 0.02);
    }
    clsToken = params.add("cls_token", m.create(cls, new Shape(1, 1, d)), true);
    posEmbed =
        params.add(
            "pos_embed",
            m.create(
                SinCosTable.create(d, config.gridSize()), new Shape(1, config.numPatches() + 1, d)),
            false);
    // the patch projection is initialised like a Linear on its D x (C*p*p) view
    patchWeight =
        params.add(
            "patch_embed.proj.weight",
            Layers.xavierUniform(m, rng, d, (long) c * p * p, new Shape(d, c, p, p)),
            true);
    patchBias = params.add("patch_embed.proj.bias", m.zeros(new Shape(d)), true);

    double[] dpr = dropPathRates(config);
    for (int i = 0; i < config.depth(); i++) {
      blocks.add(
          new Block(
              params,
              m,
              rng,
              "blocks." + i,
              d,
              config.heads(),
              config.mlpHidden(),
              config.layerNormEps(),
              dpr[i],
              autocast,
              kernels,
              training));
    }
    if (config.shareWeight()) {
      for (int j = 0; j < config.queryDepth(); j++) {
        queryBlocks.add(blocks.get(j));
      }
      // the reference registers the same ModuleList twice, so state dicts hold both names
      for (String name : new ArrayList<>(params.all().keySet())) {
        if (name.startsWith("blocks.")) {
          params.alias("query_" + name, name);
        }
      }
    } else {
      for (int j = 0; j < config.queryDepth(); j++) {
        queryBlocks.add(
            new Block(
                params,
                m,
                rng,
                "query_blocks." + j,
                d,
                config.heads(),
                config.mlpHidden(),
                config.layerNormEps(),
                dpr[j],
                autocast,
                kernels,
                training));
      }
    }
    norm = new Layers.LayerNorm(params, m, "norm", d, config.layerNormEps());
    if (config.headType() == HeadType.MLP) {
      mlpHead =
          new Layers.Mlp(
              params,
              m,
              rng,
              "prediction_head",
              d,
              config.mlpHidden(),
              config.patchDim(),
              autocast,
              kernels);
      linearHead = null;
    } else {
      linearHead =
          new Layers.Linear(
              params, m, rng, "prediction_head", d, config.patchDim(), autocast, kernels);
      mlpHead = null;
    }
    if (config.blurred()) {
      int k = config.blurKernel();
      float[] kernel = GaussianKernel.create(k, config.blurSigma());
      float[] all = new float[c * k * k];
      for (int ch = 0; ch < c; ch++) {
        System.arraycopy(kernel, 0, all, ch * k * k, k * k);
      }
      blurWeight = params.add("gaussian_blur.weight", m.create(all, new Shape(c, 1, k, k)), false);
    } else {
      blurWeight = null;
    }
  }

  /** Stochastic depth rises linearly from 0 to the configured rate over the encoder blocks. */
  static double[] dropPathRates(SaimConfig config) {
    int n = config.depth();
    double[] r = new double[n];
    for (int i = 0; i < n; i++) {
      r[i] = n == 1 ? 0 : config.dropPathRate() * i / (n - 1);
    }
    return r;
  }

  /** The format of the matrix multiplies. */
  public Precision precision() {
    return autocast.enabled() ? Precision.BF16 : Precision.FP32;
  }

  public SaimConfig config() {
    return config;
  }

  /** The model's parameters and buffers by reference name. */
  public ParameterSet parameters() {
    return params;
  }

  /** The manager owning the parameters. */
  public NDManager manager() {
    return manager;
  }

  /** What the two streams and the head produce for one batch. */
  public record Output(NDArray contentLastBlock, NDArray queryLastBlock, NDArray prediction) {}

  /**
   * One pre-training pass: the forward pass, its target and its loss.
   *
   * @param output the streams' last blocks and the prediction, N x (L+1) x P
   * @param target the pixel target, N x L x P
   * @param loss the scalar loss of {@link #loss}
   */
  public record LossPass(Output output, NDArray target, NDArray loss) {}

  /**
   * The forward pass of pre-training with its target and loss, as MAE's {@code forward}: what
   * training, the parity check against the reference and the pictures all run.
   *
   * @param images N x C x H x W
   * @param order each image's permutation and the masks it implies
   * @return the output, the target and the loss
   */
  public LossPass forwardLoss(NDArray images, Permutation order) {
    return forwardLoss(images, order, true);
  }

  /**
   * {@link #forwardLoss(NDArray, Permutation)} with stochastic depth on ({@code training}) or off.
   *
   * @param images N x C x H x W
   * @param order each image's permutation and the masks it implies
   * @param training whether stochastic depth is applied
   * @return the output, the target and the loss
   */
  public LossPass forwardLoss(NDArray images, Permutation order, boolean training) {
    Output out = forward(images, order, training);
    NDArray target = target(images);
    return new LossPass(out, target, loss(out.prediction(), target));
  }

  /**
   * Checks that {@code images} is {@code N x C x H x W} with this model's channels and size.
   *
   * @throws IllegalArgumentException naming the shape and what was expected
   */
  public void checkImages(NDArray images) {
    Shape s = images.getShape();
    int c = config.channels();
    int size = config.imageSize();
    if (s.dimension() != 4
        || s.get(0) < 1
        || s.get(1) != c
        || s.get(2) != size
        || s.get(3) != size) {
      throw new IllegalArgumentException(
          String.format("images must have shape N x %d x %d x %d, got %s", c, size, size, s));
    }
    if (images.getDataType() != DataType.FLOAT32) {
      throw new IllegalArgumentException("images must be float32, got " + images.getDataType());
    }
  }

  /** Content stream input {@code h0 = [cls + pos_0 ; patch_k + pos_{k+1}]}: N x (L+1) x D. */
  public NDArray embed(NDArray images) {
    checkImages(images);
    long n = images.getShape().get(0);
    int p = config.patchSize();
    NDArray x =
        Conv2d.conv2d(
                images,
                patchWeight,
                patchBias,
                new Shape(p, p),
                new Shape(0, 0),
                new Shape(1, 1),
                1)
            .singletonOrThrow(); // N x D x g x g
    x = x.reshape(n, config.width(), -1).transpose(0, 2, 1); // N x L x D, row-major patches
    x = x.add(posEmbed.get(":, 1:, :"));
    NDArray cls = clsToken.add(posEmbed.get(":, :1, :")).broadcast(new Shape(n, 1, config.width()));
    return cls.concat(x, 1);
  }

  /**
   * The SAIM forward pass: content stream under the content mask, a query block after every {@code
   * depth / query_depth} encoder blocks reading the content stream at that depth, then {@code norm}
   * and the head. Prediction: N x (L+1) x P (row 0 belongs to the class token).
   */
  public Output forward(NDArray images, Permutation permutation, boolean training) {
    checkPermutation(images, permutation);
    NDArray h = embed(images);
    long n = h.getShape().get(0);
    NDArray g = posEmbed.broadcast(new Shape(n, config.numPatches() + 1, config.width()));
    // bfloat16 compute: both streams and the masks are lowered once here and stay bfloat16
    // through every block (LayerNorm, softmax and the engine's reductions accumulate in float32
    // internally); weights stay float32 masters, cast per step, and the loss is float32. In
    // float32, lower is the identity.
    NDArray contentMask = autocast.lower(permutation.contentMask(), h);
    NDArray queryMask = autocast.lower(permutation.queryMask(), h);
    h = autocast.lower(h, h);
    g = autocast.lower(g, g);
    int step = config.queryStep();
    for (int i = 0; i < config.depth(); i++) {
      Block content = blocks.get(i);
      NDArray hIn = h;
      h = scoped(() -> content.forward(hIn, contentMask, training));
      if ((i + 1) % step == 0) {
        Block query = queryBlocks.get(i / step);
        NDArray gIn = g;
        NDArray hNow = h;
        g = scoped(() -> query.forward(gIn, hNow, queryMask, training));
      }
    }
    return new Output(autocast.upper(h), autocast.upper(g), autocast.upper(head(norm.forward(g))));
  }

  /**
   * Runs one block so that only its output keeps a handle: the block's intermediate arrays are
   * released as soon as it returns, instead of when the caller's manager or scope closes. Autograd
   * holds its own references to the tensors the backward pass needs, so gradients are unchanged;
   * what goes is every intermediate that backward does not need (the float32 copies of bfloat16
   * products, the attention logits before softmax, sums and views), which would otherwise stay
   * alive through the backward pass and the optimiser step. This is what bounds the step's peak
   * memory near the autograd graph's own size.
   */
  private static NDArray scoped(Supplier<NDArray> block) {
    NDArray out;
    try (NDScope scope = new NDScope()) {
      out = block.get();
      NDScope.unregister(out);
    }
    // back into the caller's scope, if any, as an array made there would be: kept out of every
    // scope it would outlive the caller's step and accumulate
    NDScope.register(out);
    return out;
  }

  private NDArray head(NDArray x) {
    return mlpHead != null ? mlpHead.forward(x) : Objects.requireNonNull(linearHead).forward(x);
  }

  private void checkPermutation(NDArray images, Permutation permutation) {
    long n = images.getShape().isScalar() ? 0 : images.getShape().get(0);
    if (permutation.numPatches() != config.numPatches() || permutation.batchSize() != n) {
      throw new IllegalArgumentException(
          String.format(
              "permutation is for %d images of %d patches, but the batch has %d images of %d"
                  + " patches",
              permutation.batchSize(), permutation.numPatches(), n, config.numPatches()));
    }
  }

  /**
   * The encoder alone, without masks (downstream use): the content stream after the last block, N x
   * (L+1) x D.
   */
  public NDArray encode(NDArray images, boolean training) {
    List<NDArray> all = encodeBlocks(images, blocks.size(), training);
    return all.get(all.size() - 1);
  }

  /**
   * The encoder without masks, stopped after block {@code count} (1 to depth): the content stream
   * after each of blocks 1..count, element {@code k - 1} being N x (L+1) x D after block {@code k},
   * all from one forward pass (downstream probes read intermediate blocks).
   *
   * @throws IllegalArgumentException when {@code count} is not in 1..depth
   */
  public List<NDArray> encodeBlocks(NDArray images, int count, boolean training) {
    if (count < 1 || count > blocks.size()) {
      throw new IllegalArgumentException(
          "block count " + count + " is not in 1.." + blocks.size() + " (the encoder's depth)");
    }
    List<NDArray> out = new ArrayList<>(count);
    NDArray h = embed(images);
    h = autocast.lower(h, h);
    for (int i = 0; i < count; i++) {
      Block b = blocks.get(i);
      NDArray in = h;
      h = scoped(() -> b.forward(in, null, training));
      out.add(autocast.upper(h));
    }
    return out;
  }

  /**
   * The encoder without masks as one engine call per batch, for a model whose weights no longer
   * change (inference after loading): {@link #encodeBlocks}'s computation in this model's
   * precision. Closed with this model.
   *
   * @param fusedAttention attention as the engine's fused scaled-dot-product kernel rather than
   *     explicit products and softmax
   */
  public FrozenEncoder freeze(boolean fusedAttention) {
    return new FrozenEncoder(
        config,
        manager,
        patchWeight,
        patchBias,
        clsToken,
        posEmbed,
        blocks,
        autocast,
        fusedAttention);
  }

  /** The final LayerNorm ({@code norm}) applied to tokens {@code [..., D]}. */
  public NDArray norm(NDArray tokens) {
    return norm.forward(tokens);
  }

  /**
   * The pixel target: the (blurred) image patchified to N x L x P, each patch normalised by its
   * mean and unbiased variance when norm-pix loss is on.
   */
  public NDArray target(NDArray images) {
    NDArray t = blurredPatches(images);
    if (config.normPixLoss()) {
      NDArray mean = t.mean(new int[] {-1}, true);
      NDArray centred = t.sub(mean);
      NDArray var = Scalars.div(centred.square().sum(new int[] {-1}, true), config.patchDim() - 1);
      t = centred.div(var.add(Scalars.of(var, NORM_PIX_EPS)).pow(Scalars.of(var, 0.5)));
    }
    return t;
  }

  /**
   * The variance epsilon of the norm-pix target, the reference's: {@code (t - mean) / sqrt(var +
   * eps)}.
   */
  public static final double NORM_PIX_EPS = 1e-6;

  /** The target before per-patch normalisation: the (blurred) image patchified, N x L x P. */
  public NDArray blurredPatches(NDArray images) {
    checkImages(images);
    NDArray x = images;
    if (blurWeight != null) {
      int pad = config.blurKernel() / 2;
      x =
          Conv2d.conv2d(
                  images,
                  blurWeight,
                  null,
                  new Shape(1, 1),
                  new Shape(pad, pad),
                  new Shape(1, 1),
                  config.channels())
              .singletonOrThrow();
    }
    return patchify(x);
  }

  /** The encoder blocks in order (for inspection code in this package). */
  List<Block> encoderBlocks() {
    return blocks;
  }

  /**
   * Mean over all N x L x P elements of |pred - t| or (pred - t)^2, the class-token row dropped.
   */
  public NDArray loss(NDArray prediction, NDArray target) {
    return elementLoss(prediction, target).mean();
  }

  /**
   * The loss per patch, N x L: the mean over each patch's P values of the elements {@link #loss}
   * averages (so its mean is the loss), patch {@code k} in row-major order. Diagnostics read it by
   * prediction position.
   */
  public NDArray patchLoss(NDArray prediction, NDArray target) {
    return elementLoss(prediction, target).mean(new int[] {-1});
  }

  /** |pred - t| or (pred - t)^2 per element, N x L x P, the class-token row dropped. */
  private NDArray elementLoss(NDArray prediction, NDArray target) {
    NDArray diff = prediction.get(":, 1:, :").sub(target);
    return config.loss() == LossType.L1 ? diff.abs() : diff.square();
  }

  /**
   * N x C x H x W -> N x L x (p*p*C), last axis ordered (row-in-patch, column-in-patch, channel).
   */
  public NDArray patchify(NDArray images) {
    long n = images.getShape().get(0);
    int c = config.channels();
    int p = config.patchSize();
    int g = config.gridSize();
    return images
        .reshape(n, c, g, p, g, p)
        .transpose(0, 2, 4, 3, 5, 1)
        .reshape(n, (long) g * g, (long) p * p * c);
  }

  /** The inverse of {@link #patchify}: N x L x (p*p*C) -> N x C x H x W. */
  public NDArray unpatchify(NDArray patches) {
    long n = patches.getShape().get(0);
    int c = config.channels();
    int p = config.patchSize();
    int g = config.gridSize();
    return patches
        .reshape(n, g, g, p, p, c)
        .transpose(0, 5, 1, 3, 2, 4)
        .reshape(n, c, (long) g * p, (long) g * p);
  }

  /**
   * The state dict as the reference's {@code state_dict()} names it, host copies, aliases included.
   */
  public Map<String, HostTensor> stateDict() {
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : params.all().entrySet()) {
      out.put(e.getKey(), Tensors.toHost(e.getValue()));
    }
    for (Map.Entry<String, String> a : params.aliases().entrySet()) {
      out.put(a.getKey(), out.get(a.getValue()));
    }
    return out;
  }

  /**
   * Copies the named tensors of {@code state} into this model's parameters, reporting missing and
   * unexpected names and shape mismatches as PyTorch's {@code load_state_dict} does.
   *
   * @param strict when true, any problem throws and nothing is loaded
   * @throws IllegalArgumentException in strict mode, listing every problem
   */
  public LoadReport load(Map<String, HostTensor> state, boolean strict) {
    List<String> missing = new ArrayList<>();
    List<String> unexpected = new ArrayList<>();
    List<String> mismatched = new ArrayList<>();
    Map<String, NDArray> targets = new LinkedHashMap<>(params.all());
    params.aliases().forEach((alias, target) -> targets.put(alias, params.all().get(target)));
    // NDArray.equals compares contents: key by identity
    Map<NDArray, HostTensor> toCopy = new IdentityHashMap<>();
    Map<NDArray, String> copyNames = new IdentityHashMap<>();
    for (Map.Entry<String, NDArray> e : targets.entrySet()) {
      HostTensor t = state.get(e.getKey());
      if (t == null) {
        missing.add(e.getKey());
        continue;
      }
      long[] want = e.getValue().getShape().getShape();
      if (!Arrays.equals(want, t.shape())) {
        mismatched.add(
            String.format(
                "%s: checkpoint %s, model %s",
                e.getKey(), Arrays.toString(t.shape()), Arrays.toString(want)));
        continue;
      }
      if (!params.aliases().containsKey(e.getKey()) || !toCopy.containsKey(e.getValue())) {
        toCopy.put(e.getValue(), t);
        copyNames.put(e.getValue(), e.getKey());
      }
    }
    for (String name : state.keySet()) {
      if (!targets.containsKey(name)) {
        unexpected.add(name);
      }
    }
    LoadReport report = new LoadReport(missing, unexpected, mismatched);
    if (strict && !report.isClean()) {
      throw new IllegalArgumentException("state dict does not match the model: " + report);
    }
    for (Map.Entry<NDArray, HostTensor> e : toCopy.entrySet()) {
      Tensors.copyInto(e.getKey(), e.getValue(), Objects.requireNonNull(copyNames.get(e.getKey())));
    }
    return report;
  }

  /** Frees the parameters' native memory. */
  @Override
  public void close() {
    manager.close();
  }
}
