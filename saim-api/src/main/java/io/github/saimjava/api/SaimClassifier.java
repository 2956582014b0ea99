package io.github.saimjava.api;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.repository.zoo.ZooModel;
import io.github.saimjava.api.spi.SaimProvider;
import io.github.saimjava.api.spi.ZooResolver;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * An image classifier on a SAIM encoder, as the reference's {@code models_vit.VisionTransformer}
 * evaluates one: a fine-tuned model ({@link Head#GLOBAL_POOL}: mean of the patch tokens, {@code
 * fc_norm}, {@code head}) or a linear-probed one ({@link Head#CLASS_TOKEN_BATCH_NORM}: class token,
 * {@code norm}, {@code BatchNorm1d(affine=False)} with its running statistics, {@code head.1}), or
 * an attentive probe saved by this project ({@link Head#ATTENTIVE}). The head kind follows from the
 * checkpoint's tensor names and the number of classes from the head's shape; the weights must fit
 * the architecture exactly (a strict load).
 *
 * <p>Images are preprocessed with the reference's evaluation transform: the shorter side resized to
 * {@code int(size / 0.875)} with Pillow's bicubic filter on the 8-bit image, a centre crop of the
 * model's size, ImageNet normalisation; grayscale is replicated to RGB and alpha dropped, as
 * Pillow's {@code convert('RGB')} does.
 *
 * <p>Labels: the ImageNet-1K names ({@link ImageNetClasses}) for a head of 1000 classes, the names
 * given to {@link Builder#labels} when there are any, else {@code "class <i>"}.
 *
 * <p>Thread-safe: one classifier may serve several threads at once. Holds native memory: close it;
 * any use after {@link #close()} throws {@link IllegalStateException}.
 */
public final class SaimClassifier implements AutoCloseable {
  /** How the encoder's tokens reach the classifier's head, named by the tensors that hold it. */
  public enum Head {
    /**
     * Mean of the patch tokens, then {@code fc_norm} and {@code head} (the reference's fine-tuning
     * default).
     */
    GLOBAL_POOL,
    /**
     * The class token after {@code norm}, then {@code head} (fine-tuning with {@code --cls_token}).
     */
    CLASS_TOKEN,
    /**
     * The class token after {@code norm}, then {@code head.0} ({@code BatchNorm1d(affine=False,
     * eps=1e-6)}, its running statistics) and the linear {@code head.1}: the reference's linear
     * probe.
     */
    CLASS_TOKEN_BATCH_NORM,
    /**
     * The patch tokens of the last block (or the average of the last K blocks' outputs), then AIM's
     * attentive probe: {@code head.bn} ({@code BatchNorm} without affine, its running statistics),
     * learned queries {@code head.cls_token} attending over the tokens ({@code head.q}, {@code
     * head.kv}), the linear {@code head.linear}; saved by {@code saim attnprobe --save-classifier}
     * ({@link SaimAttentiveProbe}). Has no ONNX export.
     */
    ATTENTIVE
  }

  /**
   * One of the top-k answers for an image.
   *
   * @param index the class index
   * @param label the class name
   * @param probability the softmax of the logits at {@code index}
   */
  public record Prediction(int index, String label, double probability) {}

  /**
   * What {@link Builder#build()} hands to the implementation: the builder's settings, resolved (a
   * zoo name becomes its weights file and architecture) and immutable.
   *
   * @param checkpoint the weights file (safetensors or a PyTorch {@code .pth})
   * @param config the architecture, or null to take the one the file records
   * @param device where to compute, or null for the engine's default device
   * @param precision the number format of the matrix multiplies
   * @param threads engine threads
   * @param source how the weights were named, for messages ({@code zoo:NAME} or the path)
   */
  public record Spec(
      Path checkpoint,
      @Nullable SaimConfig config,
      @Nullable Device device,
      Precision precision,
      int threads,
      String source) {
    /**
     * Checks the values.
     *
     * @param checkpoint the weights file (safetensors or a PyTorch {@code .pth})
     * @param config the architecture, or null to take the one the file records
     * @param device where to compute, or null for the engine's default device
     * @param precision the number format of the matrix multiplies
     * @param threads engine threads, positive
     * @param source how the weights were named, for messages ({@code zoo:NAME} or the path)
     * @throws IllegalArgumentException when {@code threads} is not positive
     */
    public Spec {
      Objects.requireNonNull(checkpoint, "checkpoint");
      Objects.requireNonNull(precision, "precision");
      Objects.requireNonNull(source, "source");
      Checks.check(threads > 0, "threads (%s) must be positive", threads);
    }
  }

  private final SaimProvider.Classifier delegate;
  private final Spec spec;
  private final @Nullable String zoo;
  private final @Nullable List<String> givenLabels;
  private final int batchSize;
  private final int topK;
  private final List<String> labels;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private boolean closed;

  private SaimClassifier(
      SaimProvider.Classifier delegate, Builder b, Spec spec, List<String> labels) {
    this.delegate = delegate;
    this.spec = spec;
    this.zoo = b.zoo;
    this.givenLabels = b.labels;
    this.batchSize = b.batchSize;
    this.topK = b.topK;
    this.labels = labels;
  }

  /** {@return a new builder: give it {@link Builder#zoo} or {@link Builder#checkpoint}} */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder holding this classifier's settings, to build another like it or vary some of them;
   * this classifier is not changed. A classifier built from a zoo name gives a builder with that
   * name (not the file it was resolved to); labels are those given, or none when they were the
   * default ones.
   *
   * @return a new builder with every setting of this classifier
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    if (zoo != null) {
      b.zoo = zoo;
    } else {
      b.checkpoint = spec.checkpoint();
      b.config = spec.config();
    }
    b.device = spec.device();
    b.precision = spec.precision();
    b.batchSize = batchSize;
    b.topK = topK;
    b.labels = givenLabels;
    b.threads = spec.threads();
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

  /** {@return the encoder's architecture} */
  public SaimConfig config() {
    return guarded(delegate::config);
  }

  /** {@return the head kind read from the checkpoint} */
  public Head head() {
    return guarded(delegate::head);
  }

  /** {@return the number of classes K (the head's output size)} */
  public int numClasses() {
    return guarded(delegate::numClasses);
  }

  /** {@return the K class names in class-index order} */
  public List<String> labels() {
    return guarded(() -> labels);
  }

  /** {@return how many answers {@link #classify(List)} gives per image} */
  public int topK() {
    return topK;
  }

  /**
   * Logits of images, batched, in order.
   *
   * @param images the images
   * @return the logits, {@code [image][class]}
   */
  public float[][] logits(List<RawImage> images) {
    return guarded(
        () -> {
          float[][] out = new float[images.size()][];
          for (int i = 0; i < images.size(); i += batchSize) {
            float[][] v =
                delegate.logits(images.subList(i, Math.min(images.size(), i + batchSize)));
            System.arraycopy(v, 0, out, i, v.length);
          }
          return out;
        });
  }

  /**
   * Logits {@code [image][class]} of image files (JPEG or PNG), batched, in order; the files of a
   * batch are decoded (in parallel) when it is computed.
   *
   * @param files the files
   * @return the logits, {@code [file][class]}
   * @throws IllegalArgumentException naming a file that cannot be decoded
   */
  public float[][] logitsOfFiles(List<Path> files) {
    return guarded(
        () -> {
          float[][] out = new float[files.size()][];
          for (int i = 0; i < files.size(); i += batchSize) {
            List<RawImage> chunk =
                files.subList(i, Math.min(files.size(), i + batchSize)).parallelStream()
                    .map(delegate::decode)
                    .toList();
            float[][] v = delegate.logits(chunk);
            System.arraycopy(v, 0, out, i, v.length);
          }
          return out;
        });
  }

  /**
   * The top-{@link #topK()} classes of each image, most probable first.
   *
   * @param images the images
   * @return one list of predictions per image, in order
   */
  public List<List<Prediction>> classify(List<RawImage> images) {
    return top(logits(images));
  }

  /**
   * The top-{@link #topK()} classes of one image, most probable first.
   *
   * @param image the image
   * @return its predictions
   */
  public List<Prediction> classify(RawImage image) {
    return classify(List.of(image)).get(0);
  }

  /**
   * The top-{@link #topK()} classes of each AWT image, most probable first.
   *
   * @param images the images
   * @return one list of predictions per image, in order
   */
  public List<List<Prediction>> classifyBufferedImages(List<BufferedImage> images) {
    return classify(images.stream().map(RawImage::of).toList());
  }

  /**
   * The top-{@link #topK()} classes of each DJL image, most probable first.
   *
   * @param images the images
   * @return one list of predictions per image, in order
   */
  public List<List<Prediction>> classifyImages(List<Image> images) {
    return classify(images.stream().map(RawImage::of).toList());
  }

  /**
   * The top-{@link #topK()} classes of each image file, most probable first.
   *
   * @param files the files (JPEG or PNG)
   * @return one list of predictions per file, in order
   * @throws IllegalArgumentException naming a file that cannot be decoded
   */
  public List<List<Prediction>> classifyFiles(List<Path> files) {
    return top(logitsOfFiles(files));
  }

  /**
   * The {@code k} most probable classes of each row of logits, most probable first (ties: lower
   * index first), with softmax probabilities computed in double precision.
   *
   * @param logits the logits, {@code [image][class]}, as {@link #logits(List)} gives them
   * @param k how many classes to keep per row (all of them when a row has fewer)
   * @return one list of predictions per row, in order
   */
  public List<List<Prediction>> top(float[][] logits, int k) {
    List<String> names = labels();
    List<List<Prediction>> out = new ArrayList<>(logits.length);
    for (float[] z : logits) {
      double[] p = softmax(z);
      Integer[] order = new Integer[z.length];
      for (int j = 0; j < order.length; j++) {
        order[j] = j;
      }
      Arrays.sort(
          order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
      List<Prediction> row = new ArrayList<>();
      for (int j = 0; j < Math.min(k, z.length); j++) {
        row.add(new Prediction(order[j], names.get(order[j]), p[order[j]]));
      }
      out.add(List.copyOf(row));
    }
    return out;
  }

  private List<List<Prediction>> top(float[][] logits) {
    return top(logits, topK);
  }

  /** {@code exp(z - max) / sum}, in double precision. */
  static double[] softmax(float[] z) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : z) {
      max = Math.max(max, v);
    }
    double[] p = new double[z.length];
    double sum = 0;
    for (int j = 0; j < z.length; j++) {
      p[j] = Math.exp(z[j] - max);
      sum += p[j];
    }
    for (int j = 0; j < z.length; j++) {
      p[j] /= sum;
    }
    return p;
  }

  /**
   * A DJL {@link ai.djl.inference.Predictor} from {@link Image} to {@link Classifications} (every
   * class with its probability; {@code topK} as configured), for code written against DJL's
   * inference API. Predictors are not thread-safe: use one per thread; close each, and close them
   * before this classifier.
   *
   * @return a new predictor
   */
  public Predictor<Image, Classifications> newPredictor() {
    return guarded(() -> delegate.newPredictor(labels, topK));
  }

  /**
   * This classifier as a DJL {@link ai.djl.repository.zoo.ZooModel} from {@link Image} to {@link
   * Classifications}; closing the returned model frees this classifier's weights too.
   *
   * @return the model, sharing this classifier's weights
   */
  public ZooModel<Image, Classifications> toZooModel() {
    return guarded(() -> new ZooModel<>(delegate.djlModel(), delegate.translator(labels, topK)));
  }

  /**
   * Writes this classifier as an ONNX model in {@link SaimEncoder#ONNX_OPSET}: see {@link
   * #exportOnnx(Path, int)}.
   *
   * @param file the {@code .onnx} file to write
   * @throws IOException naming the file when it cannot be written
   */
  public void exportOnnx(Path file) throws IOException {
    exportOnnx(file, SaimEncoder.ONNX_OPSET);
  }

  /**
   * Writes this classifier as an ONNX model that ONNX Runtime (or DJL's OnnxRuntime engine) runs
   * without PyTorch, computing {@link #logits(List)} in float32: input {@code pixels}, float32
   * {@code [batch, C, S, S]} after the evaluation transform (see the class comment); output {@code
   * logits}, {@code [batch, numClasses()]}. The metadata holds the preprocessing constants as
   * {@link SaimEncoder#exportOnnx(Path, int)} describes, and {@code saim.head}, {@code
   * saim.num_classes} and {@code saim.labels} (the {@link #labels()}, one a line). Opsets, weights
   * and the atomic write are as there.
   *
   * @param file the {@code .onnx} file to write
   * @param opset the ONNX opset, 17 to 21
   * @throws IllegalArgumentException when the opset cannot express the model or is out of range, or
   *     for an {@link Head#ATTENTIVE} head (no ONNX export yet)
   * @throws IOException naming the file when it cannot be written
   */
  public void exportOnnx(Path file, int opset) throws IOException {
    lock.readLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException("this SaimClassifier is closed");
      }
      delegate.exportOnnx(file, opset, labels);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** {@return what loading the weights reported, one line each (empty for a clean load)} */
  public List<String> loadNotes() {
    return guarded(delegate::loadNotes);
  }

  /** Frees the weights' native memory; waits for calls in progress. Closing twice does nothing. */
  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (!closed) {
        closed = true;
        delegate.close();
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  private <T> T guarded(Supplier<T> call) {
    lock.readLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException("this SaimClassifier is closed");
      }
      return call.get();
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Builds a {@link SaimClassifier} from a zoo name or a checkpoint file. */
  public static final class Builder {
    private @Nullable String zoo;
    private @Nullable Path checkpoint;
    private @Nullable SaimConfig config;
    private @Nullable Device device;
    private Precision precision = Precision.FP32;
    private int batchSize = 32;
    private int topK = 5;
    private @Nullable List<String> labels;
    private int threads = Runtime.getRuntime().availableProcessors();

    private Builder() {}

    /**
     * A classifier of the zoo by name, e.g. {@code saim_vit_base_patch16_224_in1k_ft} (needs
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
     * Weights: a classifier saved by the reference ({@code .pth}) or by this project ({@code
     * .safetensors}).
     *
     * @param file the weights file
     * @return this builder
     */
    public Builder checkpoint(@Nullable Path file) {
      checkpoint = file;
      return this;
    }

    /**
     * The encoder's architecture, needed for a file that records none (a reference {@code .pth}). A
     * zoo model brings its own: giving both is refused.
     *
     * @param v the value
     * @return this builder
     */
    public Builder config(@Nullable SaimConfig v) {
      config = v;
      return this;
    }

    /**
     * Where to compute (default: the engine's default device).
     *
     * @param v the value
     * @return this builder
     */
    public Builder device(@Nullable Device v) {
      device = v;
      return this;
    }

    /**
     * The number format of the matrix multiplies (default {@link Precision#FP32}, the reference's).
     *
     * @param v the value
     * @return this builder
     */
    public Builder precision(Precision v) {
      precision = Objects.requireNonNull(v, "precision");
      return this;
    }

    /**
     * Images per forward pass (default 32).
     *
     * @param v the value
     * @return this builder
     */
    public Builder batchSize(int v) {
      batchSize = v;
      return this;
    }

    /**
     * Answers per image from {@link SaimClassifier#classify(List)} and the DJL predictor (default
     * 5).
     *
     * @param v the value
     * @return this builder
     */
    public Builder topK(int v) {
      topK = v;
      return this;
    }

    /**
     * Class names in class-index order, one per class of the head (default: see the class comment).
     *
     * @param v the names, or null for the default
     * @return this builder
     */
    public Builder labels(@Nullable List<String> v) {
      labels = v == null ? null : List.copyOf(v);
      return this;
    }

    /**
     * Engine threads (default: all cores).
     *
     * @param v the value
     * @return this builder
     */
    public Builder threads(int v) {
      threads = v;
      return this;
    }

    /**
     * Resolves the weights, loads them strictly and builds.
     *
     * @return the classifier, owning native memory until closed
     * @throws IllegalArgumentException naming what is wrong: no or two weight sources, a setting
     *     out of range, a file that is not a classifier or does not fit the architecture, labels
     *     that do not match the number of classes
     * @throws IOException when the weights cannot be read (or, for a zoo name, obtained)
     */
    public SaimClassifier build() throws IOException {
      Checks.check(batchSize > 0, "batchSize (%s) must be positive", batchSize);
      Checks.check(topK > 0, "topK (%s) must be positive", topK);
      Checks.check(
          zoo == null || checkpoint == null,
          "zoo (%s) and checkpoint (%s): give one of them, not both",
          zoo,
          checkpoint);
      Checks.check(zoo == null || config == null, SaimEncoder.ZOO_WITH_CONFIG, zoo);
      Checks.check(
          zoo != null || checkpoint != null, "a classifier needs a zoo name or a checkpoint");
      Path file;
      SaimConfig arch = config;
      String source;
      if (zoo != null) {
        ZooResolver.Resolved r = ZooResolver.find(zoo);
        file = r.weights();
        arch = r.config();
        source = "zoo:" + zoo;
      } else {
        file = Objects.requireNonNull(checkpoint);
        source = file.toString();
      }
      Spec spec = new Spec(file, arch, device, precision, threads, source);
      SaimProvider.Classifier c = SaimProvider.load().newClassifier(spec);
      try {
        int k = c.numClasses();
        List<String> names;
        if (labels != null) {
          Checks.check(
              labels.size() == k,
              "%s labels given for a head of %s classes (%s)",
              labels.size(),
              k,
              source);
          names = labels;
        } else if (k == ImageNetClasses.COUNT) {
          names = ImageNetClasses.names();
        } else {
          List<String> n = new ArrayList<>(k);
          for (int i = 0; i < k; i++) {
            n.add("class " + i);
          }
          names = List.copyOf(n);
        }
        return new SaimClassifier(c, this, spec, names);
      } catch (RuntimeException e) {
        c.close();
        throw e;
      }
    }
  }
}
