package io.github.saimjava.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.saimjava.api.SaimClassifier;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.data.ImageFolderDataset;
import io.github.saimjava.data.Transforms;
import io.github.saimjava.io.SafeTensors;
import io.github.saimjava.train.ReferenceCheck;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The reference's classifiers ({@code models_vit.py}, saved by its training scripts) against their
 * own logits: PNG files through our decoder and evaluation transform, the {@code .pth} through the
 * safe reader and the strict load. Two configurations ({@code tiny} from the shared fixtures,
 * {@code hidden} generated with the same harness), so nothing can be tuned to one.
 */
class ClassifierParityTest {
  /** ‖ours − ref‖ / ‖ref‖ allowed for the logits. */
  static final double LOGIT_TOLERANCE = 1e-4;

  /**
   * Largest absolute difference allowed for a normalised pixel (Pillow's 8-bit bicubic reproduced
   * exactly, then float rounding).
   */
  static final double PIXEL_TOLERANCE = 1e-5;

  static Path fixture(String name) throws Exception {
    return Path.of(
            ClassifierParityTest.class
                .getResource("/fixtures/classifier/" + name + "/expected.json")
                .toURI())
        .getParent();
  }

  static JsonObject meta(Path dir) throws Exception {
    return JsonParser.parseString(
            Files.readString(dir.resolve("expected.json"), StandardCharsets.UTF_8))
        .getAsJsonObject();
  }

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

  static List<Path> files(Path dir, JsonObject m) {
    List<Path> files = new ArrayList<>();
    for (var f : m.getAsJsonArray("files")) {
      files.add(dir.resolve("images").resolve(f.getAsString()));
    }
    return files;
  }

  @ParameterizedTest
  @CsvSource({"tiny", "hidden"})
  void evaluationTransformReproducesTheReferenceImages(String name) throws Exception {
    Path dir = fixture(name);
    JsonObject m = meta(dir);
    int size = m.get("input_size").getAsInt();
    float[] ref =
        SafeTensors.read(dir.resolve("expected.safetensors"))
            .require("input.images")
            .toFloatArray();
    List<Path> files = files(dir, m);
    int per = 3 * size * size;
    assertEquals(files.size() * per, ref.length);
    for (int i = 0; i < files.size(); i++) {
      float[] ours =
          Transforms.evaluation(size, 3).apply(ImageFolderDataset.decode(files.get(i)), 0, 0, 0);
      double worst = 0;
      for (int j = 0; j < per; j++) {
        worst = Math.max(worst, Math.abs(ours[j] - ref[i * per + j]));
      }
      System.out.printf(
          java.util.Locale.ROOT,
          "%s/%s: pixels max abs error %.3g%n",
          name,
          files.get(i).getFileName(),
          worst);
      assertTrue(
          worst <= PIXEL_TOLERANCE, files.get(i).getFileName() + ": max |ours - ref| = " + worst);
    }
  }

  @ParameterizedTest
  @CsvSource({
    "tiny, finetune, GLOBAL_POOL",
    "tiny, linprobe, CLASS_TOKEN_BATCH_NORM",
    "hidden, finetune, GLOBAL_POOL",
    "hidden, linprobe, CLASS_TOKEN_BATCH_NORM"
  })
  void logitsAndTop1MatchTheReference(String name, String kind, SaimClassifier.Head head)
      throws Exception {
    Path dir = fixture(name);
    JsonObject m = meta(dir);
    int k = m.get("nb_classes").getAsInt();
    float[] ref =
        SafeTensors.read(dir.resolve("expected.safetensors"))
            .require("out." + kind + ".logits")
            .toFloatArray();
    List<Path> files = files(dir, m);
    try (SaimClassifier c =
        SaimClassifier.builder()
            .checkpoint(dir.resolve(kind + ".pth"))
            .config(config(m))
            .batchSize(2)
            .build()) {
      assertEquals(head, c.head());
      assertEquals(k, c.numClasses());
      float[][] z = c.logitsOfFiles(files);
      float[] flat = new float[files.size() * k];
      for (int i = 0; i < z.length; i++) {
        System.arraycopy(z[i], 0, flat, i * k, k);
      }
      double err = ReferenceCheck.relativeError(flat, ref);
      System.out.printf(
          java.util.Locale.ROOT, "%s/%s: logits relative error %.3g%n", name, kind, err);
      assertTrue(err <= LOGIT_TOLERANCE, name + "/" + kind + ": relative error " + err);
      JsonArray top1 = m.getAsJsonArray(kind + ".top1");
      List<List<SaimClassifier.Prediction>> top = c.classifyFiles(files);
      for (int i = 0; i < files.size(); i++) {
        assertEquals(
            top1.get(i).getAsInt(),
            top.get(i).get(0).index(),
            files.get(i).getFileName().toString());
      }
    }
  }
}
