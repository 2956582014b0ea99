package io.github.saimjava.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.saimjava.api.Augmentation;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.api.SaimKnn;
import io.github.saimjava.api.SaimTrainer;
import io.github.saimjava.data.Datasets;
import io.github.saimjava.data.IdxDataset;
import io.github.saimjava.data.LabelledData;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The k-NN monitor of pre-training: logged, drawn from the model, and without effect on it. */
class KnnMonitorTest {
  private static final SaimConfig TINY =
      SaimConfig.vitTiny().toBuilder()
          .imageSize(32)
          .patchSize(8)
          .width(48)
          .depth(2)
          .heads(3)
          .queryDepth(2)
          .blur(3, 1)
          .build();

  /** Writes embedded images [first, first + n) as the IDX pair prefix-*. */
  private static void idxPair(Path dir, String prefix, int first, int n) throws Exception {
    IdxDataset src = Datasets.embeddedTrain();
    ByteBuffer img =
        ByteBuffer.allocate(16 + n * 784).putInt(0x803).putInt(n).putInt(28).putInt(28);
    ByteBuffer lab = ByteBuffer.allocate(8 + n).putInt(0x801).putInt(n);
    for (int i = first; i < first + n; i++) {
      img.put(src.image(i).pixels());
      lab.put((byte) src.label(i));
    }
    Files.write(dir.resolve(prefix + "-images-idx3-ubyte"), img.array());
    Files.write(dir.resolve(prefix + "-labels-idx1-ubyte"), lab.array());
  }

  private static SaimTrainer.Builder run(Path out) {
    return SaimTrainer.builder()
        .config(TINY)
        .batchSize(8)
        .maxSteps(4)
        .threads(1)
        .loaderThreads(1)
        .augmentation(Augmentation.FLIP_ONLY)
        .outputDir(out);
  }

  private static List<JsonObject> lines(Path out, String type) throws Exception {
    List<JsonObject> l = new ArrayList<>();
    for (String s : Files.readAllLines(out.resolve("metrics.jsonl"))) {
      JsonObject o = JsonParser.parseString(s).getAsJsonObject();
      if (type.equals(o.get("type").getAsString())) {
        l.add(o);
      }
    }
    return l;
  }

  @Test
  void theMonitorLeavesTheLossSequenceAndWeightsBitIdentical(@TempDir Path dir) throws Exception {
    Path data = Files.createDirectories(dir.resolve("knn"));
    idxPair(data, "train", 0, 120);
    idxPair(data, "t10k", 120, 40);
    run(dir.resolve("plain")).build().fit();
    run(dir.resolve("monitored")).knnEvery(2).knnData(data).build().fit();
    List<JsonObject> plain = lines(dir.resolve("plain"), "step");
    List<JsonObject> monitored = lines(dir.resolve("monitored"), "step");
    assertEquals(4, plain.size());
    for (int i = 0; i < plain.size(); i++) {
      // exact: the loss as written, all its digits
      assertEquals(
          plain.get(i).get("loss").getAsString(), monitored.get(i).get("loss").getAsString());
    }
    assertEquals(
        Files.mismatch(
            dir.resolve("plain/final.safetensors"), dir.resolve("monitored/final.safetensors")),
        -1L,
        "final weights differ");
    List<JsonObject> knn = lines(dir.resolve("monitored"), "knn");
    assertEquals(2, knn.size());
    assertEquals(2, knn.get(0).get("step").getAsLong());
    assertEquals(4, knn.get(1).get("step").getAsLong());
    for (JsonObject o : knn) {
      double top1 = o.get("top1").getAsDouble();
      assertTrue(top1 >= 0 && top1 <= o.get("top5").getAsDouble(), o.toString());
      assertTrue(o.get("knn_s").getAsDouble() >= 0, o.toString());
    }
    assertTrue(lines(dir.resolve("plain"), "knn").isEmpty());
  }

  @Test
  void theLastEvaluationIsSaimKnnOnTheFinalEncodersFeatures(@TempDir Path dir) throws Exception {
    Path data = Files.createDirectories(dir.resolve("knn"));
    idxPair(data, "train", 200, 150);
    idxPair(data, "t10k", 350, 60);
    Path out = dir.resolve("run");
    run(out).knnEvery(4).knnData(data).build().fit();
    JsonObject last = lines(out, "knn").get(0);
    LabelledData d = LabelledData.open(data);
    SaimKnn.Result expected;
    try (SaimEncoder e =
        SaimEncoder.builder().checkpoint(out.resolve("final.safetensors")).threads(1).build()) {
      expected =
          SaimKnn.builder()
              .build()
              .evaluate(
                  e.embed(d.train().rawImages()),
                  d.train().labels(),
                  e.embed(d.val().rawImages()),
                  d.val().labels(),
                  10);
    }
    assertEquals(expected.top1(), last.get("top1").getAsDouble(), 1e-9);
    assertEquals(expected.top5(), last.get("top5").getAsDouble(), 1e-9);
  }

  @Test
  void theChoiceOfImagesIsFixedDistinctSortedAndOfTheAskedSize() {
    for (int[] nk : new int[][] {{10, 3}, {100, 100}, {100, 250}, {12000, 800}, {7, 0}}) {
      int n = nk[0];
      int k = nk[1];
      int[] a = KnnMonitor.choose(n, k, 5);
      assertEquals(Math.min(n, k), a.length);
      assertArrayEquals(a, KnnMonitor.choose(n, k, 5), "not the same for the same seed");
      for (int i = 0; i < a.length; i++) {
        assertTrue(a[i] >= 0 && a[i] < n, "out of range: " + a[i]);
        assertTrue(i == 0 || a[i] > a[i - 1], "not increasing and distinct at " + i);
      }
    }
    assertFalse(
        Arrays.equals(KnnMonitor.choose(1000, 50, 1), KnnMonitor.choose(1000, 50, 2)),
        "the seed changes nothing");
  }

  @Test
  void aBoundedMonitorEmbedsFourFifthsNeighboursAndOneFifthClassified(@TempDir Path dir)
      throws Exception {
    Path data = Files.createDirectories(dir.resolve("knn"));
    idxPair(data, "train", 0, 150);
    idxPair(data, "t10k", 150, 60);
    assertArrayEquals(new int[] {40, 10}, KnnMonitor.open(data, 50).sizes());
    assertArrayEquals(new int[] {150, 60}, KnnMonitor.open(data, 0).sizes());
    assertArrayEquals(new int[] {150, 60}, KnnMonitor.open(data, 1000).sizes());
    Path out = dir.resolve("run");
    run(out).knnEvery(4).knnData(data).knnImages(50).build().fit();
    double top1 = lines(out, "knn").get(0).get("top1").getAsDouble();
    // the opening is logged once, so the monitor's whole cost is in the log
    List<JsonObject> opened = lines(out, "knn_open");
    assertEquals(1, opened.size(), "knn_open lines");
    assertTrue(opened.get(0).get("knn_open_s").getAsDouble() >= 0, opened.get(0).toString());
    // ten classified images: top-1 moves in steps of ten per cent
    assertEquals(0, Math.IEEEremainder(top1, 10), 1e-9, "top1 " + top1);
  }

  @Test
  void missingMonitorDataIsRefusedBeforeAnyFileIsWritten(@TempDir Path dir) {
    Path out = dir.resolve("run");
    Exception e =
        assertThrows(
            Exception.class,
            () -> run(out).knnEvery(2).knnData(dir.resolve("nowhere")).build().fit());
    assertTrue(String.valueOf(e.getMessage()).contains("nowhere"), e.getMessage());
    assertFalse(Files.exists(out.resolve("metrics.jsonl")));
  }
}
