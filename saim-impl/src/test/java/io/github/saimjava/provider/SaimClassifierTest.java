package io.github.saimjava.provider;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.BufferedImageFactory;
import ai.djl.modality.cv.Image;
import io.github.saimjava.api.ImageNetClasses;
import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimClassifier;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.data.ImageFolderDataset;
import io.github.saimjava.downstream.ClassifierCheckpoint;
import io.github.saimjava.downstream.VitClassifier;
import io.github.saimjava.io.SafeTensors;
import io.github.saimjava.model.ReferenceConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The public classifier on the tiny reference fixture: labels, batching, threads, close, errors.
 */
class SaimClassifierTest {
  static final SaimConfig TINY =
      SaimConfig.builder()
          .imageSize(32)
          .patchSize(4)
          .width(32)
          .depth(2)
          .queryDepth(2)
          .heads(2)
          .build();

  static Path fixture() throws Exception {
    return ClassifierParityTest.fixture("tiny");
  }

  static List<RawImage> images() throws Exception {
    List<RawImage> out = new ArrayList<>();
    try (var s = Files.list(fixture().resolve("images"))) {
      for (Path p : s.sorted().toList()) {
        out.add(ImageFolderDataset.decode(p).toRawImage());
      }
    }
    return out;
  }

  static SaimClassifier.Builder tiny(String kind) throws Exception {
    return SaimClassifier.builder().checkpoint(fixture().resolve(kind + ".pth")).config(TINY);
  }

  @Test
  void logitsDoNotDependOnBatchSizeOrThreads() throws Exception {
    List<RawImage> imgs = images();
    try (SaimClassifier one = tiny("linprobe").batchSize(1).build();
        SaimClassifier all = tiny("linprobe").batchSize(5).build()) {
      float[][] a = one.logits(imgs);
      float[][] b = all.logits(imgs);
      for (int i = 0; i < a.length; i++) {
        assertArrayEquals(a[i], b[i], 1e-5f, "image " + i);
      }
      ExecutorService pool = Executors.newFixedThreadPool(3);
      try {
        List<Future<float[][]>> fs = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
          fs.add(pool.submit(() -> all.logits(imgs)));
        }
        for (Future<float[][]> f : fs) {
          float[][] c = f.get();
          for (int i = 0; i < a.length; i++) {
            assertArrayEquals(a[i], c[i], 1e-5f, "image " + i);
          }
        }
      } finally {
        pool.shutdown();
      }
    }
  }

  @Test
  void topKHasSoftmaxProbabilitiesMostProbableFirst() throws Exception {
    try (SaimClassifier c = tiny("finetune").topK(3).build()) {
      RawImage img = images().get(4);
      float[] z = c.logits(List.of(img))[0];
      double sum = 0;
      for (float v : z) {
        sum += Math.exp(v);
      }
      List<SaimClassifier.Prediction> top = c.classify(img);
      assertEquals(3, top.size());
      for (SaimClassifier.Prediction p : top) {
        assertEquals(Math.exp(z[p.index()]) / sum, p.probability(), 1e-6);
        assertEquals("class " + p.index(), p.label());
      }
      assertTrue(
          top.get(0).probability() >= top.get(1).probability()
              && top.get(1).probability() >= top.get(2).probability());
      assertEquals(1, top.get(0).index()); // the reference's top-1 for img4
    }
  }

  @Test
  void labelsGivenNameTheClassesAndMustCoverTheHead() throws Exception {
    List<String> names = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
    try (SaimClassifier c = tiny("linprobe").labels(names).build()) {
      assertEquals(names, c.labels());
      assertEquals("d", c.classify(images().get(0)).get(0).label()); // reference top-1: 3
    }
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> tiny("linprobe").labels(List.of("a", "b")).build());
    assertTrue(e.getMessage().contains("2 labels given for a head of 10 classes"), e.getMessage());
  }

  @Test
  void theDjlPredictorAgreesWithClassify() throws Exception {
    Path png = fixture().resolve("images/img1_64x64_RGB.png");
    try (SaimClassifier c = tiny("finetune").build();
        Predictor<Image, Classifications> p = c.newPredictor()) {
      SaimClassifier.Prediction best = c.classifyFiles(List.of(png)).get(0).get(0);
      Classifications djl = p.predict(BufferedImageFactory.getInstance().fromFile(png));
      assertEquals(best.label(), djl.best().getClassName());
      assertEquals(best.probability(), djl.best().getProbability(), 1e-5);
    }
  }

  @Test
  void bfloat16OnTheCpuStaysCloseToFloat32() throws Exception {
    List<RawImage> imgs = images();
    try (SaimClassifier fp32 = tiny("finetune").device(ai.djl.Device.cpu()).build();
        SaimClassifier bf16 =
            tiny("finetune")
                .device(ai.djl.Device.cpu())
                .precision(io.github.saimjava.api.Precision.BF16)
                .build()) {
      float[][] a = fp32.logits(imgs);
      float[][] b = bf16.logits(imgs);
      double num = 0;
      double den = 0;
      for (int i = 0; i < a.length; i++) {
        for (int j = 0; j < a[i].length; j++) {
          num += Math.pow(a[i][j] - b[i][j], 2);
          den += Math.pow(a[i][j], 2);
        }
      }
      double err = Math.sqrt(num / den);
      System.out.printf(java.util.Locale.ROOT, "bf16 vs fp32 logits: relative error %.3g%n", err);
      // bfloat16 keeps 8 significant bits: about 0.4% per rounding, a few roundings deep
      assertTrue(err > 0 && err < 0.05, "relative error " + err);
    }
  }

  @Test
  void useAfterCloseIsAClearError() throws Exception {
    SaimClassifier c = tiny("finetune").build();
    c.close();
    c.close(); // twice is fine
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.logits(List.of()));
    assertEquals("this SaimClassifier is closed", e.getMessage());
    assertThrows(IllegalStateException.class, c::numClasses);
    assertThrows(IllegalStateException.class, c::newPredictor);
  }

  @Test
  void aPthWithoutConfigurationIsRefusedNamingTheFile() throws Exception {
    Path pth = fixture().resolve("finetune.pth");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> SaimClassifier.builder().checkpoint(pth).build());
    assertTrue(e.getMessage().startsWith(pth + " records no model architecture"), e.getMessage());
  }

  @Test
  void aPretrainingCheckpointIsNotAClassifier() throws Exception {
    Path pre =
        Path.of(
            ClassifierParityTest.class
                .getResource("/fixtures/reference-checkpoint-tiny.pth")
                .toURI());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SaimClassifier.builder().checkpoint(pre).config(TINY).build());
    assertTrue(e.getMessage().contains("holds no classifier head"), e.getMessage());
  }

  @Test
  void anotherArchitectureIsRefusedNamingTheTensors() throws Exception {
    SaimConfig wide = TINY.toBuilder().width(64).build();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> tiny("finetune").config(wide).build());
    assertTrue(
        e.getMessage().contains("does not fit the classifier (GLOBAL_POOL, 10 classes")
            && e.getMessage().contains("cls_token: checkpoint [1, 1, 32], model [1, 1, 64]"),
        e.getMessage());
  }

  @Test
  void ourSafetensorsRoundTripRecordsTheArchitecture(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("lin.safetensors");
    ClassifierCheckpoint ckpt = ClassifierCheckpoint.read(fixture().resolve("linprobe.pth"));
    try (var m = ai.djl.ndarray.NDManager.newBaseManager("PyTorch");
        VitClassifier v =
            VitClassifier.load(ckpt, TINY, m, io.github.saimjava.api.Precision.FP32)) {
      assertEquals(1234L, (long) v.stateDict().get("head.0.num_batches_tracked").toFloatArray()[0]);
      SafeTensors.write(
          out, v.stateDict(), Map.of("config", ReferenceConfig.toJson(TINY).toString()));
    }
    List<RawImage> imgs = images();
    try (SaimClassifier a = tiny("linprobe").build();
        SaimClassifier b = SaimClassifier.builder().checkpoint(out).build()) {
      assertEquals(SaimClassifier.Head.CLASS_TOKEN_BATCH_NORM, b.head());
      float[][] za = a.logits(imgs);
      float[][] zb = b.logits(imgs);
      for (int i = 0; i < za.length; i++) {
        assertArrayEquals(za[i], zb[i], 0f, "image " + i);
      }
    }
  }

  @Test
  void theImageNetListIsInWordNetOrder() {
    assertEquals(1000, ImageNetClasses.names().size());
    assertEquals("tench", ImageNetClasses.names().get(0));
    assertEquals("n01440764", ImageNetClasses.wordNetIds().get(0));
    assertEquals("toilet tissue", ImageNetClasses.names().get(999));
    List<String> sorted = new ArrayList<>(ImageNetClasses.wordNetIds());
    sorted.sort(null);
    assertEquals(sorted, ImageNetClasses.wordNetIds());
    assertEquals(1000, new java.util.HashSet<>(ImageNetClasses.wordNetIds()).size());
  }
}
