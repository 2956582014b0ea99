package io.github.saimjava.data;

import java.util.Locale;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;

/**
 * Random erasing as the reference's fine-tuning recipe applies it (timm's {@code RandomErasing},
 * mode {@code pixel}, one rectangle, after normalisation): with probability {@code prob}, up to ten
 * attempts each draw an area fraction uniform in [0.02, 1/3] and an aspect ratio whose log is
 * uniform in [log 0.3, log 1/0.3], with sides {@code h = round(sqrt(area * ratio))}, {@code w =
 * round(sqrt(area / ratio))}; the first rectangle strictly smaller than the image gets a uniform
 * top-left corner and every value inside it (all channels) is replaced by a standard normal draw.
 */
public final class RandomErasing {
  /** Smallest erased area fraction. */
  public static final double MIN_AREA = 0.02;

  /** Largest erased area fraction. */
  public static final double MAX_AREA = 1.0 / 3.0;

  /** Smallest aspect ratio (height / width); the largest is its inverse. */
  public static final double MIN_ASPECT = 0.3;

  private RandomErasing() {}

  /**
   * Erases one rectangle of the {@code channels x height x width} image at {@code out[offset..]}
   * with probability {@code prob}.
   *
   * @return the erased rectangle, or null when nothing was erased
   * @throws IllegalArgumentException when {@code prob} is outside [0, 1]
   */
  public static @Nullable CropBox erase(
      float[] out,
      int offset,
      int channels,
      int height,
      int width,
      double prob,
      SplittableRandom random) {
    if (!(prob >= 0 && prob <= 1)) {
      throw new IllegalArgumentException(
          "random erasing probability must be in [0, 1], got " + prob);
    }
    if (random.nextDouble() >= prob) {
      return null;
    }
    double area = (double) height * width;
    double logLo = StrictMath.log(MIN_ASPECT);
    double logHi = StrictMath.log(1 / MIN_ASPECT);
    for (int attempt = 0; attempt < 10; attempt++) {
      double target = (MIN_AREA + (MAX_AREA - MIN_AREA) * random.nextDouble()) * area;
      double aspect = StrictMath.exp(logLo + (logHi - logLo) * random.nextDouble());
      int h = (int) Math.rint(Math.sqrt(target * aspect));
      int w = (int) Math.rint(Math.sqrt(target / aspect));
      if (w < width && h < height) {
        int top = random.nextInt(height - h + 1);
        int left = random.nextInt(width - w + 1);
        if (h == 0 || w == 0) {
          return null; // an empty rectangle on a tiny image: the attempt succeeded, nothing to
          // erase
        }
        for (int c = 0; c < channels; c++) {
          for (int y = top; y < top + h; y++) {
            int row = offset + (c * height + y) * width;
            for (int x = left; x < left + w; x++) {
              out[row + x] = (float) random.nextGaussian();
            }
          }
        }
        return new CropBox(left, top, w, h);
      }
    }
    return null;
  }

  /**
   * {@code base} followed by random erasing with probability {@code prob}, its draws a pure
   * function of (seed, epoch, index) independent of those of {@code base}; {@code base} itself when
   * {@code prob} is 0.
   *
   * @throws IllegalArgumentException when {@code prob} is outside [0, 1]
   */
  public static ImageTransform after(ImageTransform base, double prob) {
    if (!(prob >= 0 && prob <= 1)) {
      throw new IllegalArgumentException(
          "random erasing probability must be in [0, 1], got " + prob);
    }
    if (prob == 0) {
      return base;
    }
    return new ImageTransform() {
      @Override
      public int channels() {
        return base.channels();
      }

      @Override
      public int size() {
        return base.size();
      }

      @Override
      public void apply(
          DecodedImage image, long seed, int epoch, int index, float[] out, int offset) {
        base.apply(image, seed, epoch, index, out, offset);
        erase(
            out,
            offset,
            base.channels(),
            base.size(),
            base.size(),
            prob,
            new SplittableRandom(Seeds.mix(Seeds.ERASE, seed, epoch, index)));
      }

      @Override
      public String describe() {
        return base.describe() + String.format(Locale.ROOT, " + RandomErasing(p=%s, pixel)", prob);
      }
    };
  }
}
