package io.github.saimjava.downstream;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.data.BatchLoader;
import io.github.saimjava.data.ImageBatches;
import io.github.saimjava.train.NoGrad;

/**
 * Evaluation of a classifier.
 *
 * @param top1 top-1 accuracy in percent
 * @param top5 top-5 accuracy in percent (100 with 5 classes or fewer)
 * @param loss mean cross-entropy
 * @param images images evaluated
 */
public record Evaluation(double top1, double top5, double loss, int images) {
  /**
   * Top-1 / top-5 accuracy and mean cross-entropy of {@code model} on every image of {@code data}
   * (the last partial batch included), without stochastic depth or autograd.
   */
  public static Evaluation of(
      VitClassifier model, BatchLoader data, NDManager manager, SaimConfig config) {
    int k = model.numClasses();
    int c = config.channels();
    int size = config.imageSize();
    long top1 = 0;
    long top5 = 0;
    double loss = 0;
    int images = 0;
    try (ImageBatches.Stream batches = data.open(0, 0);
        NoGrad ng = NoGrad.enter()) {
      for (int i = 0; i < data.batchesPerEpoch(); i++) {
        ImageBatches.Batch b = batches.next();
        float[] z;
        try (NDScope scope = new NDScope()) {
          z =
              model
                  .forward(manager.create(b.pixels(), new Shape(b.count(), c, size, size)), false)
                  .toFloatArray();
        }
        for (int r = 0; r < b.count(); r++) {
          int y = b.labels()[r];
          if (y < 0 || y >= k) {
            throw new IllegalArgumentException(
                data.describe()
                    + ": image "
                    + b.indices()[r]
                    + " has label "
                    + y
                    + ", outside 0.."
                    + (k - 1));
          }
          int above = 0;
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j < k; j++) {
            float v = z[r * k + j];
            max = Math.max(max, v);
            if (v > z[r * k + y] || (v == z[r * k + y] && j < y)) {
              above++;
            }
          }
          double sum = 0;
          for (int j = 0; j < k; j++) {
            sum += Math.exp(z[r * k + j] - max);
          }
          loss += Math.log(sum) + max - z[r * k + y];
          top1 += above == 0 ? 1 : 0;
          top5 += above < 5 ? 1 : 0;
        }
        images += b.count();
      }
    }
    return new Evaluation(100.0 * top1 / images, 100.0 * top5 / images, loss / images, images);
  }
}
