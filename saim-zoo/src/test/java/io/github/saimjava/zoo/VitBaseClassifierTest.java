package io.github.saimjava.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.BufferedImageFactory;
import ai.djl.modality.cv.Image;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.saimjava.api.ImageNetClasses;
import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimClassifier;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import java.awt.image.BufferedImage;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The paper's two ViT-B/16 classifiers by zoo name: files with every key and shape of the
 * reference's layouts ({@code vit_base_layouts.json}, from {@code models_vit.py}) and random values
 * go through {@link SaimClassifier} and DJL's {@code Criteria}, via {@code saim.zoo.<name>.file}.
 */
class VitBaseClassifierTest {
  static final String FT = "saim_vit_base_patch16_224_in1k_ft";
  static final String LIN = "saim_vit_base_patch16_224_in1k_lin";

  @TempDir static Path dir;

  /**
   * Writes a file with exactly the tensors (names, shapes) of {@code layout}; values drawn from
   * {@code seed}.
   */
  static Path fabricate(String layout, String file, long seed) throws Exception {
    JsonObject all;
    try (var in =
        new InputStreamReader(
            VitBaseClassifierTest.class.getResourceAsStream("/vit_base_layouts.json"),
            StandardCharsets.UTF_8)) {
      all = JsonParser.parseReader(in).getAsJsonObject();
    }
    JsonObject shapes =
        all.entrySet().stream()
            .filter(e -> e.getKey().startsWith(layout))
            .findFirst()
            .orElseThrow()
            .getValue()
            .getAsJsonObject();
    SplittableRandom rng = new SplittableRandom(seed);
    Map<String, HostTensor> t = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : shapes.entrySet()) {
      JsonArray a = e.getValue().getAsJsonArray();
      long[] shape = new long[a.size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = a.get(i).getAsLong();
      }
      String name = e.getKey();
      if (name.endsWith("num_batches_tracked")) {
        t.put(name, HostTensor.ofLongs(shape, new long[] {1234}));
        continue;
      }
      float[] v = new float[(int) HostTensor.numel(shape)];
      boolean scale =
          name.endsWith("running_var") || name.contains("norm") && name.endsWith(".weight");
      for (int i = 0; i < v.length; i++) {
        v[i] = scale ? (float) (0.5 + rng.nextDouble()) : (float) (rng.nextGaussian() * 0.05);
      }
      t.put(name, HostTensor.ofFloats(shape, v));
    }
    Path out = dir.resolve(file);
    SafeTensors.write(out, t, Map.of());
    return out;
  }

  @BeforeAll
  static void fabricateBoth() throws Exception {
    System.setProperty(
        "saim.zoo." + FT + ".file", fabricate("finetune", "ft.safetensors", 1).toString());
    System.setProperty(
        "saim.zoo." + LIN + ".file", fabricate("linprobe", "lin.safetensors", 2).toString());
  }

  @AfterAll
  static void forget() {
    System.clearProperty("saim.zoo." + FT + ".file");
    System.clearProperty("saim.zoo." + LIN + ".file");
  }

  static BufferedImage picture() {
    BufferedImage b = new BufferedImage(300, 240, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < b.getHeight(); y++) {
      for (int x = 0; x < b.getWidth(); x++) {
        b.setRGB(x, y, (x % 256) << 16 | (y % 256) << 8 | ((x * y) % 256));
      }
    }
    return b;
  }

  /** SaimClassifier and Criteria give the same ImageNet answer for the same file. */
  static void classifiesThroughBothRoutes(String name, SaimClassifier.Head head) throws Exception {
    List<SaimClassifier.Prediction> direct;
    try (SaimClassifier c = SaimClassifier.builder().zoo(name).build()) {
      assertEquals(head, c.head());
      assertEquals(1000, c.numClasses());
      assertEquals(224, c.config().imageSize());
      assertEquals(ImageNetClasses.names(), c.labels());
      direct = c.classify(RawImage.of(picture()));
    }
    assertEquals(5, direct.size());
    for (int i = 1; i < direct.size(); i++) {
      assertTrue(direct.get(i - 1).probability() >= direct.get(i).probability(), direct.toString());
    }
    assertEquals(ImageNetClasses.names().get(direct.get(0).index()), direct.get(0).label());
    Criteria<Image, Classifications> criteria =
        Criteria.builder()
            .setTypes(Image.class, Classifications.class)
            .optGroupId(SaimZoo.GROUP_ID)
            .optArtifactId(name)
            .build();
    try (ZooModel<Image, Classifications> model = criteria.loadModel();
        Predictor<Image, Classifications> p = model.newPredictor()) {
      Classifications c = p.predict(BufferedImageFactory.getInstance().fromImage(picture()));
      assertEquals(1000, c.items().size());
      List<Classifications.Classification> best = c.topK(5);
      for (int i = 0; i < 5; i++) {
        assertEquals(direct.get(i).label(), best.get(i).getClassName(), "rank " + i);
        assertEquals(direct.get(i).probability(), best.get(i).getProbability(), 1e-5, "rank " + i);
      }
    }
  }

  @Test
  void theFineTunedViTBClassifiesThroughSaimClassifierAndCriteria() throws Exception {
    classifiesThroughBothRoutes(FT, SaimClassifier.Head.GLOBAL_POOL);
  }

  @Test
  void theLinearProbedViTBClassifiesThroughSaimClassifierAndCriteria() throws Exception {
    classifiesThroughBothRoutes(LIN, SaimClassifier.Head.CLASS_TOKEN_BATCH_NORM);
  }

  @Test
  void theFineTunedViTBIsAlsoAnEncoderWithMeanPooling() throws Exception {
    float[] direct;
    try (SaimEncoder e = SaimEncoder.builder().zoo(FT).pooling(SaimEncoder.Pooling.MEAN).build()) {
      direct = e.embed(RawImage.of(picture()));
    }
    assertEquals(768, direct.length);
    Criteria<Image, float[]> criteria =
        Criteria.builder()
            .setTypes(Image.class, float[].class)
            .optGroupId(SaimZoo.GROUP_ID)
            .optArtifactId(FT)
            .build();
    try (ZooModel<Image, float[]> model = criteria.loadModel();
        Predictor<Image, float[]> p = model.newPredictor()) {
      float[] viaDjl = p.predict(BufferedImageFactory.getInstance().fromImage(picture()));
      org.junit.jupiter.api.Assertions.assertArrayEquals(direct, viaDjl, 1e-5f);
    }
  }

  @Test
  void theLinearProbedViTBIsAlsoAnEncoderWithTheClassToken() throws Exception {
    Criteria<Image, float[]> criteria =
        Criteria.builder()
            .setTypes(Image.class, float[].class)
            .optGroupId(SaimZoo.GROUP_ID)
            .optArtifactId(LIN)
            .build();
    float[] direct;
    try (SaimEncoder e = SaimEncoder.builder().zoo(LIN).build()) {
      direct = e.embed(RawImage.of(picture()));
      assertTrue(
          e.loadNotes().stream().anyMatch(n -> n.contains("head.1.weight")),
          e.loadNotes().toString());
    }
    try (ZooModel<Image, float[]> model = criteria.loadModel();
        Predictor<Image, float[]> p = model.newPredictor()) {
      float[] viaDjl = p.predict(BufferedImageFactory.getInstance().fromImage(picture()));
      assertEquals(768, viaDjl.length);
      org.junit.jupiter.api.Assertions.assertArrayEquals(direct, viaDjl, 1e-5f);
    }
  }
}
