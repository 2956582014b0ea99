package io.github.saimjava.downstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.SaimLinearProbe;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The linear probe, run through the API's façade (and so the provider) or from its spec. */
class LinearProbeTest {
  /** A one-rate probe: epochs, batch, base rate, weight decay, warm-up epochs, seed. */
  static SaimLinearProbe probe(
      int epochs, int batch, double blr, double weightDecay, double warmup, long seed) {
    return SaimLinearProbe.builder()
        .epochs(epochs)
        .batchSize(batch)
        .blr(blr)
        .weightDecay(weightDecay)
        .warmupEpochs(warmup)
        .seed(seed)
        .build();
  }

  /** Class k is a Gaussian blob around its own random centre, in 32 dimensions. */
  static float[][] blobs(int n, int[] labels, long seed, boolean separable) {
    SplittableRandom centres = new SplittableRandom(99);
    float[][] c = new float[10][32];
    for (float[] row : c) {
      for (int j = 0; j < 32; j++) {
        row[j] = (float) centres.nextGaussian() * 3;
      }
    }
    SplittableRandom r = new SplittableRandom(seed);
    float[][] x = new float[n][32];
    for (int i = 0; i < n; i++) {
      labels[i] = r.nextInt(10);
      for (int j = 0; j < 32; j++) {
        x[i][j] = (separable ? c[labels[i]][j] : 0) + (float) r.nextGaussian() + 5;
      }
    }
    return x;
  }

  // LARS moves the head by about lr * 0.001 of its norm per step, so a short probe on a small batch
  // needs a larger base rate than the paper's 0.1 at batch 16384 (lr 6.4)
  @Test
  void separableFeaturesReachNearPerfectAccuracy() {
    int[] ty = new int[2000];
    int[] vy = new int[500];
    float[][] tx = blobs(2000, ty, 1, true);
    float[][] vx = blobs(500, vy, 2, true);
    SaimLinearProbe.Result r = probe(20, 128, 10, 0, 0, 0).fit(tx, ty, vx, vy, 10);
    assertTrue(r.top1() > 98, "top-1 " + r.top1());
    assertEquals(100.0, r.top5(), 0.5);
  }

  @Test
  void randomLabelsStayAtChance() {
    int[] ty = new int[2000];
    int[] vy = new int[1000];
    float[][] tx = blobs(2000, ty, 3, false);
    float[][] vx = blobs(1000, vy, 4, false);
    SaimLinearProbe.Result r = probe(20, 128, 10, 0, 0, 0).fit(tx, ty, vx, vy, 10);
    assertTrue(r.top1() > 5 && r.top1() < 16, "top-1 " + r.top1());
    assertTrue(r.top5() > 40 && r.top5() < 60, "top-5 " + r.top5());
  }

  @Test
  void larsScalesTheUpdateByTheTrustRatio() {
    double[][] p = {{3, 4}};
    double[][] g = {{0.6, 0.8}};
    double[][] mu = {{0, 0}};
    LinearProbe.lars(p, g, mu, 1.0, 0);
    // trust ratio 0.001 * |p| / |g| = 0.005: mu = 0.005 * g, p -= mu
    assertEquals(3 - 0.003, p[0][0], 1e-12);
    assertEquals(4 - 0.004, p[0][1], 1e-12);
  }

  @Test
  void aLabelOutsideTheClassesIsNamedNotAnIndexError() {
    float[][] x = {{1, 0}, {0, 1}, {1, 1}};
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () ->
                SaimLinearProbe.builder()
                    .epochs(1)
                    .build()
                    .fit(x, new int[] {0, 1, 0}, x, new int[] {0, 5, 1}, 2));
    assertEquals("testY[1] = 5 is not in [0, 2): a label outside the classes", e.getMessage());
  }

  private static float[][] rows(float[][] x, int[] rows) {
    float[][] out = new float[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      out[i] = x[rows[i]];
    }
    return out;
  }

  private static int[] rows(int[] y, int[] rows) {
    int[] out = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      out[i] = y[rows[i]];
    }
    return out;
  }

  private static double maxRelativeError(float[][] a, float[][] b) {
    double num = 0;
    double den = 0;
    for (int k = 0; k < a.length; k++) {
      for (int j = 0; j < a[k].length; j++) {
        num = Math.max(num, Math.abs(a[k][j] - b[k][j]));
        den = Math.max(den, Math.abs(b[k][j]));
      }
    }
    return num / den;
  }

  @Test
  void eachHeadOfASweepIsTheHeadTrainedAloneAtItsRate() {
    int[] ty = new int[600];
    int[] vy = new int[200];
    float[][] tx = blobs(600, ty, 5, true);
    float[][] vx = blobs(200, vy, 6, true);
    double[] blrs = {0.1, 1.6, 25};
    SaimLinearProbe.Spec s =
        probe(4, 64, 0.1, 0.001, 1, 11).toBuilder().blrs(blrs).heldOutFraction(0.2).build().spec();
    SaimLinearProbe.Result sweep = LinearProbe.run(s, tx, ty, vx, vy, 10);
    int[][] split = LinearProbe.split(600, 0.2, 11);
    assertEquals(120, sweep.heldOutImages());
    assertEquals(480, split[0].length);
    assertEquals(blrs.length, sweep.sweep().size());
    float[][] fitX = rows(tx, split[0]);
    int[] fitY = rows(ty, split[0]);
    boolean selectedSeen = false;
    for (int h = 0; h < blrs.length; h++) {
      SaimLinearProbe.Result alone =
          probe(4, 64, blrs[h], 0.001, 1, 11).fit(fitX, fitY, vx, vy, 10);
      SaimLinearProbe.Rate rate = sweep.sweep().get(h);
      assertEquals(blrs[h], rate.blr());
      assertEquals(alone.top1(), rate.top1(), 1e-9);
      assertEquals(alone.top5(), rate.top5(), 1e-9);
      assertEquals(alone.trainLoss(), rate.trainLoss(), 1e-12 * alone.trainLoss());
      SaimLinearProbe.Result held =
          probe(4, 64, blrs[h], 0.001, 1, 11)
              .fit(fitX, fitY, rows(tx, split[1]), rows(ty, split[1]), 10);
      assertEquals(held.top1(), rate.heldOutTop1(), 1e-9);
      if (blrs[h] == sweep.blr()) {
        selectedSeen = true;
        assertTrue(maxRelativeError(sweep.head().weight(), alone.head().weight()) < 1e-6);
        assertEquals(alone.top1(), sweep.top1(), 1e-9);
      }
    }
    assertTrue(selectedSeen, "selected blr " + sweep.blr());
  }

  @Test
  void theRateIsSelectedOnTheHeldOutTrainingImagesNotTheTestSet() {
    int[] ty = new int[1000];
    int[] vy = new int[300];
    float[][] tx = blobs(1000, ty, 7, true);
    float[][] vx = blobs(300, vy, 8, true);
    // a test set whose labels are shifted by one: a head that learnt the classes scores ~0 there,
    // one that barely moved from its initialisation scores ~chance, so the test set would pick it
    for (int i = 0; i < vy.length; i++) {
      vy[i] = (vy[i] + 1) % 10;
    }
    SaimLinearProbe.Result sweep =
        SaimLinearProbe.builder()
            .epochs(10)
            .batchSize(100)
            .blrs(1e-4, 10)
            .heldOutFraction(0.1)
            .seed(3)
            .build()
            .fit(tx, ty, vx, vy, 10);
    SaimLinearProbe.Rate slow = sweep.sweep().get(0);
    SaimLinearProbe.Rate fast = sweep.sweep().get(1);
    assertTrue(fast.heldOutTop1() > 95, "held-out top-1 " + fast.heldOutTop1());
    assertTrue(slow.top1() > fast.top1(), slow + " " + fast);
    assertEquals(10, sweep.blr());
    assertEquals(fast.top1(), sweep.top1(), 1e-12);
  }

  @Test
  void oneRateHoldsNothingOutAndReportsNoSweep() {
    int[] ty = new int[200];
    int[] vy = new int[50];
    float[][] tx = blobs(200, ty, 9, true);
    float[][] vx = blobs(50, vy, 10, true);
    SaimLinearProbe.Result r = probe(2, 50, 0.4, 0, 0, 0).fit(tx, ty, vx, vy, 10);
    assertEquals(0.4, r.blr());
    assertEquals(0, r.heldOutImages());
    assertTrue(r.sweep().isEmpty());
    // 200 images at batch 50, two epochs
    assertEquals(8, r.head().batchesTracked());
  }

  @Test
  void theSpecsCpuDeviceRunsAsNoDevice() {
    int[] ty = new int[100];
    int[] vy = new int[20];
    float[][] tx = blobs(100, ty, 11, true);
    float[][] vx = blobs(20, vy, 12, true);
    SaimLinearProbe none = probe(2, 25, 1, 0, 0, 4);
    SaimLinearProbe cpu = none.toBuilder().device(ai.djl.Device.cpu()).build();
    assertEquals(ai.djl.Device.cpu(), cpu.spec().device());
    assertEquals(
        none.fit(tx, ty, vx, vy, 10).trainLoss(), cpu.fit(tx, ty, vx, vy, 10).trainLoss(), 0);
  }

  @Test
  void theHeldOutSplitIsSeededDisjointAndComplete() {
    int[][] a = LinearProbe.split(101, 0.1, 42);
    int[][] b = LinearProbe.split(101, 0.1, 42);
    int[][] c = LinearProbe.split(101, 0.1, 43);
    assertEquals(java.util.Arrays.deepToString(a), java.util.Arrays.deepToString(b));
    assertTrue(!java.util.Arrays.equals(a[1], c[1]));
    assertEquals(10, a[1].length);
    boolean[] seen = new boolean[101];
    for (int[] side : a) {
      for (int i : side) {
        assertTrue(!seen[i], "row " + i + " on both sides");
        seen[i] = true;
      }
    }
    for (boolean v : seen) {
      assertTrue(v);
    }
  }

  @Test
  void aHeldOutFractionThatLeavesNothingToTrainOnIsNamed() {
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> LinearProbe.split(3, 0.9, 0));
    assertEquals(
        "a validation fraction of 0.9 of 3 training images leaves none to train on",
        e.getMessage());
  }
}
