package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.DeferredTranslatorFactory;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimClassifier;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.data.Datasets;
import io.github.saimjava.data.DecodedImage;
import io.github.saimjava.data.IdxDataset;
import io.github.saimjava.data.Transforms;
import io.github.saimjava.train.ReferenceCheck;
import java.io.Reader;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code saim export}: the zoo's Fashion-MNIST encoders and the reference's classifiers exported
 * from the command line and run by ONNX Runtime must give what our engine gives (1e-5 relative per
 * vector, batch sizes 1, 3 and 8); the DJL Serving folder loads as DJL Serving loads it and
 * classifies; bad input is one line and exit code 2 with no model written.
 */
class ExportCommandTest {
  static final double TOLERANCE = 1e-5;

  @TempDir Path tmp;

  static OrtSession session(Path file) throws Exception {
    // DJL's engine creates the process's ONNX Runtime environment with options of its own, and
    // refuses to start after another: it goes first, the raw API then shares its environment
    Engine.getEngine("OnnxRuntime");
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setIntraOpNumThreads(1);
      return OrtEnvironment.getEnvironment().createSession(file.toString(), o);
    }
  }

  static List<RawImage> images(int n) {
    IdxDataset d = Datasets.embeddedTest();
    List<RawImage> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      DecodedImage img = d.image(i);
      out.add(new RawImage(img.width(), img.height(), img.channels(), img.pixels()));
    }
    return out;
  }

  @ParameterizedTest
  @CsvSource({
    "saim_vit_micro_patch4_32_fmnist, cls, 17",
    "saim_vit_mini_patch4_32_fmnist, cls, 17",
    "saim_vit_mini_patch4_32_fmnist, cls_mean, 20"
  })
  void zooEncoderExportMatchesOurEngine(String zoo, String pooling, int opset) throws Exception {
    Path file = tmp.resolve(zoo + ".onnx");
    CliTestSupport.Result r =
        CliTestSupport.run(
            "export",
            "--zoo",
            zoo,
            "--pooling",
            pooling,
            "--opset",
            String.valueOf(opset),
            "--output",
            file.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("wrote the encoder"), r.out());
    double worst = 0;
    try (SaimEncoder e =
            SaimEncoder.builder()
                .zoo(zoo)
                .pooling(SaimEncoder.Pooling.valueOf(pooling.toUpperCase(Locale.ROOT)))
                .threads(1)
                .build();
        OrtSession s = session(file)) {
      SaimConfig c = e.config();
      int per = c.channels() * c.imageSize() * c.imageSize();
      for (int n : new int[] {1, 3, 8}) {
        List<RawImage> imgs = images(n);
        float[][] ours = e.embed(imgs);
        float[] px = new float[n * per];
        for (int i = 0; i < n; i++) {
          float[] one =
              Transforms.centreCrop(DecodedImage.of(imgs.get(i)), c.imageSize(), c.channels());
          System.arraycopy(one, 0, px, i * per, per);
        }
        float[][] ort;
        try (OnnxTensor x =
                OnnxTensor.createTensor(
                    OrtEnvironment.getEnvironment(),
                    FloatBuffer.wrap(px),
                    new long[] {n, c.channels(), c.imageSize(), c.imageSize()});
            OrtSession.Result res = s.run(Map.of("pixels", x))) {
          ort = (float[][]) res.get(0).getValue();
        }
        for (int i = 0; i < n; i++) {
          worst = Math.max(worst, ReferenceCheck.relativeError(ort[i], ours[i]));
        }
      }
    }
    System.out.printf(
        Locale.ROOT, "saim export %s %s: max relative error %.3g%n", zoo, pooling, worst);
    assertTrue(worst <= TOLERANCE, "relative error " + worst);
  }

  /** The {@code tiny} classifier fixture's files and its architecture flags. */
  static List<String> tinyClassifier(String kind) throws Exception {
    Path dir = ClassifyCommandTest.FIXTURES.resolve("tiny");
    List<String> a =
        new ArrayList<>(List.of("--checkpoint", dir.resolve(kind + ".pth").toString()));
    a.addAll(ClassifyCommandTest.archFlags(ClassifyCommandTest.meta(dir)));
    return a;
  }

  /** The architecture of a classifier fixture. */
  static SaimConfig config(JsonObject m) {
    int depth = m.get("depth").getAsInt();
    return SaimConfig.builder()
        .imageSize(m.get("input_size").getAsInt())
        .patchSize(m.get("patch_size").getAsInt())
        .width(m.get("embed_dim").getAsInt())
        .depth(depth)
        .queryDepth(depth)
        .heads(m.get("num_heads").getAsInt())
        .build();
  }

  static List<Path> tinyImages() throws Exception {
    Path dir = ClassifyCommandTest.FIXTURES.resolve("tiny");
    List<Path> files = new ArrayList<>();
    for (var f : ClassifyCommandTest.meta(dir).getAsJsonArray("files")) {
      files.add(dir.resolve("images").resolve(f.getAsString()));
    }
    return files;
  }

  @ParameterizedTest
  @CsvSource({"finetune", "linprobe"})
  void djlServingFolderLoadsAsTheServerLoadsItAndClassifies(String kind) throws Exception {
    Path dir = tmp.resolve("saim_tiny_" + kind);
    List<String> a = new ArrayList<>(List.of("export"));
    a.addAll(tinyClassifier(kind));
    a.addAll(List.of("--format", "djl-serving", "--output", dir.toString()));
    CliTestSupport.Result r = CliTestSupport.run(a.toArray(String[]::new));
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(Files.isRegularFile(dir.resolve("model.onnx")));
    Properties props = new Properties();
    try (Reader in = Files.newBufferedReader(dir.resolve("serving.properties"))) {
      props.load(in);
    }
    assertEquals("OnnxRuntime", props.getProperty("engine"));
    List<Path> files = tinyImages();
    int[] ours;
    List<String> labels;
    Path dirFx = ClassifyCommandTest.FIXTURES.resolve("tiny");
    try (SaimClassifier c =
        SaimClassifier.builder()
            .checkpoint(dirFx.resolve(kind + ".pth"))
            .config(config(ClassifyCommandTest.meta(dirFx)))
            .threads(1)
            .build()) {
      labels = c.labels();
      ours = c.classifyFiles(files).stream().mapToInt(p -> p.get(0).index()).toArray();
    }
    // as DJL Serving's model loader: the folder's URL, the engine its serving.properties names,
    // the translator deferred to the translatorFactory there; requests in, JSON out
    Criteria<Input, Output> serving =
        Criteria.builder()
            .setTypes(Input.class, Output.class)
            .optModelUrls(dir.toUri().toString())
            .optEngine(props.getProperty("engine"))
            .optTranslatorFactory(new DeferredTranslatorFactory())
            .build();
    try (ZooModel<Input, Output> model = serving.loadModel();
        Predictor<Input, Output> p = model.newPredictor()) {
      assertEquals("OnnxRuntime", model.getNDManager().getEngine().getEngineName());
      for (int i = 0; i < files.size(); i++) {
        Input in = new Input();
        in.add("data", Files.readAllBytes(files.get(i)));
        Output out = p.predict(in);
        assertEquals(200, out.getCode(), out.getMessage());
        JsonArray json = JsonParser.parseString(out.getData().getAsString()).getAsJsonArray();
        JsonObject best = json.get(0).getAsJsonObject();
        assertEquals(
            labels.get(ours[i]),
            best.get("className").getAsString(),
            files.get(i).getFileName() + ": " + json);
      }
    }
    // and typed, as a Java program on DJL's API would
    Criteria<Image, Classifications> typed =
        Criteria.builder()
            .setTypes(Image.class, Classifications.class)
            .optModelPath(dir)
            .optTranslatorFactory(new DeferredTranslatorFactory())
            .build();
    try (ZooModel<Image, Classifications> model = typed.loadModel();
        Predictor<Image, Classifications> p = model.newPredictor()) {
      Classifications c = p.predict(ImageFactory.getInstance().fromFile(files.get(3)));
      assertEquals(labels.get(ours[3]), c.best().getClassName());
    }
    assertEquals("PyTorch", Engine.getDefaultEngineName());
  }

  @Test
  void wrongLayoutCheckpointIsOneLineExit2AndWritesNothing() throws Exception {
    Path file = tmp.resolve("x.onnx");
    List<String> a = new ArrayList<>(List.of("export"));
    a.addAll(tinyClassifier("finetune"));
    // the fixture's width is 32
    a.set(a.indexOf("--dim") + 1, "48");
    a.addAll(List.of("--output", file.toString()));
    CliTestSupport.Result r = CliTestSupport.run(a.toArray(String[]::new));
    assertEquals(2, r.exitCode(), r.out());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains("does not fit the classifier"), r.err());
    assertFalse(Files.exists(file));
  }

  @Test
  void unwritableOutputIsOneLineExit2() throws Exception {
    Path blocker = tmp.resolve("a-file");
    Files.writeString(blocker, "x");
    Path file = blocker.resolve("model.onnx");
    CliTestSupport.Result r =
        CliTestSupport.run(
            "export", "--random-init", "--model", "tiny", "--output", file.toString());
    assertEquals(2, r.exitCode(), r.out());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains("cannot write the ONNX model " + file), r.err());
    try (var s = Files.list(tmp)) {
      assertEquals(List.of(blocker), s.toList());
    }
  }

  @Test
  void anOpsetThatCannotExpressTheModelIsOneLineExit2() throws Exception {
    Path file = tmp.resolve("old.onnx");
    CliTestSupport.Result r =
        CliTestSupport.run(
            "export",
            "--random-init",
            "--model",
            "tiny",
            "--opset",
            "13",
            "--output",
            file.toString());
    assertEquals(2, r.exitCode(), r.out());
    assertEquals(
        "saim: error: opset 13 cannot express the model: its LayerNormalization is an ONNX"
            + " operator from opset 17 on; choose an opset from 17 to 21",
        r.err().strip());
    assertFalse(Files.exists(file));
  }

  @Test
  void benchTimesAnyOnnxModelWithOnnxRuntime() throws Exception {
    Path file = tmp.resolve("tiny.onnx");
    assertEquals(
        0,
        CliTestSupport.run(
                "export",
                "--random-init",
                "--img-size",
                "32",
                "--patch-size",
                "8",
                "--dim",
                "48",
                "--depth",
                "2",
                "--heads",
                "3",
                "--output",
                file.toString())
            .exitCode());
    CliTestSupport.Result r =
        CliTestSupport.run(
            "bench",
            "embed",
            "--engine",
            "onnxruntime",
            "--onnx",
            file.toString(),
            "--batch",
            "3",
            "--steps",
            "2",
            "--threads",
            "1");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(
        r.out().contains("embed engine=onnxruntime model=tiny.onnx batch=3 threads=1 img=32"),
        r.out());
    assertTrue(r.lastLine().matches("images_per_s \\d+\\.\\d{3}"), r.lastLine());
    CliTestSupport.Result missing = CliTestSupport.run("bench", "embed", "--engine", "onnxruntime");
    assertEquals(2, missing.exitCode());
    assertEquals(
        "saim: error: --engine onnxruntime needs the model: --onnx FILE", missing.err().strip());
  }
}
