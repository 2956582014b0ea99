package io.github.saimjava.data;

/**
 * Turns a decoded 8-bit image into a normalised float {@code C x S x S} array (row-major, channel
 * first). The result is a pure function of the image and (seed, epoch, index): a transform keeps no
 * state, draws its randomness from those three alone, and may be used from several threads.
 */
public interface ImageTransform {
  /** Output channels: 3 (grayscale replicated), or 1 (RGB reduced to luma). */
  int channels();

  /** Output height and width in pixels. */
  int size();

  /** Floats per image: {@code channels() * size() * size()}. */
  default int outputLength() {
    return channels() * size() * size();
  }

  /**
   * Writes the transformed image to {@code out[offset .. offset + outputLength())}.
   *
   * @param seed the run's seed
   * @param epoch the epoch the image is drawn in
   * @param index the image's dataset index
   */
  void apply(DecodedImage image, long seed, int epoch, int index, float[] out, int offset);

  /**
   * The transformed image in a new array (see {@link #apply(DecodedImage, long, int, int, float[],
   * int)}).
   */
  default float[] apply(DecodedImage image, long seed, int epoch, int index) {
    float[] out = new float[outputLength()];
    apply(image, seed, epoch, index, out, 0);
    return out;
  }

  /** What the transform does, for logs. */
  String describe();
}
