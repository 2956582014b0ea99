package io.github.saimjava.downstream;

import io.github.saimjava.data.DecodedImage;
import io.github.saimjava.data.ImageDataset;
import java.util.SplittableRandom;

/**
 * A small labelled set a tiny ViT learns in a few steps: class k is a bright band across rows 4k to
 * 4k+3 of a noisy 16 x 16 grayscale image (unchanged by horizontal flips).
 */
final class TinyImages implements ImageDataset {
  private final DecodedImage[] images;
  private final int[] labels;

  TinyImages(int n, long seed) {
    images = new DecodedImage[n];
    labels = new int[n];
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < n; i++) {
      int k = i % 4;
      byte[] px = new byte[16 * 16];
      for (int y = 0; y < 16; y++) {
        for (int x = 0; x < 16; x++) {
          boolean in = y / 4 == k && x > 2 && x < 13;
          px[y * 16 + x] = (byte) ((in ? 200 : 30) + r.nextInt(40));
        }
      }
      images[i] = new DecodedImage(16, 16, 1, px);
      labels[i] = k;
    }
  }

  @Override
  public int size() {
    return images.length;
  }

  @Override
  public DecodedImage image(int index) {
    return images[index];
  }

  @Override
  public int label(int index) {
    return labels[index];
  }

  @Override
  public int numClasses() {
    return 4;
  }

  @Override
  public String name() {
    return "tiny-quadrants";
  }

  @Override
  public String describe() {
    return "tiny-quadrants (" + images.length + " images)";
  }
}
