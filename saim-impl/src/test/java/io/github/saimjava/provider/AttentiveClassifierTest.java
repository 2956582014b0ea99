package io.github.saimjava.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimAttentiveProbe;
import io.github.saimjava.api.SaimClassifier;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.downstream.AttentiveProbe;
import io.github.saimjava.downstream.ClassifierCheckpoint;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import io.github.saimjava.model.ReferenceConfig;
import io.github.saimjava.model.SaimModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An attentive probe saved as a classifier file and loaded by {@link SaimClassifier} predicts what
 * the probe predicted: same logits (relative error 1e-5 in float32), same top-1.
 */
class AttentiveClassifierTest {
  private static final SaimConfig TINY =
      SaimConfig.builder()
          .imageSize(32)
          .patchSize(8)
          .width(32)
          .depth(3)
          .queryDepth(1)
          .heads(2)
          .build();

  private static final int CLASSES = 4;
  private static final int LAST_BLOCKS = 2;

  @TempDir static Path dir;
  private static Path encoderFile;
  private static Path classifierFile;
  private static List<RawImage> valImages;
  private static int[] valLabels;
  private static float[][][] valTokens;
  private static SaimAttentiveProbe.Result probe;

  /**
   * Images of 40 x 40 (larger than the model's 32, so that the encoder and the classifier both
   * resize and crop): class k is a bright band across a quarter of the rows, on noise.
   */
  static List<RawImage> images(int n, int[] labels, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<RawImage> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int k = r.nextInt(CLASSES);
      labels[i] = k;
      byte[] px = new byte[40 * 40 * 3];
      for (int y = 0; y < 40; y++) {
        for (int x = 0; x < 40; x++) {
          boolean band = y / 10 == k;
          for (int c = 0; c < 3; c++) {
            px[(y * 40 + x) * 3 + c] = (byte) ((band ? 170 : 40) + r.nextInt(80));
          }
        }
      }
      out.add(new RawImage(40, 40, 3, px));
    }
    return out;
  }

  @BeforeAll
  static void trainAndSave() throws Exception {
    encoderFile = dir.resolve("encoder.safetensors");
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", SafeTensors.WEIGHTS_FORMAT);
    meta.put("config", ReferenceConfig.toJson(TINY).toString());
    try (NDManager m = Engine.getEngine("PyTorch").newBaseManager();
        SaimModel model = new SaimModel(TINY, m, 11)) {
      SafeTensors.write(encoderFile, model.stateDict(), meta);
    }
    int[] trainLabels = new int[96];
    List<RawImage> train = images(96, trainLabels, 1);
    valLabels = new int[40];
    valImages = images(40, valLabels, 2);
    float[][][] trainTokens;
    try (SaimEncoder e = SaimEncoder.builder().checkpoint(encoderFile).threads(1).build()) {
      trainTokens = e.patchTokens(train, LAST_BLOCKS);
      valTokens = e.patchTokens(valImages, LAST_BLOCKS);
    }
    probe =
        SaimAttentiveProbe.builder()
            .epochs(4)
            .batchSize(16)
            .blr(0.05)
            .queries(2)
            .heads(4)
            .seed(3)
            .build()
            .fit(trainTokens, trainLabels, valTokens, valLabels, CLASSES);
    classifierFile = dir.resolve("attn.safetensors");
    Map<String, String> cm = AttentiveProbe.classifierMetadata(probe.head(), LAST_BLOCKS);
    cm.put("config", ReferenceConfig.toJson(TINY).toString());
    try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
      Map<String, HostTensor> encoder =
          io.github.saimjava.model.ModelCheckpoint.read(encoderFile).weights();
      SafeTensors.write(classifierFile, AttentiveProbe.classifierState(encoder, probe.head()), cm);
    }
  }

  @Test
  void theSavedProbeGivesTheProbesLogitsAndTop1() throws Exception {
    float[][] expected = AttentiveProbe.logits(AttentiveProbe.Head.of(probe.head()), valTokens);
    try (SaimClassifier c =
        SaimClassifier.builder().checkpoint(classifierFile).threads(1).build()) {
      assertEquals(SaimClassifier.Head.ATTENTIVE, c.head());
      assertEquals(CLASSES, c.numClasses());
      assertEquals(TINY, c.config());
      float[][] z = c.logits(valImages);
      int hits = 0;
      for (int i = 0; i < z.length; i++) {
        double scale = 0;
        for (float v : expected[i]) {
          scale = Math.max(scale, Math.abs(v));
        }
        for (int k = 0; k < CLASSES; k++) {
          assertEquals(
              expected[i][k], z[i][k], 1e-5 * scale, "image " + i + ", class " + k + " (rel 1e-5)");
        }
        hits += c.top(new float[][] {z[i]}, 1).get(0).get(0).index() == valLabels[i] ? 1 : 0;
      }
      assertEquals(probe.top1(), 100.0 * hits / z.length, 1e-9);
      // the classify API answers with the same top-1
      assertEquals(c.top(z, 1).get(7).get(0).index(), c.classify(valImages.get(7)).get(0).index());
    }
  }

  @Test
  void theProbeLearnedSomethingSoTheComparisonMeansSomething() {
    assertTrue(probe.top1() > 40, "top-1 " + probe.top1() + " against a chance of 25");
  }

  @Test
  void theFileRecordsTheSettingsItNeeds() throws Exception {
    ClassifierCheckpoint c = ClassifierCheckpoint.read(classifierFile);
    assertEquals(new ClassifierCheckpoint.Attentive(4, LAST_BLOCKS, 2, 32), c.attentive());
    assertFalse(c.weights().containsKey("prediction_head.weight"));
  }

  @Test
  void aLaterFormatIsRefusedNamingTheFileAndKey() throws Exception {
    Map<String, HostTensor> t = SafeTensors.read(classifierFile).tensors();
    Map<String, String> meta = new LinkedHashMap<>(SafeTensors.read(classifierFile).metadata());
    meta.put("format", "saim-java-attnprobe-classifier-2");
    Path later = dir.resolve("later.safetensors");
    SafeTensors.write(later, t, meta);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SaimClassifier.builder().checkpoint(later).build());
    assertEquals(
        later
            + ": __metadata__ 'format' is 'saim-java-attnprobe-classifier-2', which this version"
            + " cannot run (it runs saim-java-attnprobe-classifier-1)",
        e.getMessage());
  }

  @Test
  void aHeadThatDoesNotFitTheEncoderIsNamed() throws Exception {
    SaimConfig shallow = TINY.toBuilder().depth(1).build();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SaimClassifier.builder().checkpoint(classifierFile).config(shallow).build());
    assertEquals(
        classifierFile + ": __metadata__ 'last_blocks' is 2, more than the encoder's 1 blocks",
        e.getMessage());
  }

  @Test
  void hasNoOnnxExport() throws Exception {
    try (SaimClassifier c = SaimClassifier.builder().checkpoint(classifierFile).build()) {
      Path onnx = dir.resolve("attn.onnx");
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> c.exportOnnx(onnx));
      assertTrue(e.getMessage().startsWith(classifierFile + ": __metadata__ 'format'"));
      assertFalse(Files.exists(onnx));
    }
  }
}
