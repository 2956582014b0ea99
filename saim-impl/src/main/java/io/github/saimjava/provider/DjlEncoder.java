package io.github.saimjava.provider;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.translate.Translator;
import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.api.spi.SaimProvider;
import io.github.saimjava.data.DecodedImage;
import io.github.saimjava.data.ImageFolderDataset;
import io.github.saimjava.data.Transforms;
import io.github.saimjava.downstream.FeatureRows;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.model.FrozenEncoder;
import io.github.saimjava.model.LoadReport;
import io.github.saimjava.model.ModelCheckpoint;
import io.github.saimjava.model.SaimModel;
import io.github.saimjava.model.Tensors;
import io.github.saimjava.onnx.OnnxFile;
import io.github.saimjava.onnx.VitOnnx;
import io.github.saimjava.train.Devices;
import io.github.saimjava.train.EngineThreads;
import io.github.saimjava.train.NoGrad;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The encoder on DJL: a {@link SaimModel} whose content stream runs without masks, loaded
 * non-strictly from a pre-training or fine-tuning checkpoint (the query decoder and heads are not
 * used and are reported as ignored; missing encoder weights are an error).
 */
final class DjlEncoder implements SaimProvider.Encoder {
  private final NDManager manager;
  private final SaimModel model;
  private final @Nullable FrozenEncoder frozen;
  private final SaimEncoder.Pooling pooling;

  /** The block whose output is pooled, 1..depth. */
  private final int layer;

  private final boolean l2;
  private final @Nullable NDArray fcNormWeight;
  private final @Nullable NDArray fcNormBias;
  private static final Logger LOG = LoggerFactory.getLogger(DjlEncoder.class);

  private final List<String> notes = new ArrayList<>();
  private final Model djlModel;

  DjlEncoder(SaimEncoder.Spec spec) throws IOException {
    Engine engine = EngineThreads.pytorch(spec.threads());
    // the CPU unless a device is asked for (checked against the GPUs the engine sees)
    Device device = spec.device() == null ? Device.cpu() : Devices.resolve(engine, spec.device());
    Map<String, HostTensor> weights = null;
    SaimConfig config = spec.config();
    Path file = spec.checkpoint();
    if (file != null) {
      ModelCheckpoint ckpt = ModelCheckpoint.read(file);
      weights = ckpt.weights();
      config = ckpt.configOr(config);
    }
    if (config == null) {
      throw new IllegalArgumentException("an encoder needs a checkpoint or a config");
    }
    // the DJL model owns all native memory, so closing it (directly or through a ZooModel) frees
    // everything
    this.djlModel = Model.newInstance("saim-encoder", device, "PyTorch");
    this.manager = djlModel.getNDManager().newSubManager();
    this.model = new SaimModel(config, manager, spec.seed(), spec.precision());
    this.pooling = spec.pooling();
    if (spec.layer() > config.depth()) {
      djlModel.close();
      throw new IllegalArgumentException(
          "layer "
              + spec.layer()
              + " is not in 1.."
              + config.depth()
              + " (the encoder's depth), or 0 for the last block");
    }
    this.layer = spec.layer() == 0 ? config.depth() : spec.layer();
    this.l2 = spec.l2Normalize();
    NDArray fw = null;
    NDArray fb = null;
    if (weights != null) {
      Map<String, HostTensor> w = new LinkedHashMap<>(weights);
      HostTensor fcw = w.remove("fc_norm.weight");
      HostTensor fcb = w.remove("fc_norm.bias");
      if (fcw != null && fcb != null) {
        fw = Tensors.toEngine(manager, fcw);
        fb = Tensors.toEngine(manager, fcb);
      }
      // the decoder's shapes (query depth, blur kernel, head) are not the encoder's business: a
      // checkpoint whose decoder differs from the configured one still gives the same encoder
      List<String> otherDecoder = new ArrayList<>();
      w.entrySet()
          .removeIf(
              e -> {
                NDArray p = isDecoder(e.getKey()) ? model.parameters().all().get(e.getKey()) : null;
                boolean other =
                    p != null && !Arrays.equals(p.getShape().getShape(), e.getValue().shape());
                if (other) {
                  otherDecoder.add(e.getKey());
                }
                return other;
              });
      LoadReport r = model.load(w, false);
      List<String> missingEncoder = new ArrayList<>();
      List<String> ignored = new ArrayList<>();
      // a fine-tuned global-pool model (as the reference's) has fc_norm instead of the final norm
      boolean globalPoolModel =
          fw != null && !w.containsKey("norm.weight") && !w.containsKey("norm.bias");
      if (globalPoolModel && pooling != SaimEncoder.Pooling.MEAN) {
        djlModel.close();
        throw new IllegalArgumentException(
            file
                + " is a fine-tuned global-pool model "
                + "(fc_norm, no final norm): use mean pooling (Pooling.MEAN)");
      }
      for (String m : r.missing()) {
        if (isDecoder(m) || m.equals("pos_embed") || (globalPoolModel && m.startsWith("norm."))) {
          ignored.add(m);
        } else {
          missingEncoder.add(m);
        }
      }
      if (!missingEncoder.isEmpty() || !r.shapeMismatches().isEmpty()) {
        djlModel.close();
        throw new IllegalArgumentException(
            file
                + " does not fit the encoder "
                + config
                + ": missing "
                + missingEncoder
                + ", shape mismatches "
                + r.shapeMismatches());
      }
      if (!otherDecoder.isEmpty()) {
        notes.add(
            "ignored (decoder tensors of another shape than the configured decoder's): "
                + summarise(otherDecoder));
      }
      if (!ignored.isEmpty()) {
        // an encoder-only checkpoint (every zoo encoder) lacks these by design: not worth a note
        LOG.debug("{}: not in the checkpoint, unused by the encoder: {}", file, summarise(ignored));
      }
      if (!r.unexpected().isEmpty()) {
        notes.add("ignored (not part of the encoder): " + summarise(r.unexpected()));
      }
      long decoderTensors = w.keySet().stream().filter(DjlEncoder::isDecoder).count();
      if (decoderTensors > 0) {
        notes.add(
            "loaded but unused: the query decoder and prediction head ("
                + decoderTensors
                + " tensors)");
      }
    } else {
      notes.add("random initialisation, seed " + spec.seed());
    }
    this.fcNormWeight = fw;
    this.fcNormBias = fb;
    // the weights are final from here on: where wanted (FrozenEncoder.PROPERTY, else the CPU kind)
    // the forward pass becomes one engine call
    this.frozen =
        FrozenEncoder.wanted(model.manager())
            ? model.freeze(FrozenEncoder.fusedAttentionByDefault())
            : null;
    this.djlModel.setBlock(new EncoderBlock(this));
  }

  private static boolean isDecoder(String name) {
    return name.startsWith("query_blocks.")
        || name.startsWith("prediction_head.")
        || name.equals("gaussian_blur.weight");
  }

  private static String summarise(List<String> names) {
    return names.size() <= 6
        ? names.toString()
        : names.subList(0, 6) + " and " + (names.size() - 6) + " more";
  }

  @Override
  public SaimConfig config() {
    return model.config();
  }

  @Override
  public int dimension() {
    return pooling == SaimEncoder.Pooling.CLS_MEAN
        ? 2 * model.config().width()
        : model.config().width();
  }

  @Override
  public List<String> loadNotes() {
    return List.copyOf(notes);
  }

  @Override
  public RawImage decode(Path file) {
    return ImageFolderDataset.decode(file).toRawImage();
  }

  @Override
  public float[][] embed(List<RawImage> images) {
    ensureOpen();
    try (NDManager step = manager.newSubManager()) {
      return rows(features(pixels(step, images)), images.size());
    }
  }

  @Override
  public float[][][] embedEveryLayer(List<RawImage> images) {
    ensureOpen();
    try (NDManager step = manager.newSubManager()) {
      List<NDArray> perBlock = featuresPerBlock(pixels(step, images), 1, model.config().depth());
      float[][][] out = new float[perBlock.size()][][];
      for (int k = 0; k < out.length; k++) {
        out[k] = rows(perBlock.get(k), images.size());
      }
      return out;
    }
  }

  @Override
  public float[][][] patchTokens(List<RawImage> images, int lastBlocks) {
    ensureOpen();
    SaimConfig c = model.config();
    int depth = c.depth();
    int patches = c.numPatches();
    int d = c.width();
    float[] flat;
    try (NDManager step = manager.newSubManager();
        NoGrad ng = NoGrad.enter();
        NDScope scope = new NDScope()) {
      NDArray x = pixels(step, images);
      List<NDArray> blocks = model.encodeBlocks(x, depth, false);
      NDArray sum = blocks.get(depth - lastBlocks);
      for (int k = depth - lastBlocks + 1; k < depth; k++) {
        sum = sum.add(blocks.get(k));
      }
      flat = sum.div(lastBlocks).get(":, 1:, :").toFloatArray();
    }
    float[][][] out = new float[images.size()][patches][d];
    for (int i = 0; i < out.length; i++) {
      for (int t = 0; t < patches; t++) {
        System.arraycopy(flat, (i * patches + t) * d, out[i][t], 0, d);
      }
    }
    return out;
  }

  /** The images preprocessed for the model, N x C x S x S, on {@code step}. */
  private NDArray pixels(NDManager step, List<RawImage> images) {
    SaimConfig c = model.config();
    int s = c.imageSize();
    int per = c.channels() * s * s;
    float[] px = new float[images.size() * per];
    for (int i = 0; i < images.size(); i++) {
      RawImage r = images.get(i);
      System.arraycopy(
          Transforms.centreCrop(DecodedImage.of(r), s, c.channels()), 0, px, i * per, per);
    }
    return step.create(px, new Shape(images.size(), c.channels(), s, s));
  }

  /** An N x D array as host rows, each L2-normalised when configured. */
  private float[][] rows(NDArray features, int n) {
    float[] flat = features.toFloatArray();
    int d = dimension();
    float[][] out = new float[n][d];
    for (int i = 0; i < n; i++) {
      System.arraycopy(flat, i * d, out[i], 0, d);
      if (l2) {
        FeatureRows.normalise(out[i], 0, d);
      }
    }
    return out;
  }

  /**
   * Pooled features of preprocessed images {@code N x C x S x S} after the configured block: {@code
   * N x dimension()}, attached to the images' manager. Runs without autograd; every intermediate is
   * freed.
   */
  NDArray features(NDArray x) {
    return featuresPerBlock(x, layer, layer).get(0);
  }

  /**
   * Pooled features after each of blocks {@code from..count} (1-based), from one forward pass, each
   * {@code N x dimension()} and attached to the images' manager.
   */
  List<NDArray> featuresPerBlock(NDArray x, int from, int count) {
    // the scope frees every array of the call, including those that ops on weights attach to the
    // weights' manager; only the results survive it
    try (NoGrad ng = NoGrad.enter();
        NDScope scope = new NDScope()) {
      List<NDArray> out = new ArrayList<>(count);
      List<NDArray> blocks =
          frozen != null
              ? frozen.encodeBlocks(x, from, count)
              : model.encodeBlocks(x, count, false).subList(from - 1, count);
      for (NDArray h : blocks) {
        NDArray f = pool(h, x.getManager());
        NDScope.unregister(f);
        f.attach(x.getManager());
        out.add(f);
      }
      return out;
    }
  }

  /** One block's tokens N x (L+1) x D pooled as configured: N x dimension(). */
  private NDArray pool(NDArray h, NDManager m) {
    return switch (pooling) {
      case CLS -> classToken(h);
      case MEAN -> meanOfPatches(h, m);
      case CLS_MEAN -> classToken(h).concat(meanOfPatches(h, m), 1);
    };
  }

  /** The final norm after any block: the encoder read as if it ended there. */
  private NDArray classToken(NDArray h) {
    return model.norm(h).get(":, 0, :");
  }

  private NDArray meanOfPatches(NDArray h, NDManager m) {
    SaimConfig c = model.config();
    NDArray avg = h.get(":, 1:, :").mean(new int[] {1});
    NDArray w = fcNormWeight != null ? fcNormWeight : m.ones(new Shape(c.width()));
    NDArray b = fcNormBias != null ? fcNormBias : m.zeros(new Shape(c.width()));
    return LayerNorm.layerNorm(avg, new Shape(c.width()), w, b, (float) c.layerNormEps())
        .singletonOrThrow();
  }

  boolean l2Normalize() {
    return l2;
  }

  @Override
  public Predictor<Image, float[]> newPredictor() {
    ensureOpen();
    return djlModel.newPredictor(new EncoderTranslator(this));
  }

  @Override
  public Model djlModel() {
    return djlModel;
  }

  @Override
  public Translator<Image, float[]> translator() {
    return new EncoderTranslator(this);
  }

  @Override
  public void exportOnnx(Path file, int opset) throws IOException {
    ensureOpen();
    Map<String, HostTensor> w = model.stateDict();
    if (fcNormWeight != null && fcNormBias != null) {
      w.put("fc_norm.weight", Tensors.toHost(fcNormWeight));
      w.put("fc_norm.bias", Tensors.toHost(fcNormBias));
    }
    OnnxFile.write(VitOnnx.encoder(w, model.config(), pooling, layer, l2, opset), file);
  }

  @Override
  public void close() {
    djlModel.close();
  }

  /**
   * Closed directly or through the DJL model ({@code toZooModel().close()}): say so, not DJL's bare
   * message.
   */
  void ensureOpen() {
    if (!manager.isOpen()) {
      throw SaimEncoder.closedError(model.config());
    }
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "DjlEncoder[%s, %s, block %d, %s]",
        model.config(),
        pooling,
        layer,
        model.precision());
  }
}
