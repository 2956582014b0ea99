package io.github.saimjava.downstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LinearProbeTest {
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
    LinearProbe.Result r =
        LinearProbe.run(tx, ty, vx, vy, 10, new LinearProbe.Settings(20, 128, 10, 0, 0, 0));
    assertTrue(r.top1() > 98, "top-1 " + r.top1());
    assertEquals(100.0, r.top5(), 0.5);
  }

  @Test
  void randomLabelsStayAtChance() {
    int[] ty = new int[2000];
    int[] vy = new int[1000];
    float[][] tx = blobs(2000, ty, 3, false);
    float[][] vx = blobs(1000, vy, 4, false);
    LinearProbe.Result r =
        LinearProbe.run(tx, ty, vx, vy, 10, new LinearProbe.Settings(20, 128, 10, 0, 0, 0));
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
                LinearProbe.run(
                    x,
                    new int[] {0, 1, 0},
                    x,
                    new int[] {0, 5, 1},
                    2,
                    LinearProbe.Settings.paper(1)));
    assertEquals("testY[1] = 5 is not in [0, 2): a label outside the classes", e.getMessage());
  }
}
