package io.github.saimjava.api;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.repository.zoo.ZooModel;
import io.github.saimjava.api.spi.SaimProvider;
import io.github.saimjava.api.spi.ZooResolver;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A SAIM-pretrained (or randomly initialised) ViT encoder turning images into feature vectors, as
 * the paper uses it downstream: the encoder alone, without permutation masks, then either the class
 * token after the final LayerNorm ({@link Pooling#CLS}), the mean of the patch tokens through its
 * own LayerNorm ({@link Pooling#MEAN}), or both side by side ({@link Pooling#CLS_MEAN}).
 *
 * <p>Features are read after the last block by default. {@link Builder#layer(int)} reads them after
 * an earlier block {@code k} instead, as if the encoder were cut after block {@code k} and the same
 * pooling (with the same LayerNorm) followed; autoregressive image models often probe best at an
 * intermediate block (iGPT probes the best one). {@link #embedEveryLayer} gives every block's
 * features from one forward pass, to compare them.
 *
 * <p>Images are preprocessed as usual for ViT evaluation: the shorter side resized (bicubic) to
 * {@code size * 256 / 224}, a centre crop of the model's size, ImageNet normalisation; images no
 * larger than the model's input are zero-padded instead. Grayscale is replicated to RGB.
 *
 * <p>Thread-safe: one encoder may serve several threads at once (each call uses its own native
 * scratch memory, the weights are only read). Holds native memory: close it.
 */
public final class SaimEncoder implements AutoCloseable {
  /** How token features become one vector. */
  public enum Pooling {
    /** The class token after the final LayerNorm ({@code norm}). */
    CLS,
    /** The mean of the patch tokens, then a LayerNorm ({@code fc_norm}, identity if absent). */
    MEAN,
    /** {@link #CLS} followed by {@link #MEAN}: a vector of twice the width. */
    CLS_MEAN
  }

  /**
   * What {@link Builder#build()} hands to the implementation: the builder's settings, resolved (a
   * zoo name becomes its weights file and architecture) and immutable.
   *
   * @param config the architecture, or null to take the one the checkpoint records
   * @param checkpoint the weights file, or null for a random initialisation of {@code config}
   * @param seed the seed of a random initialisation
   * @param pooling how a block's tokens become one vector
   * @param layer the block to pool, 0 for the last
   * @param l2Normalize whether each vector is scaled to unit length
   * @param precision the number format of the encoder's matrix multiplies
   * @param threads the number of engine (intra-op) threads
   * @param device where the encoder computes; null for the CPU
   */
  public record Spec(
      @Nullable SaimConfig config,
      @Nullable Path checkpoint,
      long seed,
      Pooling pooling,
      int layer,
      boolean l2Normalize,
      Precision precision,
      int threads,
      @Nullable Device device) {
    /**
     * Checks the values.
     *
     * @param config the architecture, or null to take the one the checkpoint records
     * @param checkpoint the weights file, or null for a random initialisation of {@code config}
     * @param seed the seed of a random initialisation
     * @param pooling how a block's tokens become one vector
     * @param layer the block to pool, 0 for the last
     * @param l2Normalize whether each vector is scaled to unit length
     * @param precision the number format of the encoder's matrix multiplies
     * @param threads the number of engine (intra-op) threads
     * @param device where the encoder computes; null for the CPU
     */
    public Spec {
      Objects.requireNonNull(pooling, "pooling");
      Objects.requireNonNull(precision, "precision");
      Checks.check(threads > 0, "threads (%s) must be positive", threads);
      Checks.check(
          layer >= 0,
          "layer (%s) must be 1 to the encoder's depth, or 0 for the last block",
          layer);
      Checks.check(
          config != null || checkpoint != null,
          "an encoder needs a checkpoint, a zoo name or a config (for random initialisation)");
    }
  }

  private final SaimProvider.Encoder delegate;
  private final Spec spec;
  private final @Nullable String zoo;
  private final int batchSize;
  private volatile boolean closed;

  private SaimEncoder(
      SaimProvider.Encoder delegate, Spec spec, @Nullable String zoo, int batchSize) {
    this.delegate = delegate;
    this.spec = spec;
    this.zoo = zoo;
    this.batchSize = batchSize;
  }

  /**
   * The rule for a zoo name given with a config, the same for every builder (and saim-spark's
   * encoder spec): a zoo model brings its own architecture, so the pair is refused.
   */
  static final String ZOO_WITH_CONFIG =
      "a zoo model (%s) brings its own architecture: give no config";

  /** {@return a new builder: give it a checkpoint, a zoo name or a configuration and a seed} */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder holding this encoder's settings, to build another like it or vary some of them; this
   * encoder is not changed. An encoder built from a zoo name gives a builder with that name (not
   * the file it was resolved to), so that the name is resolved again.
   *
   * @return a new builder with every setting of this encoder
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    if (zoo != null) {
      b.zoo = zoo;
    } else {
      b.config = spec.config();
      b.checkpoint = spec.checkpoint();
    }
    b.seed = spec.seed();
    b.pooling = spec.pooling();
    b.layer = spec.layer();
    b.l2Normalize = spec.l2Normalize();
    b.precision = spec.precision();
    b.batchSize = batchSize;
    b.threads = spec.threads();
    b.device = spec.device();
    return b;
  }

  /** {@return the validated settings, as the implementation received them} */
  public Spec spec() {
    return spec;
  }

  /** {@return the number of images per forward pass} */
  public int batchSize() {
    return batchSize;
  }

  /** {@return the model's configuration} */
  public SaimConfig config() {
    return delegate.config();
  }

  /**
   * {@return the number format of the encoder's matrix multiplies (see {@link Builder#precision})}
   */
  public Precision precision() {
    return spec.precision();
  }

  /** {@return the length of the vectors} */
  public int dimension() {
    return delegate.dimension();
  }

  /** {@return what loading the weights reported (what was ignored or missing), one line each} */
  public List<String> loadNotes() {
    return delegate.loadNotes();
  }

  /**
   * Embeds images, batched; one vector per image, in order.
   *
   * @param images the images
   * @return one vector of {@link #dimension()} floats per image
   */
  public float[][] embed(List<RawImage> images) {
    ensureOpen();
    float[][] out = new float[images.size()][];
    for (int i = 0; i < images.size(); i += batchSize) {
      List<RawImage> chunk = images.subList(i, Math.min(images.size(), i + batchSize));
      float[][] v = delegate.embed(chunk);
      System.arraycopy(v, 0, out, i, v.length);
    }
    return out;
  }

  /**
   * Every block's features from one forward pass per batch: element {@code k - 1} holds, for each
   * image in order, the vector {@link #embed(List)} would give with {@code layer(k)} (same pooling
   * and L2 normalisation), for {@code k} in 1..depth. The configured {@link Builder#layer(int)}
   * does not matter here.
   *
   * @param images the images
   * @return the vectors, indexed by block (from 0 for block 1), image and dimension
   */
  public float[][][] embedEveryLayer(List<RawImage> images) {
    ensureOpen();
    int depth = delegate.config().depth();
    float[][][] out = new float[depth][images.size()][];
    for (int i = 0; i < images.size(); i += batchSize) {
      List<RawImage> chunk = images.subList(i, Math.min(images.size(), i + batchSize));
      float[][][] v = delegate.embedEveryLayer(chunk);
      for (int k = 0; k < depth; k++) {
        System.arraycopy(v[k], 0, out[k], i, v[k].length);
      }
    }
    return out;
  }

  /**
   * The patch tokens of the encoder's last block, or the average of the outputs of its last {@code
   * lastBlocks} blocks, as AIM's attentive probe reads them ({@link SaimAttentiveProbe}): for each
   * image in order, one row of the width per patch (the class token left out), before the final
   * norm and not L2-normalised. The configured layer and pooling do not matter here. The tokens of
   * N images take N x patches x width floats.
   *
   * @param images the images
   * @param lastBlocks how many of the last blocks' outputs to average, 1 to the depth
   * @return the tokens, indexed by image, patch and dimension
   * @throws IllegalArgumentException when {@code lastBlocks} is not in 1..depth
   */
  public float[][][] patchTokens(List<RawImage> images, int lastBlocks) {
    ensureOpen();
    int depth = delegate.config().depth();
    Checks.check(
        lastBlocks >= 1 && lastBlocks <= depth,
        "lastBlocks (%s) must be in 1..%s (the encoder's depth)",
        lastBlocks,
        depth);
    float[][][] out = new float[images.size()][][];
    for (int i = 0; i < images.size(); i += batchSize) {
      List<RawImage> chunk = images.subList(i, Math.min(images.size(), i + batchSize));
      float[][][] v = delegate.patchTokens(chunk, lastBlocks);
      System.arraycopy(v, 0, out, i, v.length);
    }
    return out;
  }

  /**
   * Embeds one image.
   *
   * @param image the image
   * @return its vector
   */
  public float[] embed(RawImage image) {
    return embed(List.of(image))[0];
  }

  /**
   * Embeds AWT images.
   *
   * @param images the images
   * @return one vector per image, in order
   */
  public float[][] embedBufferedImages(List<BufferedImage> images) {
    List<RawImage> raw = new ArrayList<>();
    images.forEach(b -> raw.add(RawImage.of(b)));
    return embed(raw);
  }

  /**
   * Embeds DJL images.
   *
   * @param images the images
   * @return one vector per image, in order
   */
  public float[][] embedImages(List<Image> images) {
    List<RawImage> raw = new ArrayList<>();
    images.forEach(b -> raw.add(RawImage.of(b)));
    return embed(raw);
  }

  /**
   * Embeds image files (JPEG or PNG).
   *
   * @param files the files
   * @return one vector per file, in order
   * @throws IllegalArgumentException naming a file that cannot be decoded
   */
  public float[][] embedFiles(List<Path> files) {
    ensureOpen();
    float[][] out = new float[files.size()][];
    for (int i = 0; i < files.size(); i += batchSize) {
      List<RawImage> chunk = new ArrayList<>();
      for (Path p : files.subList(i, Math.min(files.size(), i + batchSize))) {
        chunk.add(delegate.decode(p));
      }
      float[][] v = delegate.embed(chunk);
      System.arraycopy(v, 0, out, i, v.length);
    }
    return out;
  }

  /**
   * An image file and its vector, as {@link #embedFolder} gives them.
   *
   * @param file the image file
   * @param vector its vector of {@link #dimension()} floats
   */
  public record Embedded(Path file, float[] vector) {
    /**
     * Checks the values.
     *
     * @param file the image file
     * @param vector its vector
     */
    public Embedded {
      Objects.requireNonNull(file, "file");
      Objects.requireNonNull(vector, "vector");
    }
  }

  /**
   * Embeds every image of a folder, by the rules every entry point reads a folder by ({@link
   * ImageFiles}: {@code .jpg}, {@code .jpeg} and {@code .png} at any depth, names starting with a
   * dot left out, sorted by path), batched as {@link #embedFiles}.
   *
   * @param folder the folder
   * @return each image file with its vector, in the order of {@link ImageFiles#list}
   * @throws IllegalArgumentException naming the folder when it is missing or holds no images, or
   *     naming a file that cannot be decoded
   * @throws IOException when the folder cannot be listed
   */
  public List<Embedded> embedFolder(Path folder) throws IOException {
    ensureOpen();
    List<Path> files = ImageFiles.list(folder);
    Checks.check(!files.isEmpty(), "%s: no JPEG or PNG images found", folder);
    float[][] vectors = embedFiles(files);
    List<Embedded> out = new ArrayList<>(files.size());
    for (int i = 0; i < vectors.length; i++) {
      out.add(new Embedded(files.get(i), vectors[i]));
    }
    return List.copyOf(out);
  }

  /**
   * A DJL {@link ai.djl.inference.Predictor} from {@link Image} to feature vector, for code written
   * against DJL's inference API. Predictors are not thread-safe: use one per thread (or a pool);
   * close each, and close them before this encoder.
   *
   * @return a new predictor
   */
  public Predictor<Image, float[]> newPredictor() {
    ensureOpen();
    return delegate.newPredictor();
  }

  /**
   * This encoder as a DJL {@link ai.djl.repository.zoo.ZooModel} from {@link Image} to feature
   * vector; closing the returned model closes this encoder too.
   *
   * @return the model, sharing this encoder's weights
   */
  public ZooModel<Image, float[]> toZooModel() {
    ensureOpen();
    return new ZooModel<>(delegate.djlModel(), delegate.translator());
  }

  /**
   * Writes this encoder as an ONNX model in {@link #ONNX_OPSET}: see {@link #exportOnnx(Path,
   * int)}.
   *
   * @param file the {@code .onnx} file to write
   * @throws IOException naming the file when it cannot be written
   */
  public void exportOnnx(Path file) throws IOException {
    exportOnnx(file, ONNX_OPSET);
  }

  /**
   * Writes this encoder as an ONNX model that ONNX Runtime (or DJL's OnnxRuntime engine) runs
   * without PyTorch: the encoder without masks, stopped at the configured block, pooled and
   * optionally L2-normalised as {@link #embed(List)} computes it, in float32 whatever {@link
   * #precision()} is. Input {@code pixels}: float32 {@code [batch, C, S, S]}, images already
   * preprocessed (see the class comment); output {@code embedding}: {@code [batch, dimension()]};
   * the batch size is free. The model's metadata ({@code metadata_props}) holds what preprocessing
   * needs: {@code saim.image_size}, {@code saim.channels}, {@code saim.mean}, {@code saim.std},
   * {@code saim.crop_fraction}, {@code saim.resize}, and {@code saim.pooling}, {@code saim.layer},
   * {@code saim.l2_normalize}, {@code saim.dimension}, {@code saim.config}.
   *
   * <p>LayerNormalization is one ONNX operator, so the opset is 17 or later; from opset 20 GELU is
   * one operator too (before, it is the erf formula, which ONNX Runtime fuses into one kernel). The
   * weights are the graph's initializers; models over 2 GB keep them in {@code FILE.data} beside
   * the model. The file is replaced atomically: it is the old one or the complete new one.
   *
   * @param file the {@code .onnx} file to write
   * @param opset the ONNX opset, 17 to 21
   * @throws IllegalArgumentException when the opset cannot express the model or is out of range
   * @throws IOException naming the file when it cannot be written
   */
  public void exportOnnx(Path file, int opset) throws IOException {
    ensureOpen();
    delegate.exportOnnx(file, opset);
  }

  /** The opset {@link #exportOnnx(Path)} writes: the first in which the model is expressible. */
  public static final int ONNX_OPSET = 17;

  /**
   * Frees the weights' native memory; closing twice is harmless. Embedding afterwards is an {@link
   * IllegalStateException}.
   */
  @Override
  public void close() {
    closed = true;
    delegate.close();
  }

  private void ensureOpen() {
    if (closed) {
      throw closedError(delegate.config());
    }
  }

  /**
   * The error for an encoder used after {@link #close()}.
   *
   * @param config the closed encoder's architecture, named in the message
   * @return the error, to throw
   */
  public static IllegalStateException closedError(SaimConfig config) {
    return new IllegalStateException(
        "this SaimEncoder (width "
            + config.width()
            + ", depth "
            + config.depth()
            + ", "
            + config.imageSize()
            + " px) was closed: its weights are freed; use it only inside its "
            + "try-with-resources block (Kotlin: use {}), or build a new one");
  }

  /**
   * Builds a {@link SaimEncoder}: from a checkpoint, or from a configuration with random
   * initialisation.
   */
  public static final class Builder {
    private @Nullable SaimConfig config;
    private @Nullable Path checkpoint;
    private @Nullable String zoo;
    private long seed;
    private Pooling pooling = Pooling.CLS;
    private int layer;
    private boolean l2Normalize;
    private Precision precision = Precision.FP32;
    private int batchSize = 32;
    private int threads = Runtime.getRuntime().availableProcessors();
    private @Nullable Device device;

    private Builder() {}

    /**
     * The architecture (required for random initialisation and for checkpoints without one). A zoo
     * model brings its own: giving both is refused.
     *
     * @param v the value
     * @return this builder
     */
    public Builder config(@Nullable SaimConfig v) {
      config = v;
      return this;
    }

    /**
     * Weights: ours ({@code final.safetensors}, checkpoints) or a reference {@code .pth},
     * pre-training or fine-tuned.
     *
     * @param v the value
     * @return this builder
     */
    public Builder checkpoint(@Nullable Path v) {
      checkpoint = v;
      return this;
    }

    /**
     * A pretrained model of the zoo by name, e.g. {@code saim_vit_micro_patch4_32_fmnist} (needs
     * saim-zoo). The name brings the weights and the architecture: give neither a checkpoint nor a
     * config with it.
     *
     * @param name the zoo model's name
     * @return this builder
     */
    public Builder zoo(@Nullable String name) {
      zoo = name;
      return this;
    }

    /**
     * Seed of the random initialisation (without a checkpoint).
     *
     * @param v the value
     * @return this builder
     */
    public Builder seed(long v) {
      seed = v;
      return this;
    }

    /**
     * How the tokens become one vector (default {@link Pooling#CLS}).
     *
     * @param v the value
     * @return this builder
     */
    public Builder pooling(Pooling v) {
      pooling = Objects.requireNonNull(v, "pooling");
      return this;
    }

    /**
     * The block whose output is pooled, 1 (the first) to the encoder's depth; 0, the default, is
     * the last block. Checked against the depth when the encoder is built.
     *
     * @param v the value
     * @return this builder
     */
    public Builder layer(int v) {
      layer = v;
      return this;
    }

    /**
     * Scale each vector to unit length.
     *
     * @param v the value
     * @return this builder
     */
    public Builder l2Normalize(boolean v) {
      l2Normalize = v;
      return this;
    }

    /**
     * The number format of the encoder's matrix multiplies (default {@link Precision#FP32}, the
     * reference's numerics).
     *
     * <p>{@link Precision#BF16} runs the encoder's blocks in bfloat16 as pre-training's bf16 mode
     * does: the weights stay float32 and are rounded to bfloat16 at each use, while the patch
     * embedding, the pooling (with its LayerNorm) and the L2 normalisation stay float32. The
     * vectors come back as float32 either way. bfloat16 keeps 8 significant bits, so a vector
     * differs from its float32 counterpart by up to about 1e-2 of its length (0.4% to 0.9% on a
     * 4-block test encoder); that is the price of a speed-up on CPUs with bfloat16 instructions
     * (AVX-512 BF16 or AMX) and recent GPUs. Elsewhere the engine emulates bfloat16 and it is
     * slower than float32.
     *
     * @param v the value
     * @return this builder
     */
    public Builder precision(Precision v) {
      precision = Objects.requireNonNull(v, "precision");
      return this;
    }

    /**
     * Images per forward pass.
     *
     * @param v the value
     * @return this builder
     */
    public Builder batchSize(int v) {
      batchSize = v;
      return this;
    }

    /**
     * Engine threads.
     *
     * @param v the value
     * @return this builder
     */
    public Builder threads(int v) {
      threads = v;
      return this;
    }

    /**
     * Where the encoder computes, as {@code Device.cpu()} or {@code Device.gpu(0)}; null (the
     * default) for the CPU. A device the engine does not have is refused, naming it, when the
     * encoder is built.
     *
     * @param v the device, or null
     * @return this builder
     */
    public Builder device(@Nullable Device v) {
      device = v;
      return this;
    }

    /** {@return the architecture, when given} */
    public Optional<SaimConfig> config() {
      return Optional.ofNullable(config);
    }

    /** {@return the checkpoint to load, when given} */
    public Optional<Path> checkpoint() {
      return Optional.ofNullable(checkpoint);
    }

    /** {@return the seed of a random initialisation} */
    public long seed() {
      return seed;
    }

    /** {@return how a block's tokens become one vector} */
    public Pooling pooling() {
      return pooling;
    }

    /** {@return the block to pool, 0 for the last} */
    public int layer() {
      return layer;
    }

    /** {@return whether each vector is scaled to unit length} */
    public boolean l2Normalize() {
      return l2Normalize;
    }

    /** {@return the number format of the encoder's matrix multiplies} */
    public Precision precision() {
      return precision;
    }

    /** {@return the number of engine (intra-op) threads} */
    public int threads() {
      return threads;
    }

    /**
     * Loads the weights and builds. The builder is left as it was: it may build again.
     *
     * @return the encoder; close it to free its native memory
     * @throws IllegalArgumentException naming what is wrong (no config, a zoo name with a
     *     checkpoint or a config, a checkpoint of another shape)
     * @throws IOException when the checkpoint cannot be read
     */
    public SaimEncoder build() throws IOException {
      // the Spec checks the threads and the layer; the batch size and the zoo pairs are the
      // builder's, checked before a zoo name is looked up
      Checks.check(batchSize > 0, "batchSize (%s) must be positive", batchSize);
      SaimConfig arch = config;
      Path weights = checkpoint;
      if (zoo != null) {
        Checks.check(
            checkpoint == null,
            "zoo (%s) and checkpoint (%s): give one of them, not both",
            zoo,
            checkpoint);
        Checks.check(config == null, ZOO_WITH_CONFIG, zoo);
        ZooResolver.Resolved r = ZooResolver.find(zoo);
        weights = r.weights();
        arch = r.config();
      }
      Spec spec =
          new Spec(arch, weights, seed, pooling, layer, l2Normalize, precision, threads, device);
      return new SaimEncoder(SaimProvider.load().newEncoder(spec), spec, zoo, batchSize);
    }
  }
}
