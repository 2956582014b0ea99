package io.github.saimjava.data;

import java.util.SplittableRandom;

/**
 * Image transforms of the paper's recipe, on 8-bit images, producing normalised float {@code C x S x S}
 * arrays. Resampling is bicubic as PIL does it (cubic kernel with a = -0.5, the support widened by
 * the scale factor when shrinking, so downsampling is antialiased), rounded back to 8 bits like a
 * PIL image before normalisation.
 */
public final class Transforms {
  /** ImageNet channel means (RGB) used by the reference. */
  public static final float[] MEAN = {0.485f, 0.456f, 0.406f};
  /** ImageNet channel standard deviations (RGB) used by the reference. */
  public static final float[] STD = {0.229f, 0.224f, 0.225f};

  private Transforms() {}

  /** A crop box in source pixels. */
  public record Box(int x, int y, int width, int height) {}

  /**
   * torchvision's RandomResizedCrop box: up to ten tries of an area fraction uniform in
   * {@code [minScale, maxScale]} and a log-uniform aspect ratio in [3/4, 4/3], accepted when it fits;
   * otherwise the centre crop clamped to the ratio range.
   */
  public static Box randomResizedCropBox(int w, int h, double minScale, double maxScale, SplittableRandom r) {
    double area = (double) w * h;
    double logLo = StrictMath.log(3.0 / 4.0);
    double logHi = StrictMath.log(4.0 / 3.0);
    for (int attempt = 0; attempt < 10; attempt++) {
      double target = area * (minScale + (maxScale - minScale) * r.nextDouble());
      double aspect = StrictMath.exp(logLo + (logHi - logLo) * r.nextDouble());
      int cw = (int) Math.round(StrictMath.sqrt(target * aspect));
      int ch = (int) Math.round(StrictMath.sqrt(target / aspect));
      if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
        int y = r.nextInt(h - ch + 1);
        int x = r.nextInt(w - cw + 1);
        return new Box(x, y, cw, ch);
      }
    }
    double inRatio = (double) w / h;
    int cw;
    int ch;
    if (inRatio < 3.0 / 4.0) {
      cw = w;
      ch = (int) Math.round(cw / (3.0 / 4.0));
    } else if (inRatio > 4.0 / 3.0) {
      ch = h;
      cw = (int) Math.round(ch * (4.0 / 3.0));
    } else {
      cw = w;
      ch = h;
    }
    return new Box((w - cw) / 2, (h - ch) / 2, cw, ch);
  }

  /** The training transform of the paper: RandomResizedCrop(size, scale 0.2-1), flip p = 0.5, normalise. */
  public static float[] randomResizedCropFlip(DecodedImage img, int size, int channels, SplittableRandom r) {
    Box box = randomResizedCropBox(img.width(), img.height(), 0.2, 1.0, r);
    float[] chw = resize(img, box, size, size);
    if (r.nextDouble() < 0.5) {
      flip(chw, img.channels(), size, size);
    }
    return normalise(chw, img.channels(), size, channels);
  }

  /** For small images: zero-pad (centred) to the size, or resize when larger; flip p = 0.5; normalise. */
  public static float[] padFlip(DecodedImage img, int size, int channels, SplittableRandom r) {
    float[] chw;
    int c = img.channels();
    if (img.width() <= size && img.height() <= size) {
      chw = pad(img, size);
    } else {
      chw = resize(img, new Box(0, 0, img.width(), img.height()), size, size);
    }
    if (r.nextDouble() < 0.5) {
      flip(chw, c, size, size);
    }
    return normalise(chw, c, size, channels);
  }

  /**
   * Evaluation transform: resize the shorter side to {@code size * 256 / 224} (bicubic), centre-crop
   * {@code size}, normalise. Images no larger than {@code size} are zero-padded instead.
   */
  public static float[] centreCrop(DecodedImage img, int size, int channels) {
    if (img.width() <= size && img.height() <= size) {
      return normalise(pad(img, size), img.channels(), size, channels);
    }
    int shorter = (int) Math.round(size * 256.0 / 224.0);
    double s = (double) shorter / Math.min(img.width(), img.height());
    int rw = Math.max(size, (int) Math.round(img.width() * s));
    int rh = Math.max(size, (int) Math.round(img.height() * s));
    // the crop of the resized image maps back to a box in the source
    double cx = (rw - size) / 2.0 / rw * img.width();
    double cy = (rh - size) / 2.0 / rh * img.height();
    int bw = (int) Math.round((double) size / rw * img.width());
    int bh = (int) Math.round((double) size / rh * img.height());
    float[] chw = resize(img, new Box((int) Math.round(cx), (int) Math.round(cy), bw, bh), size, size);
    return normalise(chw, img.channels(), size, channels);
  }

  /** Zero-pads (centred) an image no larger than {@code size}; 0-255 values, channel-major. */
  static float[] pad(DecodedImage img, int size) {
    int c = img.channels();
    float[] chw = new float[c * size * size];
    int ox = (size - img.width()) / 2;
    int oy = (size - img.height()) / 2;
    for (int ch = 0; ch < c; ch++) {
      for (int y = 0; y < img.height(); y++) {
        for (int x = 0; x < img.width(); x++) {
          chw[(ch * size + y + oy) * size + x + ox] = img.at(x, y, ch);
        }
      }
    }
    return chw;
  }

  /** PIL's bicubic kernel, a = -0.5. */
  static double cubic(double x) {
    double a = -0.5;
    x = Math.abs(x);
    if (x < 1) {
      return ((a + 2) * x - (a + 3)) * x * x + 1;
    }
    if (x < 2) {
      return (((x - 5) * x + 8) * x - 4) * a;
    }
    return 0;
  }

  /** Per output pixel: first source index and normalised weights, PIL-style. */
  record Coefficients(int[] first, double[][] weights) {}

  static Coefficients coefficients(int inStart, int inLength, int inSize, int out) {
    double scale = (double) inLength / out;
    double filterScale = Math.max(scale, 1.0);
    double support = 2.0 * filterScale;
    int[] first = new int[out];
    double[][] w = new double[out][];
    for (int i = 0; i < out; i++) {
      double centre = inStart + (i + 0.5) * scale;
      int lo = Math.max((int) (centre - support + 0.5), 0);
      int hi = Math.min((int) (centre + support + 0.5), inSize);
      double[] k = new double[Math.max(hi - lo, 1)];
      double sum = 0;
      for (int j = 0; j < hi - lo; j++) {
        k[j] = cubic((j + lo - centre + 0.5) / filterScale);
        sum += k[j];
      }
      if (sum != 0) {
        for (int j = 0; j < k.length; j++) {
          k[j] /= sum;
        }
      }
      first[i] = lo;
      w[i] = k;
    }
    return new Coefficients(first, w);
  }

  /** Bicubic resize of {@code box} to {@code outW x outH}; result in 0-255, rounded, channel-major. */
  public static float[] resize(DecodedImage img, Box box, int outW, int outH) {
    int c = img.channels();
    Coefficients cx = coefficients(box.x(), box.width(), img.width(), outW);
    Coefficients cy = coefficients(box.y(), box.height(), img.height(), outH);
    // horizontal pass over the rows the vertical pass needs
    int y0 = cy.first()[0];
    int y1 = cy.first()[outH - 1] + cy.weights()[outH - 1].length;
    int rows = y1 - y0;
    double[] tmp = new double[c * rows * outW];
    for (int ch = 0; ch < c; ch++) {
      for (int y = 0; y < rows; y++) {
        for (int x = 0; x < outW; x++) {
          double s = 0;
          double[] k = cx.weights()[x];
          int f = cx.first()[x];
          for (int j = 0; j < k.length; j++) {
            s += k[j] * img.at(f + j, y0 + y, ch);
          }
          tmp[(ch * rows + y) * outW + x] = clampRound(s);
        }
      }
    }
    float[] out = new float[c * outH * outW];
    for (int ch = 0; ch < c; ch++) {
      for (int y = 0; y < outH; y++) {
        double[] k = cy.weights()[y];
        int f = cy.first()[y] - y0;
        for (int x = 0; x < outW; x++) {
          double s = 0;
          for (int j = 0; j < k.length; j++) {
            s += k[j] * tmp[(ch * rows + f + j) * outW + x];
          }
          out[(ch * outH + y) * outW + x] = (float) clampRound(s);
        }
      }
    }
    return out;
  }

  private static double clampRound(double v) {
    return Math.max(0, Math.min(255, Math.rint(v)));
  }

  static void flip(float[] chw, int c, int h, int w) {
    for (int ch = 0; ch < c; ch++) {
      for (int y = 0; y < h; y++) {
        int row = (ch * h + y) * w;
        for (int x = 0; x < w / 2; x++) {
          float t = chw[row + x];
          chw[row + x] = chw[row + w - 1 - x];
          chw[row + w - 1 - x] = t;
        }
      }
    }
  }

  /**
   * 0-255 values of {@code srcChannels} channels to normalised {@code outChannels}: gray is
   * replicated to RGB, RGB is reduced to luma for one channel; ImageNet mean and std.
   */
  static float[] normalise(float[] chw, int srcChannels, int size, int outChannels) {
    int plane = size * size;
    float[] out = new float[outChannels * plane];
    for (int oc = 0; oc < outChannels; oc++) {
      float mean = outChannels == 3 ? MEAN[oc] : 0.449f;
      float std = outChannels == 3 ? STD[oc] : 0.226f;
      for (int i = 0; i < plane; i++) {
        float v;
        if (srcChannels == outChannels) {
          v = chw[oc * plane + i];
        } else if (srcChannels == 1) {
          v = chw[i];
        } else {
          v = Math.round(0.299f * chw[i] + 0.587f * chw[plane + i] + 0.114f * chw[2 * plane + i]);
        }
        out[oc * plane + i] = (v / 255f - mean) / std;
      }
    }
    return out;
  }
}
