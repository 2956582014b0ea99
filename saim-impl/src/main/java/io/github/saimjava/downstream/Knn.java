package io.github.saimjava.downstream;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.saimjava.api.SaimKnn;
import io.github.saimjava.train.Devices;
import io.github.saimjava.train.NoGrad;
import java.util.Arrays;
import java.util.PriorityQueue;

/**
 * The weighted k-nearest-neighbour classifier of {@link SaimKnn} on host features: cosine
 * similarities of a batch of test vectors to all training vectors as one engine matrix multiply
 * ({@code B x D} times {@code D x N}, on the spec's device), then, on the host, each row's k best
 * neighbours and their votes {@code exp(s / T)} per class. Ties are broken as {@link SaimKnn}
 * states: the earlier training vector, the lower class.
 */
public final class Knn {
  private Knn() {}

  /**
   * Classifies {@code testX} by its neighbours in {@code trainX}.
   *
   * @throws IllegalArgumentException when the inputs are empty or inconsistent, naming the row or
   *     label at fault, or when the spec's device is a GPU the engine does not see
   */
  public static SaimKnn.Result run(
      SaimKnn.Spec spec,
      float[][] trainX,
      int[] trainY,
      float[][] testX,
      int[] testY,
      int classes) {
    LabelledFeatures.check("k-NN", trainX, trainY, testX, testY, classes);
    int n = trainX.length;
    int d = trainX[0].length;
    int k = Math.min(spec.k(), n);
    float[] train = normalisedRows(trainX);
    long correct1 = 0;
    long correct5 = 0;
    int top = Math.min(5, classes);
    Engine engine = Engine.getEngine("PyTorch");
    try (NDManager m = engine.newBaseManager(Devices.resolve(engine, spec.device()));
        NoGrad ng = NoGrad.enter()) {
      NDArray trainT = m.create(train, new Shape(n, d)).transpose(); // D x N
      for (int start = 0; start < testX.length; start += spec.batchSize()) {
        int b = Math.min(spec.batchSize(), testX.length - start);
        float[] sims;
        try (NDManager step = m.newSubManager()) {
          NDArray q =
              step.create(
                  normalisedRows(Arrays.copyOfRange(testX, start, start + b)), new Shape(b, d));
          sims = q.matMul(trainT).toFloatArray(); // b x N
        }
        for (int i = 0; i < b; i++) {
          int[] ranked = rankClasses(sims, i * n, n, k, trainY, classes, spec.temperature());
          int label = testY[start + i];
          if (ranked[0] == label) {
            correct1++;
          }
          for (int j = 0; j < top; j++) {
            if (ranked[j] == label) {
              correct5++;
              break;
            }
          }
        }
      }
    }
    return new SaimKnn.Result(100.0 * correct1 / testX.length, 100.0 * correct5 / testX.length, k);
  }

  /**
   * The classes ordered by the votes of the {@code k} training vectors most similar to one test
   * vector, whose similarities are {@code sims[offset .. offset + n)}: most votes first, the lower
   * class first among equal votes.
   */
  static int[] rankClasses(
      float[] sims, int offset, int n, int k, int[] trainY, int classes, double temperature) {
    // the k best so far, the worst at the head: lower similarity is worse, and among equal
    // similarities the later training vector
    PriorityQueue<Integer> best =
        new PriorityQueue<>(
            k,
            (a, b) -> {
              int c = Float.compare(sims[offset + a], sims[offset + b]);
              return c != 0 ? c : Integer.compare(b, a);
            });
    for (int j = 0; j < n; j++) {
      if (best.size() < k) {
        best.add(j);
      } else {
        int worst = best.peek();
        float s = sims[offset + j];
        float w = sims[offset + worst];
        // j comes after every index in the queue, so it only replaces a strictly worse one
        if (s > w) {
          best.poll();
          best.add(j);
        }
      }
    }
    double[] votes = new double[classes];
    for (int j : best) {
      votes[trainY[j]] += Math.exp(sims[offset + j] / temperature);
    }
    Integer[] order = new Integer[classes];
    for (int c = 0; c < classes; c++) {
      order[c] = c;
    }
    Arrays.sort(order, (a, b) -> votes[a] != votes[b] ? Double.compare(votes[b], votes[a]) : a - b);
    int[] out = new int[classes];
    for (int c = 0; c < classes; c++) {
      out[c] = order[c];
    }
    return out;
  }

  /** The rows, each divided by its L2 norm (a zero row stays zero), flattened row-major. */
  static float[] normalisedRows(float[][] x) {
    int d = x[0].length;
    float[] out = new float[x.length * d];
    for (int i = 0; i < x.length; i++) {
      System.arraycopy(x[i], 0, out, i * d, d);
      FeatureRows.normalise(out, i * d, d);
    }
    return out;
  }
}
