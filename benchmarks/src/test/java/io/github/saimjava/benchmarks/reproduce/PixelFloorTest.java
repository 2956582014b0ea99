package io.github.saimjava.benchmarks.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.saimjava.data.Datasets;
import io.github.saimjava.data.IdxDataset;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The raw-pixel floor: the first N training images, pixels / 255, DINO's k-NN vote. */
class PixelFloorTest {
  /** Writes embedded training images [first, first + n) as the IDX pair prefix-*. */
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

  /**
   * k-NN top-1 (%) computed the slow way: cosine of the raw pixel rows, the k most similar training
   * rows (earlier first among equals) vote exp(cosine / T), the lower class wins a tie.
   */
  private static double bruteForceTop1(
      IdxDataset all, int trainN, int testFirst, int testN, int k) {
    double[][] train = new double[trainN][];
    for (int i = 0; i < trainN; i++) {
      train[i] = unit(all.image(i).pixels());
    }
    int correct = 0;
    for (int q = testFirst; q < testFirst + testN; q++) {
      double[] x = unit(all.image(q).pixels());
      double[] sim = new double[trainN];
      for (int i = 0; i < trainN; i++) {
        for (int j = 0; j < x.length; j++) {
          sim[i] += x[j] * train[i][j];
        }
      }
      boolean[] taken = new boolean[trainN];
      double[] votes = new double[10];
      for (int n = 0; n < k; n++) {
        int best = -1;
        for (int i = 0; i < trainN; i++) {
          if (!taken[i] && (best < 0 || sim[i] > sim[best])) {
            best = i;
          }
        }
        taken[best] = true;
        votes[all.label(best)] += Math.exp(sim[best] / 0.07);
      }
      int top = 0;
      for (int c = 1; c < 10; c++) {
        if (votes[c] > votes[top]) {
          top = c;
        }
      }
      correct += top == all.label(q) ? 1 : 0;
    }
    return 100.0 * correct / testN;
  }

  private static double[] unit(byte[] px) {
    double[] v = new double[px.length];
    double norm = 0;
    for (int j = 0; j < px.length; j++) {
      v[j] = (px[j] & 0xff) / 255.0;
      norm += v[j] * v[j];
    }
    norm = Math.sqrt(norm);
    for (int j = 0; j < v.length; j++) {
      v[j] /= norm;
    }
    return v;
  }

  @Test
  void kNearestNeighboursOfTheFirstTrainingImagesMatchABruteForceVote(@TempDir Path dir)
      throws Exception {
    // 80 images in the training file, of which --train keeps the first 60; 40 test images
    idxPair(dir, "train", 0, 80);
    idxPair(dir, "t10k", 200, 40);
    Path out = dir.resolve("pixels");
    Path json = out.resolve("metrics.json");
    int rc =
        PixelFloor.execute(
            "--data",
            dir.toString(),
            "--train",
            "60",
            "--k",
            "5",
            "--probe-seeds",
            "0",
            "--threads",
            "1",
            "--output",
            out.toString());
    assertEquals(0, rc);
    JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
    assertEquals(60, o.get("train_images").getAsInt());
    assertEquals(40, o.get("test_images").getAsInt());
    double expected = bruteForceTop1(Datasets.embeddedTrain(), 60, 200, 40, 5);
    double top1 = o.getAsJsonObject("knn").get("top1").getAsDouble();
    assertEquals(expected, top1, 1e-9 * Math.max(1, expected), "k-NN top-1 on raw pixels");
    assertEquals(1, o.getAsJsonArray("linprobe").size());
    double probe = o.getAsJsonArray("linprobe").get(0).getAsJsonObject().get("top1").getAsDouble();
    assertTrue(probe >= 0 && probe <= 100, "linear-probe top-1 is a percentage: " + probe);
  }

  @Test
  void moreTrainingImagesThanTheFileHoldsIsRefusedInOneLineWithoutOutput(@TempDir Path dir)
      throws Exception {
    idxPair(dir, "train", 0, 30);
    idxPair(dir, "t10k", 100, 10);
    Path out = dir.resolve("pixels");
    Path json = out.resolve("metrics.json");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream saved = System.err;
    int rc;
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      rc =
          PixelFloor.execute("--data", dir.toString(), "--train", "31", "--output", out.toString());
    } finally {
      System.setErr(saved);
    }
    assertEquals(2, rc);
    String msg = err.toString(StandardCharsets.UTF_8).strip();
    assertEquals(1, msg.lines().count(), msg);
    assertTrue(msg.startsWith("pixel-floor: error: trainImages must be in 0..30"), msg);
    assertFalse(Files.exists(json));
  }
}
