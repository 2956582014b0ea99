package io.github.saimjava.provider;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.gson.JsonObject;
import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimClassifier;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.data.DecodedImage;
import io.github.saimjava.data.ImageFolderDataset;
import io.github.saimjava.data.Transforms;
import io.github.saimjava.train.ReferenceCheck;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The ONNX exports against our engine: ONNX Runtime's Java API (its graph optimisations on, as a
 * deployment runs it) must give the vectors and logits our engine gives for the same preprocessed
 * pixels, within {@link #TOLERANCE} relative error per image, at batch sizes 1, 3 and 8 from one
 * file (the batch axis is free).
 */
class OnnxExportTest {
  /** ‖ours − ONNX Runtime‖ / ‖ours‖ allowed per vector: float32 rounding of a few blocks. */
  static final double TOLERANCE = 1e-5;

  static final int[] BATCHES = {1, 3, 8};

  @TempDir Path tmp;

  /**
   * A session of ONNX Runtime on one thread (the tests share two cores). DJL's engine creates the
   * process's one ONNX Runtime environment with options of its own and fails if one exists, so it
   * is started first and the raw API then shares its environment.
   */
  static OrtSession session(Path file) throws OrtException {
    Engine.getEngine("OnnxRuntime");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setIntraOpNumThreads(1);
      o.setInterOpNumThreads(1);
      return env.createSession(file.toString(), o);
    }
  }

  /** Runs {@code session} on {@code n} images of {@code pixels} ({@code n x per} floats). */
  static float[][] run(OrtSession session, float[] pixels, int n, int channels, int size)
      throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OnnxTensor x =
            OnnxTensor.createTensor(
                env, FloatBuffer.wrap(pixels), new long[] {n, channels, size, size});
        OrtSession.Result r = session.run(Map.of("pixels", x))) {
      return (float[][]) r.get(0).getValue();
    }
  }

  /** The largest per-row ‖a − b‖ / ‖a‖. */
  static double worst(float[][] ours, float[][] ort) {
    assertEquals(ours.length, ort.length);
    double w = 0;
    for (int i = 0; i < ours.length; i++) {
      assertEquals(ours[i].length, ort[i].length);
      w = Math.max(w, ReferenceCheck.relativeError(ort[i], ours[i]));
    }
    return w;
  }

  /** Images of the embedded Fashion-MNIST test set, as RawImages. */
  static List<RawImage> images(int n) {
    return SaimEncoderTest.images(n);
  }

  /** What the encoder's preprocessing makes of {@code images}, flat. */
  static float[] encoderPixels(List<RawImage> images, SaimConfig c) {
    int per = c.channels() * c.imageSize() * c.imageSize();
    float[] px = new float[images.size() * per];
    for (int i = 0; i < images.size(); i++) {
      float[] one = Transforms.centreCrop(DecodedImage.of(images.get(i)), c.imageSize(), 3);
      System.arraycopy(one, 0, px, i * per, per);
    }
    return px;
  }

  /** Checks the export of {@code encoder} at every batch size; returns the worst error. */
  static double checkEncoder(SaimEncoder encoder, Path file, String what) throws Exception {
    SaimConfig c = encoder.config();
    double worst = 0;
    try (OrtSession s = session(file)) {
      for (int n : BATCHES) {
        List<RawImage> imgs = images(n);
        float[][] ours = encoder.embed(imgs);
        float[][] ort = run(s, encoderPixels(imgs, c), n, c.channels(), c.imageSize());
        worst = Math.max(worst, worst(ours, ort));
      }
    }
    System.out.printf(Locale.ROOT, "onnx %s: max relative error %.3g%n", what, worst);
    assertTrue(worst <= TOLERANCE, what + ": relative error " + worst);
    return worst;
  }

  @ParameterizedTest
  @CsvSource({
    "CLS, 0, false, 17",
    "MEAN, 0, false, 17",
    "CLS_MEAN, 0, true, 17",
    "CLS, 1, true, 18",
    "CLS_MEAN, 0, false, 20",
    "MEAN, 2, true, 21"
  })
  void randomInitEncoderMatchesOnnxRuntime(
      SaimEncoder.Pooling pooling, int layer, boolean l2, int opset) throws Exception {
    try (SaimEncoder e =
        SaimEncoder.builder()
            .config(SaimEncoderTest.TINY)
            .seed(11)
            .pooling(pooling)
            .layer(layer)
            .l2Normalize(l2)
            .threads(1)
            .build()) {
      Path file = tmp.resolve("encoder.onnx");
      e.exportOnnx(file, opset);
      checkEncoder(e, file, pooling + " layer " + layer + " l2 " + l2 + " opset " + opset);
    }
  }

  @ParameterizedTest
  @CsvSource({"tiny, 17", "hidden, 20"})
  void fineTunedCheckpointAsEncoderMatchesOnnxRuntime(String name, int opset) throws Exception {
    Path dir = ClassifierParityTest.fixture(name);
    JsonObject m = ClassifierParityTest.meta(dir);
    try (SaimEncoder e =
        SaimEncoder.builder()
            .checkpoint(dir.resolve("finetune.pth"))
            .config(ClassifierParityTest.config(m))
            .pooling(SaimEncoder.Pooling.MEAN)
            .threads(1)
            .build()) {
      Path file = tmp.resolve(name + ".onnx");
      e.exportOnnx(file, opset);
      checkEncoder(e, file, name + " fine-tuned, mean pooling, fc_norm");
    }
  }

  @ParameterizedTest
  @CsvSource({
    "tiny, finetune, 17",
    "tiny, linprobe, 17",
    "hidden, finetune, 20",
    "hidden, linprobe, 18"
  })
  void classifierLogitsAndTop1MatchOnnxRuntime(String name, String kind, int opset)
      throws Exception {
    Path dir = ClassifierParityTest.fixture(name);
    JsonObject m = ClassifierParityTest.meta(dir);
    SaimConfig c = ClassifierParityTest.config(m);
    List<Path> files = ClassifierParityTest.files(dir, m);
    try (SaimClassifier cl =
        SaimClassifier.builder()
            .checkpoint(dir.resolve(kind + ".pth"))
            .config(c)
            .threads(1)
            .build()) {
      Path file = tmp.resolve(kind + ".onnx");
      cl.exportOnnx(file, opset);
      float[][] ours = cl.logitsOfFiles(files);
      int per = 3 * c.imageSize() * c.imageSize();
      float[] px = new float[files.size() * per];
      for (int i = 0; i < files.size(); i++) {
        float[] one =
            Transforms.evaluation(c.imageSize(), 3)
                .apply(ImageFolderDataset.decode(files.get(i)), 0, 0, 0);
        System.arraycopy(one, 0, px, i * per, per);
      }
      float[][] ort;
      try (OrtSession s = session(file)) {
        ort = run(s, px, files.size(), 3, c.imageSize());
        assertEquals(
            String.join("\n", cl.labels()), s.getMetadata().getCustomMetadata().get("saim.labels"));
      }
      double err = worst(ours, ort);
      System.out.printf(
          Locale.ROOT, "onnx %s/%s: logits max relative error %.3g%n", name, kind, err);
      assertTrue(err <= TOLERANCE, name + "/" + kind + ": relative error " + err);
      for (int i = 0; i < files.size(); i++) {
        assertEquals(argmax(ours[i]), argmax(ort[i]), files.get(i).getFileName().toString());
      }
    }
  }

  static int argmax(float[] z) {
    int best = 0;
    for (int j = 1; j < z.length; j++) {
      if (z[j] > z[best]) {
        best = j;
      }
    }
    return best;
  }

  @Test
  void metadataCarriesThePreprocessingAndTheBatchAxisIsFree() throws Exception {
    try (SaimEncoder e =
        SaimEncoder.builder()
            .config(SaimEncoderTest.TINY)
            .pooling(SaimEncoder.Pooling.CLS_MEAN)
            .threads(1)
            .build()) {
      Path file = tmp.resolve("e.onnx");
      e.exportOnnx(file);
      try (OrtSession s = session(file)) {
        Map<String, String> meta = s.getMetadata().getCustomMetadata();
        assertEquals("32", meta.get("saim.image_size"));
        assertEquals("0.485,0.456,0.406", meta.get("saim.mean"));
        assertEquals("0.229,0.224,0.225", meta.get("saim.std"));
        assertEquals("0.875", meta.get("saim.crop_fraction"));
        assertEquals("36", meta.get("saim.resize"));
        assertEquals("cls_mean", meta.get("saim.pooling"));
        assertEquals("96", meta.get("saim.dimension"));
        var in = (ai.onnxruntime.TensorInfo) s.getInputInfo().get("pixels").getInfo();
        assertArrayEquals(new long[] {-1, 3, 32, 32}, in.getShape());
        var out = (ai.onnxruntime.TensorInfo) s.getOutputInfo().get("embedding").getInfo();
        assertArrayEquals(new long[] {-1, 96}, out.getShape());
      }
    }
  }

  @Test
  void loadsInDjlsOnnxRuntimeEngineWhilePyTorchStaysTheDefault() throws Exception {
    SaimConfig c = SaimEncoderTest.TINY;
    try (SaimEncoder e = SaimEncoder.builder().config(c).seed(5).threads(1).build()) {
      Path file = tmp.resolve("djl").resolve("encoder.onnx");
      e.exportOnnx(file);
      List<RawImage> imgs = images(3);
      float[][] ours = e.embed(imgs);
      Criteria<NDList, NDList> criteria =
          Criteria.builder()
              .setTypes(NDList.class, NDList.class)
              .optModelPath(file)
              .optEngine("OnnxRuntime")
              .build();
      float[][] djl = new float[3][];
      try (ZooModel<NDList, NDList> model = criteria.loadModel();
          Predictor<NDList, NDList> p = model.newPredictor();
          NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu(), "OnnxRuntime")) {
        assertEquals("OnnxRuntime", model.getNDManager().getEngine().getEngineName());
        float[] px = encoderPixels(imgs, c);
        NDList out =
            p.predict(new NDList(m.create(px, new Shape(3, 3, c.imageSize(), c.imageSize()))));
        float[] flat = out.singletonOrThrow().toFloatArray();
        for (int i = 0; i < 3; i++) {
          djl[i] = java.util.Arrays.copyOfRange(flat, i * 48, (i + 1) * 48);
        }
      }
      double err = worst(ours, djl);
      System.out.printf(Locale.ROOT, "onnx via DJL's OnnxRuntime engine: %.3g%n", err);
      assertTrue(err <= TOLERANCE, "relative error " + err);
    }
    // the ONNX Runtime engine on the class path takes nothing from the rest of the library
    assertEquals("PyTorch", Engine.getDefaultEngineName());
    assertEquals("PyTorch", Engine.getInstance().getEngineName());
  }

  @Test
  void anOpsetThatCannotExpressTheModelIsRefusedAndNothingIsWritten() throws Exception {
    try (SaimEncoder e = SaimEncoder.builder().config(SaimEncoderTest.TINY).threads(1).build()) {
      Path file = tmp.resolve("old.onnx");
      IllegalArgumentException x =
          assertThrows(IllegalArgumentException.class, () -> e.exportOnnx(file, 14));
      assertTrue(x.getMessage().startsWith("opset 14 cannot express the model"), x.getMessage());
      assertThrows(IllegalArgumentException.class, () -> e.exportOnnx(file, 99));
      assertFalse(Files.exists(file));
    }
  }

  @Test
  void anUnwritableOutputNamesTheFileAndLeavesNoPartialModel() throws Exception {
    try (SaimEncoder e = SaimEncoder.builder().config(SaimEncoderTest.TINY).threads(1).build()) {
      Path notAFolder = tmp.resolve("plain-file");
      Files.writeString(notAFolder, "x");
      Path file = notAFolder.resolve("encoder.onnx");
      java.io.IOException x = assertThrows(java.io.IOException.class, () -> e.exportOnnx(file));
      assertTrue(x.getMessage().contains(file.toString()), x.getMessage());
      List<Path> left = new ArrayList<>();
      try (var s = Files.list(tmp)) {
        s.forEach(left::add);
      }
      assertEquals(List.of(notAFolder), left);
    }
  }
}
