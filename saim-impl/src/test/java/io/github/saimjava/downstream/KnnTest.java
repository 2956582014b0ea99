package io.github.saimjava.downstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.github.saimjava.api.SaimKnn;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Knn} against a brute-force weighted k-NN in double precision: every pair's cosine, a full
 * sort of the training set per test vector, the votes, a full sort of the classes.
 */
class KnnTest {
  /** The brute force: top-1 and top-5 in percent. */
  static double[] bruteForce(
      float[][] train, int[] trainY, float[][] test, int[] testY, int classes, int k, double t) {
    int hit1 = 0;
    int hit5 = 0;
    for (int i = 0; i < test.length; i++) {
      double[] sim = new double[train.length];
      Integer[] idx = new Integer[train.length];
      for (int j = 0; j < train.length; j++) {
        sim[j] = cosine(test[i], train[j]);
        idx[j] = j;
      }
      // most similar first, the earlier training vector first among equals
      Arrays.sort(idx, (a, b) -> sim[a] != sim[b] ? Double.compare(sim[b], sim[a]) : a - b);
      double[] votes = new double[classes];
      for (int r = 0; r < Math.min(k, train.length); r++) {
        votes[trainY[idx[r]]] += Math.exp(sim[idx[r]] / t);
      }
      Integer[] cls = new Integer[classes];
      for (int c = 0; c < classes; c++) {
        cls[c] = c;
      }
      Arrays.sort(cls, (a, b) -> votes[a] != votes[b] ? Double.compare(votes[b], votes[a]) : a - b);
      if (cls[0] == testY[i]) {
        hit1++;
      }
      for (int r = 0; r < Math.min(5, classes); r++) {
        if (cls[r] == testY[i]) {
          hit5++;
        }
      }
    }
    return new double[] {100.0 * hit1 / test.length, 100.0 * hit5 / test.length};
  }

  static double cosine(float[] a, float[] b) {
    double ab = 0;
    double aa = 0;
    double bb = 0;
    for (int i = 0; i < a.length; i++) {
      ab += (double) a[i] * b[i];
      aa += (double) a[i] * a[i];
      bb += (double) b[i] * b[i];
    }
    return ab / Math.sqrt(aa) / Math.sqrt(bb);
  }

  /** Clustered data: each class a random centre, each vector its class's centre plus noise. */
  static float[][] clustered(SplittableRandom rng, int[] labels, float[][] centres, double noise) {
    float[][] x = new float[labels.length][centres[0].length];
    for (int i = 0; i < labels.length; i++) {
      for (int j = 0; j < x[i].length; j++) {
        x[i][j] = (float) (centres[labels[i]][j] + noise * rng.nextGaussian());
      }
    }
    return x;
  }

  @Test
  void agreesWithTheBruteForceOnNoisyClusters() {
    SplittableRandom rng = new SplittableRandom(11);
    int classes = 7;
    int d = 12;
    float[][] centres = new float[classes][d];
    for (float[] c : centres) {
      for (int j = 0; j < d; j++) {
        c[j] = (float) rng.nextGaussian();
      }
    }
    int[] trainY = rng.ints(300, 0, classes).toArray();
    int[] testY = rng.ints(97, 0, classes).toArray();
    float[][] train = clustered(rng, trainY, centres, 1.2);
    float[][] test = clustered(rng, testY, centres, 1.2);
    for (int k : new int[] {1, 5, 20, 400}) {
      for (double t : new double[] {0.07, 1.0}) {
        double[] want = bruteForce(train, trainY, test, testY, classes, k, t);
        // batches of 8: the batching must not change anything
        SaimKnn.Result got =
            Knn.run(new SaimKnn.Spec(k, t, 8, null), train, trainY, test, testY, classes);
        assertEquals(want[0], got.top1(), 1e-9, "k " + k + " T " + t);
        assertEquals(want[1], got.top5(), 1e-9, "k " + k + " T " + t);
        assertEquals(Math.min(k, 300), got.k());
      }
    }
    // the noise makes the task hard enough that the check means something
    double[] mid = bruteForce(train, trainY, test, testY, classes, 20, 0.07);
    org.junit.jupiter.api.Assertions.assertTrue(mid[0] > 40 && mid[0] < 100, "top-1 " + mid[0]);
  }

  @Test
  void exactTiesGoToTheEarlierNeighbourAndTheLowerClass() {
    // four training vectors in the same direction (cosine 1 to the test vector): with k = 2 the
    // first two (classes 3 and 1) vote, equally, so class 1 ranks first, then 3
    float[][] train = {{1, 0}, {2, 0}, {3, 0}, {4, 0}, {0, 1}};
    int[] trainY = {3, 1, 0, 0, 2};
    float[][] sims = {{1, 1, 1, 1, 0}};
    int[] ranked = Knn.rankClasses(flatten(sims), 0, 5, 2, trainY, 4, 0.07);
    assertArrayEquals(new int[] {1, 3, 0, 2}, ranked);
    SaimKnn.Result r =
        Knn.run(
            new SaimKnn.Spec(2, 0.07, 4, null),
            train,
            trainY,
            new float[][] {{5, 0}},
            new int[] {1},
            4);
    assertEquals(100.0, r.top1());
  }

  @Test
  void badInputIsNamed() {
    float[][] x = {{1, 0}, {0, 1}};
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Knn.run(
                    new SaimKnn.Spec(1, 0.07, 4, null),
                    x,
                    new int[] {0, 5},
                    x,
                    new int[] {0, 1},
                    2));
    assertEquals("trainY[1] = 5 is not in [0, 2): a label outside the classes", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Knn.run(
                    new SaimKnn.Spec(1, 0.07, 4, null),
                    x,
                    new int[] {0, 1},
                    new float[][] {{1, 0, 0}},
                    new int[] {0},
                    2));
    assertEquals("testX[0] has 3 values, trainX[0] 2", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new SaimKnn.Spec(0, 0.07, 4, null));
    assertEquals("k (0) must be positive", e.getMessage());
  }

  @Test
  void theSpecsDeviceIsUsedAndAGpuTheEngineDoesNotSeeIsNamed() {
    float[][] x = {{1, 0}, {0, 1}};
    int[] y = {0, 1};
    SaimKnn.Result cpu =
        Knn.run(SaimKnn.builder().k(1).device(Device.cpu()).build().spec(), x, y, x, y, 2);
    assertEquals(100.0, cpu.top1(), 0);
    String m =
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    Knn.run(SaimKnn.builder().device(Device.gpu(64)).build().spec(), x, y, x, y, 2))
            .getMessage();
    assertTrue(m.startsWith("device gpu(64) is not there: the engine sees "), m);
    assertEquals(1, m.lines().count(), m);
  }

  private static float[] flatten(float[][] rows) {
    List<Float> all = new ArrayList<>();
    for (float[] r : rows) {
      for (float v : r) {
        all.add(v);
      }
    }
    float[] out = new float[all.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = all.get(i);
    }
    return out;
  }
}
