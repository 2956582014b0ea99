package io.github.saimjava.api;

import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.awt.image.BufferedImage;

/**
 * An 8-bit image in memory, row-major with interleaved channels ({@code H x W x C}, C = 1 or 3):
 * the engine-neutral form in which images reach an implementation.
 *
 * @param width pixels per row
 * @param height rows
 * @param channels 1 (grayscale) or 3 (RGB)
 * @param pixels {@code height * width * channels} unsigned bytes
 */
public record RawImage(int width, int height, int channels, byte[] pixels) {
  /**
   * Checks the size, the channel count and that {@code pixels} holds exactly one image of that
   * size.
   *
   * @param width pixels per row (positive)
   * @param height rows (positive)
   * @param channels 1 (grayscale) or 3 (RGB)
   * @param pixels {@code height * width * channels} unsigned bytes
   */
  public RawImage {
    Checks.check(width > 0 && height > 0, "image size %sx%s must be positive", width, height);
    Checks.check(channels == 1 || channels == 3, "channels (%s) must be 1 or 3", channels);
    Checks.check(
        pixels.length == width * height * channels,
        "%sx%sx%s image needs %s bytes, got %s",
        width,
        height,
        channels,
        width * height * channels,
        pixels.length);
  }

  /**
   * The RGB pixels of {@code img} (alpha dropped), or its gray values for an 8-bit gray image.
   *
   * @param img any AWT image
   * @return a copy of its pixels, 3 channels (1 for {@code TYPE_BYTE_GRAY})
   */
  public static RawImage of(BufferedImage img) {
    int w = img.getWidth();
    int h = img.getHeight();
    if (img.getType() == BufferedImage.TYPE_BYTE_GRAY) {
      byte[] px = new byte[w * h];
      img.getRaster().getDataElements(0, 0, w, h, px);
      return new RawImage(w, h, 1, px);
    }
    byte[] px = new byte[w * h * 3];
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      img.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0; x < w; x++) {
        int o = (y * w + x) * 3;
        px[o] = (byte) (row[x] >> 16);
        px[o + 1] = (byte) (row[x] >> 8);
        px[o + 2] = (byte) row[x];
      }
    }
    return new RawImage(w, h, 3, px);
  }

  /**
   * The pixels of a DJL image, as RGB.
   *
   * @param image any DJL image
   * @return a copy of its pixels, 3 channels
   */
  public static RawImage of(Image image) {
    if (image.getWrappedImage() instanceof BufferedImage b) {
      return of(b);
    }
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = image.toNDArray(m, Image.Flag.COLOR).toType(DataType.UINT8, false); // H x W x 3
      return new RawImage(image.getWidth(), image.getHeight(), 3, a.toByteArray());
    }
  }
}
