package io.github.saimjava.data;

import io.github.saimjava.api.RawImage;

/**
 * An 8-bit image in memory, row-major with the channels interleaved ({@code H x W x C}, C = 1 for
 * grayscale or 3 for RGB), as PIL's {@code tobytes()} lays it out.
 *
 * <p>The array is shared, not copied: treat it as read-only once the image is built.
 *
 * @param width pixels per row
 * @param height rows
 * @param channels 1 (grayscale) or 3 (RGB)
 * @param pixels {@code height * width * channels} unsigned bytes
 */
public record DecodedImage(int width, int height, int channels, byte[] pixels) {
  /**
   * Checks the shape against the pixel array.
   *
   * @throws IllegalArgumentException when a side is not positive, the channel count is not 1 or 3,
   *     or the array length does not match
   */
  public DecodedImage {
    if (width <= 0
        || height <= 0
        || (channels != 1 && channels != 3)
        || pixels.length != (long) width * height * channels) {
      throw new IllegalArgumentException(
          "invalid image: "
              + width
              + " x "
              + height
              + " x "
              + channels
              + " with "
              + pixels.length
              + " bytes");
    }
  }

  /**
   * The value (0-255) of channel {@code c} at column {@code x}, row {@code y}; a grayscale image
   * answers every c.
   */
  public int at(int x, int y, int c) {
    return pixels[(y * width + x) * channels + (channels == 1 ? 0 : c)] & 0xff;
  }

  /** This image with three channels: grayscale replicated to R, G and B; RGB unchanged. */
  public DecodedImage toRgb() {
    if (channels == 3) {
      return this;
    }
    byte[] rgb = new byte[pixels.length * 3];
    for (int i = 0; i < pixels.length; i++) {
      rgb[3 * i] = pixels[i];
      rgb[3 * i + 1] = pixels[i];
      rgb[3 * i + 2] = pixels[i];
    }
    return new DecodedImage(width, height, 3, rgb);
  }

  /**
   * This image with one channel: RGB reduced to luma with PIL's {@code convert("L")} weights (ITU-R
   * 601-2: 0.299 R + 0.587 G + 0.114 B, rounded); grayscale unchanged.
   */
  public DecodedImage toGray() {
    if (channels == 1) {
      return this;
    }
    byte[] gray = new byte[width * height];
    for (int i = 0; i < gray.length; i++) {
      int r = pixels[3 * i] & 0xff;
      int g = pixels[3 * i + 1] & 0xff;
      int b = pixels[3 * i + 2] & 0xff;
      gray[i] = (byte) ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16);
    }
    return new DecodedImage(width, height, 1, gray);
  }

  /** The same pixels as the API's engine-neutral image. */
  public RawImage toRawImage() {
    return new RawImage(width, height, channels, pixels);
  }

  /** The same pixels from the API's engine-neutral image. */
  public static DecodedImage of(RawImage r) {
    return new DecodedImage(r.width(), r.height(), r.channels(), r.pixels());
  }
}
