package io.github.saimjava.data;

/**
 * An 8-bit image in memory, row-major, channels interleaved ({@code H x W x C}, C = 1 or 3).
 *
 * @param width pixels per row
 * @param height rows
 * @param channels 1 (grayscale) or 3 (RGB)
 * @param pixels {@code height * width * channels} bytes, unsigned
 */
public record DecodedImage(int width, int height, int channels, byte[] pixels) {
  public DecodedImage {
    if (width <= 0 || height <= 0 || (channels != 1 && channels != 3)
        || pixels.length != width * height * channels) {
      throw new IllegalArgumentException("invalid image " + width + "x" + height + "x" + channels);
    }
  }

  /** The value (0-255) of channel {@code c} at column {@code x}, row {@code y}; grayscale answers every c. */
  public int at(int x, int y, int c) {
    return pixels[(y * width + x) * channels + (channels == 1 ? 0 : c)] & 0xff;
  }
}
