package io.github.saimjava.train;

import io.github.saimjava.data.ImageBatches;
import java.util.SplittableRandom;

/**
 * Smooth random images in memory, batched in a seeded order: enough to train a tiny model in tests.
 */
final class SyntheticBatches implements ImageBatches {
  final int size;
  final int channels;
  final int pixels;
  final int batch;
  final long seed;
  final float[][] images;
  int nanAtIndex = -1;

  SyntheticBatches(int size, int channels, int imageSize, int batch, long seed) {
    this.size = size;
    this.channels = channels;
    this.pixels = imageSize;
    this.batch = batch;
    this.seed = seed;
    images = new float[size][];
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < size; i++) {
      float[] img = new float[channels * imageSize * imageSize];
      double fx = r.nextDouble(0.1, 0.6);
      double fy = r.nextDouble(0.1, 0.6);
      double ph = r.nextDouble(0, 6.3);
      for (int c = 0; c < channels; c++) {
        for (int y = 0; y < imageSize; y++) {
          for (int x = 0; x < imageSize; x++) {
            img[(c * imageSize + y) * imageSize + x] = (float) Math.sin(fx * x + fy * y + ph + c);
          }
        }
      }
      images[i] = img;
    }
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public String describe() {
    return "synthetic(" + size + ")";
  }

  @Override
  public Stream open(int epoch, int startBatch) {
    int[] perm = new int[size];
    for (int i = 0; i < size; i++) {
      perm[i] = i;
    }
    SplittableRandom r = new SplittableRandom(seed * 31 + epoch);
    for (int i = size - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int tmp = perm[i];
      perm[i] = perm[j];
      perm[j] = tmp;
    }
    return new Stream() {
      int next = startBatch;

      @Override
      public Batch next() {
        int per = channels * pixels * pixels;
        float[] px = new float[batch * per];
        int[] idx = new int[batch];
        for (int i = 0; i < batch; i++) {
          idx[i] = perm[next * batch + i];
          System.arraycopy(images[idx[i]], 0, px, i * per, per);
          if (idx[i] == nanAtIndex) {
            px[i * per] = Float.NaN;
          }
        }
        next++;
        return new Batch(px, idx);
      }

      @Override
      public void close() {}
    };
  }
}
