package io.github.saimjava.data;

/**
 * A rectangle of whole pixels in an image.
 *
 * @param x first column
 * @param y first row
 * @param width columns, at least 1
 * @param height rows, at least 1
 */
public record CropBox(int x, int y, int width, int height) {
  /**
   * Checks the box is not empty and does not start before the image.
   *
   * @throws IllegalArgumentException when a side is not positive or a corner is negative
   */
  public CropBox {
    if (x < 0 || y < 0 || width <= 0 || height <= 0) {
      throw new IllegalArgumentException(
          "invalid crop box " + x + "," + y + " " + width + " x " + height);
    }
  }

  /** Whether the box lies inside an image of {@code imageWidth x imageHeight}. */
  public boolean inside(int imageWidth, int imageHeight) {
    return (long) x + width <= imageWidth && (long) y + height <= imageHeight;
  }
}
