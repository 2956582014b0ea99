package io.github.saimjava.provider;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.data.Datasets;
import io.github.saimjava.data.DecodedImage;
import io.github.saimjava.data.IdxDataset;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import io.github.saimjava.model.ReferenceConfig;
import io.github.saimjava.model.SaimModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SaimEncoderTest {
  static final SaimConfig TINY =
      SaimConfig.builder()
          .imageSize(32)
          .patchSize(8)
          .width(48)
          .depth(2)
          .heads(3)
          .queryDepth(2)
          .blur(3, 1)
          .build();

  static List<RawImage> images(int n) {
    IdxDataset d = Datasets.embeddedTest();
    List<RawImage> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      DecodedImage img = d.image(i);
      out.add(new RawImage(img.width(), img.height(), img.channels(), img.pixels()));
    }
    return out;
  }

  @Test
  void theDeviceSettingComputesOnTheCpuAndRefusesAGpuTheEngineDoesNotSee() throws Exception {
    List<RawImage> imgs = images(2);
    try (SaimEncoder plain = SaimEncoder.builder().config(TINY).seed(3).build();
        SaimEncoder cpu =
            SaimEncoder.builder().config(TINY).seed(3).device(ai.djl.Device.cpu()).build()) {
      float[][] a = plain.embed(imgs);
      float[][] b = cpu.embed(imgs);
      for (int i = 0; i < a.length; i++) {
        assertArrayEquals(a[i], b[i], 0f, "image " + i);
      }
    }
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SaimEncoder.builder().config(TINY).device(ai.djl.Device.gpu(64)).build());
    assertTrue(
        e.getMessage().startsWith("device gpu(64) is not there: the engine sees "), e.getMessage());
  }

  @Test
  void embeddingsDoNotDependOnBatchSizeOrThreads() throws Exception {
    List<RawImage> imgs = images(12);
    try (SaimEncoder one = SaimEncoder.builder().config(TINY).seed(3).batchSize(1).build();
        SaimEncoder five = SaimEncoder.builder().config(TINY).seed(3).batchSize(5).build()) {
      float[][] a = one.embed(imgs);
      float[][] b = five.embed(imgs);
      assertEquals(12, a.length);
      assertEquals(48, a[0].length);
      for (int i = 0; i < a.length; i++) {
        assertArrayEquals(a[i], b[i], 1e-5f, "image " + i);
      }
      ExecutorService pool = Executors.newFixedThreadPool(3);
      List<Future<float[][]>> fs = new ArrayList<>();
      for (int t = 0; t < 3; t++) {
        fs.add(pool.submit(() -> five.embed(imgs)));
      }
      for (Future<float[][]> f : fs) {
        float[][] c = f.get();
        for (int i = 0; i < a.length; i++) {
          assertArrayEquals(a[i], c[i], 1e-5f);
        }
      }
      pool.shutdown();
      assertFalse(java.util.Arrays.equals(a[0], a[1]));
    }
  }

  @Test
  void djlPredictorGivesTheSameVectorsAsEmbed() throws Exception {
    List<RawImage> imgs = images(3);
    try (SaimEncoder e = SaimEncoder.builder().config(TINY).seed(3).build();
        ai.djl.inference.Predictor<ai.djl.modality.cv.Image, float[]> p = e.newPredictor()) {
      List<ai.djl.modality.cv.Image> djl = new ArrayList<>();
      for (RawImage r : imgs) {
        java.awt.image.BufferedImage b =
            new java.awt.image.BufferedImage(
                r.width(), r.height(), java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
        b.getRaster().setDataElements(0, 0, r.width(), r.height(), r.pixels());
        djl.add(ai.djl.modality.cv.BufferedImageFactory.getInstance().fromImage(b));
      }
      List<float[]> out = p.batchPredict(djl);
      float[][] ref = e.embed(imgs);
      for (int i = 0; i < 3; i++) {
        assertArrayEquals(ref[i], out.get(i), 1e-5f);
      }
      assertArrayEquals(ref[1], p.predict(djl.get(1)), 1e-5f);
    }
  }

  @Test
  void randomInitIsSeededAndL2NormalisationGivesUnitVectors() throws Exception {
    List<RawImage> imgs = images(3);
    try (SaimEncoder a = SaimEncoder.builder().config(TINY).seed(9).l2Normalize(true).build();
        SaimEncoder b = SaimEncoder.builder().config(TINY).seed(9).l2Normalize(true).build();
        SaimEncoder c = SaimEncoder.builder().config(TINY).seed(10).build()) {
      float[][] x = a.embed(imgs);
      assertArrayEquals(x[2], b.embed(imgs)[2]);
      assertFalse(java.util.Arrays.equals(x[2], c.embed(imgs)[2]));
      double n = 0;
      for (float v : x[0]) {
        n += v * v;
      }
      assertEquals(1.0, n, 1e-5);
    }
  }

  @Test
  void aPretrainingCheckpointLoadsWithTheDecoderIgnoredAndSaidSo(@TempDir Path dir)
      throws Exception {
    Path ckpt = dir.resolve("final.safetensors");
    try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager("PyTorch");
        SaimModel model = new SaimModel(TINY, m, 4)) {
      SafeTensors.write(
          ckpt, model.stateDict(), Map.of("config", ReferenceConfig.toJson(TINY).toString()));
    }
    try (SaimEncoder e = SaimEncoder.builder().checkpoint(ckpt).build();
        SaimEncoder sameInit = SaimEncoder.builder().config(TINY).seed(4).build()) {
      assertEquals(TINY, e.config());
      assertTrue(
          e.loadNotes().stream().anyMatch(s -> s.contains("query decoder and prediction head")),
          e.loadNotes().toString());
      assertArrayEquals(sameInit.embed(images(1).get(0)), e.embed(images(1).get(0)), 1e-6f);
    }
  }

  @Test
  void aCheckpointOfAnotherShapeOrWithoutEncoderWeightsIsRefused(@TempDir Path dir)
      throws Exception {
    Path ckpt = dir.resolve("w.safetensors");
    Map<String, HostTensor> sd;
    try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager("PyTorch");
        SaimModel model = new SaimModel(TINY, m, 4)) {
      sd = new LinkedHashMap<>(model.stateDict());
    }
    sd.remove("blocks.1.mlp.fc1.weight");
    SafeTensors.write(ckpt, sd, Map.of());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SaimEncoder.builder().checkpoint(ckpt).config(TINY).build());
    assertTrue(e.getMessage().contains("missing [blocks.1.mlp.fc1.weight]"), e.getMessage());
    IllegalArgumentException noConfig =
        assertThrows(
            IllegalArgumentException.class, () -> SaimEncoder.builder().checkpoint(ckpt).build());
    assertTrue(
        noConfig.getMessage().contains("holds no model configuration"), noConfig.getMessage());
  }

  @Test
  void referenceCheckpointPthLoadsIntoTheEncoder() throws Exception {
    Path pth =
        Path.of(
            SaimEncoderTest.class.getResource("/fixtures/reference-checkpoint-tiny.pth").toURI());
    SaimConfig cfg =
        SaimConfig.builder()
            .imageSize(32)
            .patchSize(8)
            .width(64)
            .depth(4)
            .heads(4)
            .queryDepth(2)
            .blur(3, 1)
            .build();
    try (SaimEncoder e =
        SaimEncoder.builder()
            .checkpoint(pth)
            .config(cfg)
            .pooling(SaimEncoder.Pooling.MEAN)
            .build()) {
      float[] v = e.embed(images(1).get(0));
      assertEquals(64, v.length);
      for (float f : v) {
        assertTrue(Float.isFinite(f));
      }
    }
  }

  @Test
  void aDecoderOfAnotherShapeDoesNotStopTheEncoder() throws Exception {
    Path pth =
        Path.of(
            SaimEncoderTest.class.getResource("/fixtures/reference-checkpoint-tiny.pth").toURI());
    SaimConfig.Builder b =
        SaimConfig.builder().imageSize(32).patchSize(8).width(64).depth(4).heads(4);
    float[] want;
    try (SaimEncoder e =
        SaimEncoder.builder().checkpoint(pth).config(b.queryDepth(2).blur(3, 1).build()).build()) {
      want = e.embed(images(1).get(0));
    }
    // the checkpoint's blur kernel is 3 x 3 and its query decoder has 2 blocks; the CLI's defaults
    // are 9 and 4
    try (SaimEncoder e =
        SaimEncoder.builder().checkpoint(pth).config(b.queryDepth(4).blur(9, 1).build()).build()) {
      assertArrayEquals(want, e.embed(images(1).get(0)), 0f);
      assertTrue(
          e.loadNotes().stream()
              .anyMatch(
                  n ->
                      n.startsWith("ignored (decoder tensors of another shape")
                          && n.contains("gaussian_blur.weight")),
          e.loadNotes().toString());
    }
  }
}
