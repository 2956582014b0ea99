package io.github.saimjava.provider;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import ai.djl.util.PairList;
import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimClassifier;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.spi.SaimProvider;
import io.github.saimjava.data.DecodedImage;
import io.github.saimjava.data.ImageFolderDataset;
import io.github.saimjava.data.ImageTransform;
import io.github.saimjava.data.Transforms;
import io.github.saimjava.downstream.ClassifierCheckpoint;
import io.github.saimjava.downstream.ClassifierModel;
import io.github.saimjava.onnx.OnnxFile;
import io.github.saimjava.onnx.VitOnnx;
import io.github.saimjava.train.Devices;
import io.github.saimjava.train.EngineThreads;
import io.github.saimjava.train.NoGrad;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * The classifier on DJL: a {@link ClassifierModel} (a ViT classifier or an attentive probe) loaded
 * strictly from a {@link ClassifierCheckpoint}, images through the reference's evaluation transform
 * ({@link Transforms#evaluation}), logits out.
 */
final class DjlClassifier implements SaimProvider.Classifier {
  private final ClassifierModel model;
  private final Path file;
  private final Model djlModel;
  private final ImageTransform transform;

  DjlClassifier(SaimClassifier.Spec spec) throws IOException {
    Engine engine = EngineThreads.pytorch(spec.threads());
    ClassifierCheckpoint ckpt = ClassifierCheckpoint.read(spec.checkpoint());
    this.file = spec.checkpoint();
    Device device = Devices.resolve(engine, spec.device());
    // the DJL model owns all native memory, so closing it (directly or through a ZooModel) frees
    // everything
    this.djlModel = Model.newInstance("saim-classifier", device, "PyTorch");
    try {
      this.model =
          ClassifierModel.load(ckpt, spec.config(), djlModel.getNDManager(), spec.precision());
    } catch (RuntimeException e) {
      djlModel.close();
      throw e;
    }
    // inference only from here on: the encoder's forward pass becomes one engine call
    model.freeze();
    SaimConfig c = model.config();
    this.transform = Transforms.evaluation(c.imageSize(), c.channels());
    djlModel.setBlock(new Block(this));
  }

  @Override
  public SaimConfig config() {
    return model.config();
  }

  @Override
  public SaimClassifier.Head head() {
    return model.head();
  }

  @Override
  public int numClasses() {
    return model.numClasses();
  }

  @Override
  public List<String> loadNotes() {
    return List.of();
  }

  @Override
  public RawImage decode(Path file) {
    return ImageFolderDataset.decode(file).toRawImage();
  }

  /** One image after the evaluation transform: {@code C x S x S} normalised floats. */
  float[] preprocess(RawImage image) {
    return transform.apply(DecodedImage.of(image), 0, 0, 0);
  }

  @Override
  public float[][] logits(List<RawImage> images) {
    SaimConfig c = model.config();
    int per = transform.outputLength();
    float[] px = new float[images.size() * per];
    // resizing is the costly part on the host: one image per core
    IntStream.range(0, images.size())
        .parallel()
        .forEach(i -> System.arraycopy(preprocess(images.get(i)), 0, px, i * per, per));
    int k = model.numClasses();
    float[] z;
    try (NDManager step = djlModel.getNDManager().newSubManager()) {
      z =
          forward(
                  step.create(
                      px, new Shape(images.size(), c.channels(), c.imageSize(), c.imageSize())))
              .toFloatArray();
    }
    float[][] out = new float[images.size()][k];
    for (int i = 0; i < out.length; i++) {
      System.arraycopy(z, i * k, out[i], 0, k);
    }
    return out;
  }

  /**
   * Logits {@code N x K} of preprocessed images {@code N x C x S x S}, attached to the images'
   * manager; without autograd, every intermediate freed.
   */
  NDArray forward(NDArray x) {
    try (NoGrad ng = NoGrad.enter();
        NDScope scope = new NDScope()) {
      NDArray z = model.logits(x);
      NDScope.unregister(z);
      z.attach(x.getManager());
      return z;
    }
  }

  @Override
  public Predictor<Image, Classifications> newPredictor(List<String> labels, int topK) {
    return djlModel.newPredictor(translator(labels, topK));
  }

  @Override
  public Model djlModel() {
    return djlModel;
  }

  @Override
  public Translator<Image, Classifications> translator(List<String> labels, int topK) {
    return new ClassifierTranslator(this, labels, topK);
  }

  @Override
  public void exportOnnx(Path file, int opset, List<String> labels) throws IOException {
    if (model.head() == SaimClassifier.Head.ATTENTIVE) {
      throw new IllegalArgumentException(
          this.file
              + ": __metadata__ '"
              + ClassifierCheckpoint.FORMAT
              + "' is "
              + ClassifierCheckpoint.ATTENTIVE_FORMAT
              + ", an attentive-probe classifier, which has no ONNX export yet");
    }
    OnnxFile.write(
        VitOnnx.classifier(model.stateDict(), model.config(), model.head(), labels, opset), file);
  }

  @Override
  public void close() {
    djlModel.close();
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "DjlClassifier[%s, %s, %d classes]",
        model.config(),
        model.head(),
        model.numClasses());
  }

  /**
   * The classifier as a DJL block: preprocessed images {@code B x C x S x S} in, logits {@code B x
   * K} out.
   */
  static final class Block extends AbstractBlock {
    private final DjlClassifier classifier;

    Block(DjlClassifier classifier) {
      super((byte) 1);
      this.classifier = classifier;
    }

    @Override
    protected NDList forwardInternal(
        ParameterStore parameterStore,
        NDList inputs,
        boolean training,
        PairList<String, Object> params) {
      return new NDList(classifier.forward(inputs.singletonOrThrow()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
      return new Shape[] {new Shape(inputShapes[0].get(0), classifier.numClasses())};
    }
  }

  /**
   * DJL translator from an {@link Image} to its {@link Classifications}: the reference's evaluation
   * transform in, softmax over the logits out, every class listed. Batches stack.
   */
  static final class ClassifierTranslator implements Translator<Image, Classifications> {
    private final DjlClassifier classifier;
    private final List<String> labels;
    private final int topK;

    ClassifierTranslator(DjlClassifier classifier, List<String> labels, int topK) {
      this.classifier = classifier;
      this.labels = List.copyOf(labels);
      this.topK = topK;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, Image input) {
      SaimConfig c = classifier.config();
      float[] px = classifier.preprocess(RawImage.of(input));
      return new NDList(
          ctx.getNDManager().create(px, new Shape(c.channels(), c.imageSize(), c.imageSize())));
    }

    @Override
    public Classifications processOutput(TranslatorContext ctx, NDList list) {
      float[] z = list.singletonOrThrow().toFloatArray();
      double max = Double.NEGATIVE_INFINITY;
      for (float v : z) {
        max = Math.max(max, v);
      }
      double sum = 0;
      double[] e = new double[z.length];
      for (int j = 0; j < z.length; j++) {
        e[j] = Math.exp(z[j] - max);
        sum += e[j];
      }
      List<Double> p = new ArrayList<>(z.length);
      for (double v : e) {
        p.add(v / sum);
      }
      Classifications out = new Classifications(labels, p);
      out.setTopK(topK);
      return out;
    }
  }
}
