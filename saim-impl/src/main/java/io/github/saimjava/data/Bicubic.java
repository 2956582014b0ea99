package io.github.saimjava.data;

import java.util.Locale;

/**
 * Bicubic resampling of 8-bit images as PIL's {@code Image.resize(..., BICUBIC)} does it, so the
 * result matches a PIL/torchvision pipeline pixel for pixel: a cubic convolution kernel of support
 * 2, widened by the scale factor when shrinking (so downsampling is antialiased), weights
 * normalised per output pixel and turned into 22-bit fixed point, a horizontal pass then a vertical
 * pass, each rounded and clamped to [0, 255].
 *
 * <p>PIL's kernel has {@code a = -0.5} ({@link #pil()}); {@code a = -0.75} ({@link #KEYS_A}) is
 * what OpenCV and PyTorch's non-antialiased tensor interpolation use. Instances are immutable and
 * thread-safe.
 */
public final class Bicubic {
  /** The kernel parameter of PIL (and so of torchvision on PIL images). */
  public static final double PIL_A = -0.5;

  /** The kernel parameter of OpenCV and of PyTorch's {@code interpolate(mode="bicubic")}. */
  public static final double KEYS_A = -0.75;

  private static final int PRECISION_BITS = 32 - 8 - 2;
  private static final Bicubic PIL = new Bicubic(PIL_A);

  private final double a;

  private Bicubic(double a) {
    this.a = a;
  }

  /** The resampler with PIL's kernel, {@code a = -0.5}. */
  public static Bicubic pil() {
    return PIL;
  }

  /**
   * A resampler whose cubic kernel has parameter {@code a}.
   *
   * @throws IllegalArgumentException unless {@code -1 <= a <= 0}
   */
  public static Bicubic withA(double a) {
    if (!(a >= -1 && a <= 0)) {
      throw new IllegalArgumentException("cubic kernel parameter a must be in [-1, 0], got " + a);
    }
    return a == PIL_A ? PIL : new Bicubic(a);
  }

  /** The kernel parameter. */
  public double a() {
    return a;
  }

  /** The cubic convolution kernel at {@code x} (zero outside (-2, 2)). */
  public double kernel(double x) {
    if (x < 0.0) {
      x = -x;
    }
    if (x < 1.0) {
      return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    }
    if (x < 2.0) {
      return (((x - 5) * x + 8) * x - 4) * a;
    }
    return 0.0;
  }

  /** The whole image resized to {@code outWidth x outHeight}. */
  public DecodedImage resize(DecodedImage image, int outWidth, int outHeight) {
    return resize(image, new CropBox(0, 0, image.width(), image.height()), outWidth, outHeight);
  }

  /**
   * The {@code box} of the image, cut out and then resized to {@code outWidth x outHeight} (as
   * PIL's {@code crop(...).resize(...)}: only pixels inside the box contribute).
   *
   * @throws IllegalArgumentException when the box is not inside the image or a size is not positive
   */
  public DecodedImage resize(DecodedImage image, CropBox box, int outWidth, int outHeight) {
    if (!box.inside(image.width(), image.height())) {
      throw new IllegalArgumentException(
          "crop box " + box + " outside the " + image.width() + " x " + image.height() + " image");
    }
    if (outWidth <= 0 || outHeight <= 0) {
      throw new IllegalArgumentException("invalid output size " + outWidth + " x " + outHeight);
    }
    int c = image.channels();
    boolean horizontal = outWidth != box.width();
    boolean vertical = outHeight != box.height();
    if (!horizontal && !vertical) {
      return crop(image, box);
    }
    Coefficients cx = coefficients(box.width(), outWidth);
    Coefficients cy = coefficients(box.height(), outHeight);
    byte[] src = image.pixels();
    int srcStride = image.width() * c;
    // rows of the source that the vertical pass will read
    int firstRow = cy.first[0];
    int lastRow = cy.first[outHeight - 1] + cy.count[outHeight - 1];
    byte[] mid;
    int midWidth;
    int midOrigin;
    int midStride;
    if (horizontal) {
      int rows = lastRow - firstRow;
      mid = new byte[rows * outWidth * c];
      for (int yy = 0; yy < rows; yy++) {
        int rowStart = (box.y() + firstRow + yy) * srcStride + box.x() * c;
        for (int xx = 0; xx < outWidth; xx++) {
          int k0 = xx * cx.ksize;
          int first = rowStart + cx.first[xx] * c;
          for (int ch = 0; ch < c; ch++) {
            int ss = 1 << (PRECISION_BITS - 1);
            for (int j = 0; j < cx.count[xx]; j++) {
              ss += (src[first + j * c + ch] & 0xff) * cx.k[k0 + j];
            }
            mid[(yy * outWidth + xx) * c + ch] = clip8(ss);
          }
        }
      }
      midWidth = outWidth;
      midOrigin = -firstRow * outWidth * c;
      midStride = outWidth * c;
    } else {
      mid = src;
      midWidth = box.width();
      midOrigin = box.y() * srcStride + box.x() * c;
      midStride = srcStride;
    }
    if (!vertical) {
      if (mid.length == midWidth * outHeight * c && midOrigin == 0) {
        return new DecodedImage(outWidth, outHeight, c, mid);
      }
      byte[] out = new byte[outWidth * outHeight * c];
      for (int y = 0; y < outHeight; y++) {
        System.arraycopy(mid, midOrigin + y * midStride, out, y * outWidth * c, outWidth * c);
      }
      return new DecodedImage(outWidth, outHeight, c, out);
    }
    byte[] out = new byte[outWidth * outHeight * c];
    for (int yy = 0; yy < outHeight; yy++) {
      int k0 = yy * cy.ksize;
      int firstAt = midOrigin + cy.first[yy] * midStride;
      for (int xx = 0; xx < outWidth; xx++) {
        for (int ch = 0; ch < c; ch++) {
          int ss = 1 << (PRECISION_BITS - 1);
          int at = firstAt + xx * c + ch;
          for (int j = 0; j < cy.count[yy]; j++) {
            ss += (mid[at + j * midStride] & 0xff) * cy.k[k0 + j];
          }
          out[(yy * outWidth + xx) * c + ch] = clip8(ss);
        }
      }
    }
    return new DecodedImage(outWidth, outHeight, c, out);
  }

  private static DecodedImage crop(DecodedImage image, CropBox box) {
    int c = image.channels();
    if (box.x() == 0
        && box.y() == 0
        && box.width() == image.width()
        && box.height() == image.height()) {
      return image;
    }
    byte[] out = new byte[box.width() * box.height() * c];
    for (int y = 0; y < box.height(); y++) {
      System.arraycopy(
          image.pixels(),
          ((box.y() + y) * image.width() + box.x()) * c,
          out,
          y * box.width() * c,
          box.width() * c);
    }
    return new DecodedImage(box.width(), box.height(), c, out);
  }

  private static byte clip8(int ss) {
    int v = ss >> PRECISION_BITS;
    return (byte) (v < 0 ? 0 : Math.min(v, 255));
  }

  /**
   * Fixed-point weights of one axis: output pixel i reads {@code count[i]} inputs from {@code
   * first[i]}.
   */
  private static final class Coefficients {
    final int ksize;
    final int[] first;
    final int[] count;
    final int[] k;

    Coefficients(int ksize, int out) {
      this.ksize = ksize;
      this.first = new int[out];
      this.count = new int[out];
      this.k = new int[out * ksize];
    }
  }

  /**
   * The weights for resampling {@code inSize} pixels to {@code outSize}, computed in PIL's order of
   * operations.
   */
  private Coefficients coefficients(int inSize, int outSize) {
    double scale = (double) inSize / outSize;
    double filterScale = Math.max(scale, 1.0);
    double support = 2.0 * filterScale;
    int ksize = (int) Math.ceil(support) * 2 + 1;
    Coefficients co = new Coefficients(ksize, outSize);
    double[] w = new double[ksize];
    double ss = 1.0 / filterScale;
    for (int xx = 0; xx < outSize; xx++) {
      double centre = (xx + 0.5) * scale;
      int xmin = Math.max((int) (centre - support + 0.5), 0);
      int xmax = Math.min((int) (centre + support + 0.5), inSize) - xmin;
      double total = 0.0;
      for (int x = 0; x < xmax; x++) {
        w[x] = kernel((x + xmin - centre + 0.5) * ss);
        total += w[x];
      }
      for (int x = 0; x < xmax; x++) {
        double v = total != 0.0 ? w[x] / total : w[x];
        co.k[xx * ksize + x] =
            (int) (v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
      }
      co.first[xx] = xmin;
      co.count[xx] = xmax;
    }
    return co;
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "bicubic(a=%s)", a);
  }
}
