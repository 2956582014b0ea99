package io.github.saimjava.data;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * RandAugment as the reference's fine-tuning recipe configures it (timm's {@code
 * rand-m9-mstd0.5-inc1}): for each image, {@code n} operations (default 2) drawn uniformly with
 * replacement from fifteen; each is applied with probability 0.5 at a magnitude drawn from N(m,
 * mstd) clipped to [0, 10]. The operations follow PIL's definitions on 8-bit images: AutoContrast,
 * Equalize, Invert, Rotate (up to 30 degrees), Posterize, Solarize, SolarizeAdd (up to +110 below
 * 128), Color, Contrast, Brightness, Sharpness (enhancement factor {@code 1 +- 0.9 m/10} in the
 * increasing set), ShearX/Y (up to 0.3), TranslateX/YRel (up to 0.45 of the side); geometric ones
 * resample bicubically and fill with the ImageNet mean colour (124, 116, 104). With {@code inc1}
 * Posterize and Solarize grow stronger with the magnitude, as the enhancement operations do.
 *
 * <p>Immutable and thread-safe; every draw comes from the generator passed in.
 */
public final class RandAugment {
  private static final Pattern PART = Pattern.compile("([a-z]+)(\\d.*)");
  private static final double MAX_LEVEL = 10;

  /** The operations, by timm's names. */
  public enum Op {
    AUTO_CONTRAST,
    EQUALIZE,
    INVERT,
    ROTATE,
    POSTERIZE,
    SOLARIZE,
    SOLARIZE_ADD,
    COLOR,
    CONTRAST,
    BRIGHTNESS,
    SHARPNESS,
    SHEAR_X,
    SHEAR_Y,
    TRANSLATE_X_REL,
    TRANSLATE_Y_REL
  }

  private final int layers;
  private final double magnitude;
  private final double magnitudeStd;
  private final boolean increasing;
  private final String spec;

  private RandAugment(
      int layers, double magnitude, double magnitudeStd, boolean increasing, String spec) {
    this.layers = layers;
    this.magnitude = magnitude;
    this.magnitudeStd = magnitudeStd;
    this.increasing = increasing;
    this.spec = spec;
  }

  /**
   * Parses timm's policy string {@code rand-m<M>[-n<N>][-mstd<S>][-inc<0|1>]} (M in [0, 10]), or
   * {@code none} (null: no RandAugment).
   *
   * @throws IllegalArgumentException naming the part that is not understood
   */
  public static @Nullable RandAugment parse(String policy) {
    String p = policy.trim().toLowerCase(Locale.ROOT);
    if (p.equals("none") || p.isEmpty()) {
      return null;
    }
    String[] parts = p.split("-");
    if (!parts[0].equals("rand")) {
      throw new IllegalArgumentException(
          "auto-augment policy '"
              + policy
              + "' is not supported: use rand-m<M>[-n<N>][-mstd<S>][-inc<0|1>] or none");
    }
    int n = 2;
    double m = 10;
    double std = 0;
    boolean inc = false;
    for (int i = 1; i < parts.length; i++) {
      Matcher mt = PART.matcher(parts[i]);
      try {
        if (!mt.matches()) {
          throw new NumberFormatException();
        }
        String v = mt.group(2);
        switch (mt.group(1)) {
          case "m" -> m = Double.parseDouble(v);
          case "n" -> n = Integer.parseInt(v);
          case "mstd" -> std = Double.parseDouble(v);
          case "inc" -> inc = Integer.parseInt(v) != 0;
          default -> throw new NumberFormatException();
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "auto-augment policy '"
                + policy
                + "': cannot read '"
                + parts[i]
                + "' (expected m<magnitude>, n<operations>, mstd<std> or inc<0|1>)");
      }
    }
    if (!(m >= 0 && m <= MAX_LEVEL) || n < 0 || !(std >= 0)) {
      throw new IllegalArgumentException(
          "auto-augment policy '"
              + policy
              + "': magnitude must be in [0, 10], operations and std non-negative");
    }
    return new RandAugment(n, m, std, inc, p);
  }

  /** Operations per image. */
  public int layers() {
    return layers;
  }

  /** The policy string. */
  @Override
  public String toString() {
    return spec;
  }

  /**
   * The augmented image: {@link #layers()} operations drawn from {@code random}, each applied with
   * probability 0.5. A grayscale image stays grayscale (geometric fills use the mean of the three
   * mean values).
   */
  public DecodedImage apply(DecodedImage image, SplittableRandom random) {
    Op[] ops = Op.values();
    DecodedImage img = image;
    for (int i = 0; i < layers; i++) {
      Op op = ops[random.nextInt(ops.length)];
      if (random.nextDouble() > 0.5) {
        continue;
      }
      double level = magnitude;
      if (magnitudeStd > 0) {
        level = Math.min(MAX_LEVEL, Math.max(0, level + random.nextGaussian() * magnitudeStd));
      }
      img = apply(op, img, level, random);
    }
    return img;
  }

  /**
   * Operation {@code op} at magnitude {@code level} in [0, 10] (signs of signed ones drawn from
   * {@code random}).
   */
  DecodedImage apply(Op op, DecodedImage img, double level, SplittableRandom random) {
    double f = level / MAX_LEVEL;
    return switch (op) {
      case AUTO_CONTRAST -> autoContrast(img);
      case EQUALIZE -> equalize(img);
      case INVERT -> lut(img, v -> 255 - v);
      case ROTATE -> rotate(img, negate(f * 30, random));
      case POSTERIZE -> posterize(img, increasing ? 4 - (int) (f * 4) : (int) (f * 4));
      case SOLARIZE -> solarize(img, increasing ? 256 - (int) (f * 256) : (int) (f * 256));
      case SOLARIZE_ADD -> solarizeAdd(img, (int) (f * 110), 128);
      case COLOR -> color(img, enhanceFactor(f, random));
      case CONTRAST -> contrast(img, enhanceFactor(f, random));
      case BRIGHTNESS ->
          blend(
              new DecodedImage(
                  img.width(), img.height(), img.channels(), new byte[img.pixels().length]),
              img,
              enhanceFactor(f, random));
      case SHARPNESS -> blend(smooth(img), img, enhanceFactor(f, random));
      case SHEAR_X -> affine(img, new double[] {1, negate(f * 0.3, random), 0, 0, 1, 0});
      case SHEAR_Y -> affine(img, new double[] {1, 0, 0, negate(f * 0.3, random), 1, 0});
      case TRANSLATE_X_REL ->
          affine(img, new double[] {1, 0, negate(f * 0.45, random) * img.width(), 0, 1, 0});
      case TRANSLATE_Y_REL ->
          affine(img, new double[] {1, 0, 0, 0, 1, negate(f * 0.45, random) * img.height()});
    };
  }

  private double enhanceFactor(double f, SplittableRandom random) {
    return increasing ? 1 + negate(f * 0.9, random) : f * 1.8 + 0.1;
  }

  private static double negate(double v, SplittableRandom random) {
    return random.nextDouble() > 0.5 ? -v : v;
  }

  @FunctionalInterface
  private interface IntOp {
    int at(int v);
  }

  private static DecodedImage lut(DecodedImage img, IntOp f) {
    int[] table = new int[256];
    for (int v = 0; v < 256; v++) {
      table[v] = f.at(v);
    }
    int[][] tables = new int[img.channels()][];
    Arrays.fill(tables, table);
    return lut(img, tables);
  }

  private static DecodedImage lut(DecodedImage img, int[][] tables) {
    byte[] in = img.pixels();
    byte[] out = new byte[in.length];
    int c = img.channels();
    for (int i = 0; i < in.length; i++) {
      out[i] = (byte) tables[i % c][in[i] & 0xff];
    }
    return new DecodedImage(img.width(), img.height(), c, out);
  }

  private static long[][] histograms(DecodedImage img) {
    int c = img.channels();
    long[][] h = new long[c][256];
    byte[] px = img.pixels();
    for (int i = 0; i < px.length; i++) {
      h[i % c][px[i] & 0xff]++;
    }
    return h;
  }

  /**
   * PIL's {@code ImageOps.autocontrast} (no cutoff): each band stretched linearly from its min..max
   * to 0..255.
   */
  static DecodedImage autoContrast(DecodedImage img) {
    long[][] hs = histograms(img);
    int[][] tables = new int[img.channels()][256];
    for (int b = 0; b < hs.length; b++) {
      int lo = 0;
      while (lo < 256 && hs[b][lo] == 0) {
        lo++;
      }
      int hi = 255;
      while (hi >= 0 && hs[b][hi] == 0) {
        hi--;
      }
      for (int v = 0; v < 256; v++) {
        if (hi <= lo) {
          tables[b][v] = v;
        } else {
          double scale = 255.0 / (hi - lo);
          double offset = -lo * scale;
          tables[b][v] = Math.max(0, Math.min(255, (int) (v * scale + offset)));
        }
      }
    }
    return lut(img, tables);
  }

  /**
   * PIL's {@code ImageOps.equalize}: each band's cumulative histogram as its mapping, in PIL's
   * integer steps.
   */
  static DecodedImage equalize(DecodedImage img) {
    long[][] hs = histograms(img);
    int[][] tables = new int[img.channels()][256];
    for (int b = 0; b < hs.length; b++) {
      long total = 0;
      long last = 0;
      int nonzero = 0;
      for (int v = 0; v < 256; v++) {
        if (hs[b][v] != 0) {
          total += hs[b][v];
          last = hs[b][v];
          nonzero++;
        }
      }
      long step = nonzero <= 1 ? 0 : (total - last) / 255;
      long n = step / 2;
      for (int v = 0; v < 256; v++) {
        if (step == 0) {
          tables[b][v] = v;
        } else {
          tables[b][v] = (int) Math.min(255, n / step);
          n += hs[b][v];
        }
      }
    }
    return lut(img, tables);
  }

  /** PIL's {@code ImageOps.posterize}: keeps the top {@code bits} bits. */
  static DecodedImage posterize(DecodedImage img, int bits) {
    if (bits >= 8) {
      return img;
    }
    int mask = ~((1 << (8 - bits)) - 1) & 0xff;
    return lut(img, v -> v & mask);
  }

  /** PIL's {@code ImageOps.solarize}: values at or above {@code threshold} inverted. */
  static DecodedImage solarize(DecodedImage img, int threshold) {
    return lut(img, v -> v < threshold ? v : 255 - v);
  }

  /**
   * timm's {@code solarize_add}: {@code add} added (capped at 255) to values below {@code
   * threshold}.
   */
  static DecodedImage solarizeAdd(DecodedImage img, int add, int threshold) {
    return lut(img, v -> v < threshold ? Math.min(255, v + add) : v);
  }

  /**
   * PIL's {@code Image.blend(degenerate, image, factor)}: {@code d + factor (i - d)} in float,
   * truncated, clipped to 0..255 (PIL's {@code ImageEnhance} with its degenerate image).
   */
  static DecodedImage blend(DecodedImage degenerate, DecodedImage img, double factor) {
    float alpha = (float) factor;
    byte[] a = degenerate.pixels();
    byte[] b = img.pixels();
    byte[] out = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      int d = a[i] & 0xff;
      float t = d + alpha * ((b[i] & 0xff) - d);
      out[i] = (byte) (t <= 0 ? 0 : t >= 255 ? 255 : (int) t);
    }
    return new DecodedImage(img.width(), img.height(), img.channels(), out);
  }

  /** {@code ImageEnhance.Color}: blends with the image's luma (grayscale images are unchanged). */
  static DecodedImage color(DecodedImage img, double factor) {
    return img.channels() == 1 ? blend(img, img, factor) : blend(img.toGray().toRgb(), img, factor);
  }

  /** {@code ImageEnhance.Contrast}: blends with a uniform image at the rounded mean luma. */
  static DecodedImage contrast(DecodedImage img, double factor) {
    byte[] gray = img.toGray().pixels();
    long sum = 0;
    for (byte g : gray) {
      sum += g & 0xff;
    }
    int mean = (int) ((double) sum / gray.length + 0.5);
    byte[] d = new byte[img.pixels().length];
    Arrays.fill(d, (byte) mean);
    return blend(new DecodedImage(img.width(), img.height(), img.channels(), d), img, factor);
  }

  /**
   * PIL's {@code ImageFilter.SMOOTH} (3 x 3 kernel 1 1 1 / 1 5 1 / 1 1 1 over 13, rounded); the
   * border pixels are kept, as PIL keeps them.
   */
  static DecodedImage smooth(DecodedImage img) {
    int w = img.width();
    int h = img.height();
    int c = img.channels();
    byte[] in = img.pixels();
    byte[] out = in.clone();
    float k = 1f / 13f;
    float centre = 5f / 13f;
    for (int y = 1; y < h - 1; y++) {
      for (int x = 1; x < w - 1; x++) {
        for (int b = 0; b < c; b++) {
          float s = 0;
          for (int dy = -1; dy <= 1; dy++) {
            for (int dx = -1; dx <= 1; dx++) {
              int v = in[((y + dy) * w + x + dx) * c + b] & 0xff;
              s += v * (dx == 0 && dy == 0 ? centre : k);
            }
          }
          out[(y * w + x) * c + b] = (byte) (s <= 0 ? 0 : s >= 255 ? 255 : (int) (s + 0.5f));
        }
      }
    }
    return new DecodedImage(w, h, c, out);
  }

  /**
   * PIL's {@code Image.rotate(degrees, BICUBIC, fillcolor=mean)} about the image centre, same size.
   */
  static DecodedImage rotate(DecodedImage img, double degrees) {
    double angle = degrees % 360.0;
    if (angle == 0) {
      return img;
    }
    double w = img.width();
    double h = img.height();
    double rad = -Math.toRadians(angle);
    double a = round15(StrictMath.cos(rad));
    double b = round15(StrictMath.sin(rad));
    double d = round15(-StrictMath.sin(rad));
    double e = round15(StrictMath.cos(rad));
    double cx = w / 2;
    double cy = h / 2;
    double c = a * -cx + b * -cy + cx;
    double f = d * -cx + e * -cy + cy;
    return affine(img, new double[] {a, b, c, d, e, f});
  }

  private static double round15(double v) {
    return new BigDecimal(v).setScale(15, RoundingMode.HALF_EVEN).doubleValue();
  }

  /**
   * PIL's {@code Image.transform(size, AFFINE, (a, b, c, d, e, f), BICUBIC, fillcolor=mean)}:
   * output pixel (x, y) samples the input at {@code (a X + b Y + c, d X + e Y + f)} with {@code X =
   * x + 0.5}, {@code Y = y + 0.5}, PIL's bicubic (a = -1 cubic, edge-clamped, truncated), the fill
   * colour where that point lies outside the image.
   */
  static DecodedImage affine(DecodedImage img, double[] m) {
    int w = img.width();
    int h = img.height();
    int c = img.channels();
    int[] fill =
        c == 3 ? new int[] {124, 116, 104} : new int[] {Math.round(255 * Transforms.GRAY_MEAN)};
    byte[] in = img.pixels();
    byte[] out = new byte[in.length];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        double xin = m[0] * (x + 0.5) + m[1] * (y + 0.5) + m[2];
        double yin = m[3] * (x + 0.5) + m[4] * (y + 0.5) + m[5];
        int o = (y * w + x) * c;
        if (xin < 0 || xin >= w || yin < 0 || yin >= h) {
          for (int b = 0; b < c; b++) {
            out[o + b] = (byte) fill[b];
          }
          continue;
        }
        double xs = xin - 0.5;
        double ys = yin - 0.5;
        int x0 = (int) Math.floor(xs);
        int y0 = (int) Math.floor(ys);
        double dx = xs - x0;
        double dy = ys - y0;
        x0--;
        y0--;
        for (int b = 0; b < c; b++) {
          double[] rows = new double[4];
          for (int r = 0; r < 4; r++) {
            int yy = y0 + r;
            if (r > 0 && (yy < 0 || yy >= h)) {
              rows[r] = rows[r - 1];
              continue;
            }
            int row = Math.max(0, Math.min(h - 1, yy)) * w;
            rows[r] =
                cubic(
                    in[(row + clamp(x0, w)) * c + b] & 0xff,
                    in[(row + clamp(x0 + 1, w)) * c + b] & 0xff,
                    in[(row + clamp(x0 + 2, w)) * c + b] & 0xff,
                    in[(row + clamp(x0 + 3, w)) * c + b] & 0xff,
                    dx);
          }
          double v = cubic(rows[0], rows[1], rows[2], rows[3], dy);
          out[o + b] = (byte) (v <= 0 ? 0 : v >= 255 ? 255 : (int) v);
        }
      }
    }
    return new DecodedImage(w, h, c, out);
  }

  private static int clamp(int x, int n) {
    return x < 0 ? 0 : x < n ? x : n - 1;
  }

  private static double cubic(double v1, double v2, double v3, double v4, double d) {
    double p1 = v2;
    double p2 = -v1 + v3;
    double p3 = 2 * (v1 - v2) + v3 - v4;
    double p4 = -v1 + v2 - v3 + v4;
    return p1 + d * (p2 + d * (p3 + d * p4));
  }

  /** The operations of the policy, for logs. */
  public List<String> describeOps() {
    List<String> names = new ArrayList<>();
    for (Op op : Op.values()) {
      names.add(op.name());
    }
    return names;
  }
}
