package io.github.saimjava.data;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;

/**
 * Mixup and CutMix with label smoothing, as the reference's fine-tuning recipe applies them (timm's
 * {@code Mixup}, mode {@code batch}): one draw per batch. With probability {@code prob} the batch
 * is mixed with itself in reverse order (image {@code i} with image {@code N-1-i}); when both are
 * enabled CutMix is chosen with probability {@code switchProb}. Mixup blends whole images with
 * {@code lambda ~ Beta(mixupAlpha, mixupAlpha)}; CutMix pastes a box whose side ratio is {@code
 * sqrt(1 - lambda)}, {@code lambda ~ Beta(cutmixAlpha, cutmixAlpha)}, centred uniformly and clipped
 * to the image, or with sides uniform in {@code [min, max)} of the image's when {@code
 * cutmixMinMax} is set; lambda is then corrected to the kept area fraction. Targets: {@code lambda
 * * smooth(y_i) + (1 - lambda) * smooth(y_{N-1-i})}, {@code smooth(y)} putting {@code 1 - smoothing
 * + smoothing / K} on the label and {@code smoothing / K} elsewhere, so each row sums to 1 and the
 * batch's mass per class is that of the unmixed batch.
 *
 * @param mixupAlpha Beta parameter of mixup; 0 disables it
 * @param cutmixAlpha Beta parameter of CutMix; 0 disables it (forced to 1 when {@code cutmixMinMax}
 *     is set)
 * @param cutmixMinMax null, or the {@code {min, max}} fractions of the image side for CutMix boxes
 * @param prob probability of mixing a batch at all
 * @param switchProb probability of CutMix instead of mixup when both are enabled
 * @param smoothing label smoothing
 * @param numClasses number of classes K
 */
public record Mixup(
    double mixupAlpha,
    double cutmixAlpha,
    double @Nullable [] cutmixMinMax,
    double prob,
    double switchProb,
    double smoothing,
    int numClasses) {
  /**
   * Checks the settings.
   *
   * @throws IllegalArgumentException naming the setting out of range
   */
  public Mixup {
    check(mixupAlpha >= 0 && Double.isFinite(mixupAlpha), "mixup alpha", mixupAlpha);
    check(cutmixAlpha >= 0 && Double.isFinite(cutmixAlpha), "cutmix alpha", cutmixAlpha);
    check(prob >= 0 && prob <= 1, "mixup prob", prob);
    check(switchProb >= 0 && switchProb <= 1, "mixup switch prob", switchProb);
    check(smoothing >= 0 && smoothing < 1, "label smoothing", smoothing);
    if (numClasses < 2) {
      throw new IllegalArgumentException("mixup needs at least 2 classes, got " + numClasses);
    }
    if (cutmixMinMax != null) {
      if (cutmixMinMax.length != 2
          || !(cutmixMinMax[0] > 0 && cutmixMinMax[0] < cutmixMinMax[1] && cutmixMinMax[1] <= 1)) {
        throw new IllegalArgumentException(
            "cutmix min/max must be two fractions 0 < min < max <= 1, got "
                + Arrays.toString(cutmixMinMax));
      }
      cutmixMinMax = cutmixMinMax.clone();
      cutmixAlpha = 1.0;
    }
  }

  private static void check(boolean ok, String what, double v) {
    if (!ok) {
      throw new IllegalArgumentException(what + " out of range: " + v);
    }
  }

  /** Whether any mixing can happen. */
  public boolean active() {
    return prob > 0 && (mixupAlpha > 0 || cutmixAlpha > 0);
  }

  /**
   * The generator of batch {@code batch}'s draw in {@code epoch} of a run seeded with {@code seed}.
   */
  public static SplittableRandom random(long seed, int epoch, long batch) {
    return new SplittableRandom(Seeds.mix(Seeds.MIXUP, seed, epoch, batch));
  }

  /**
   * What was done to a batch.
   *
   * @param lambda weight of each image's own label (1 when not mixed)
   * @param box the pasted CutMix box (rows {@code y .. y+height}, columns {@code x .. x+width}), or
   *     null for mixup, no mixing, or an empty box
   * @param targets {@code N x K} soft targets, row-major
   */
  public record Outcome(double lambda, @Nullable CropBox box, float[] targets) {}

  /**
   * Mixes {@code pixels} ({@code N x C x H x W}, row-major, N even) in place and returns the soft
   * targets of {@code labels}.
   *
   * @throws IllegalArgumentException when N is odd, the sizes disagree, or a label is outside [0,
   *     K)
   */
  public Outcome apply(
      float[] pixels, int[] labels, int channels, int height, int width, SplittableRandom random) {
    int n = labels.length;
    int per = channels * height * width;
    if (pixels.length != n * per) {
      throw new IllegalArgumentException(pixels.length + " values for " + n + " images of " + per);
    }
    if (n % 2 != 0) {
      throw new IllegalArgumentException("mixup needs an even batch size, got " + n);
    }
    double lambda = 1;
    boolean cutmix = false;
    if (active() && random.nextDouble() < prob) {
      if (mixupAlpha > 0 && cutmixAlpha > 0) {
        cutmix = random.nextDouble() < switchProb;
        lambda = beta(cutmix ? cutmixAlpha : mixupAlpha, random);
      } else if (mixupAlpha > 0) {
        lambda = beta(mixupAlpha, random);
      } else {
        cutmix = true;
        lambda = beta(cutmixAlpha, random);
      }
    }
    CropBox box = null;
    if (lambda != 1) {
      float[] orig = pixels.clone();
      if (cutmix) {
        int yl;
        int yh;
        int xl;
        int xh;
        if (cutmixMinMax != null) {
          int ch =
              randInt(random, (int) (height * cutmixMinMax[0]), (int) (height * cutmixMinMax[1]));
          int cw =
              randInt(random, (int) (width * cutmixMinMax[0]), (int) (width * cutmixMinMax[1]));
          yl = randInt(random, 0, height - ch);
          xl = randInt(random, 0, width - cw);
          yh = yl + ch;
          xh = xl + cw;
        } else {
          double ratio = Math.sqrt(1 - lambda);
          int ch = (int) (height * ratio);
          int cw = (int) (width * ratio);
          int cy = random.nextInt(height);
          int cx = random.nextInt(width);
          yl = clip(cy - ch / 2, height);
          yh = clip(cy + ch / 2, height);
          xl = clip(cx - cw / 2, width);
          xh = clip(cx + cw / 2, width);
        }
        lambda = 1 - (double) (yh - yl) * (xh - xl) / ((double) height * width);
        if (yh > yl && xh > xl) {
          box = new CropBox(xl, yl, xh - xl, yh - yl);
          for (int i = 0; i < n; i++) {
            int src = (n - 1 - i) * per;
            int dst = i * per;
            for (int c = 0; c < channels; c++) {
              for (int y = yl; y < yh; y++) {
                int row = (c * height + y) * width;
                System.arraycopy(orig, src + row + xl, pixels, dst + row + xl, xh - xl);
              }
            }
          }
        }
      } else {
        float a = (float) lambda;
        float b = (float) (1 - lambda);
        for (int i = 0; i < n; i++) {
          int src = (n - 1 - i) * per;
          int dst = i * per;
          for (int k = 0; k < per; k++) {
            pixels[dst + k] = orig[dst + k] * a + orig[src + k] * b;
          }
        }
      }
    }
    return new Outcome(lambda, box, targets(labels, lambda));
  }

  /**
   * The soft targets {@code lambda * smooth(y_i) + (1 - lambda) * smooth(y_{N-1-i})}, {@code N x
   * K}.
   */
  public float[] targets(int[] labels, double lambda) {
    int n = labels.length;
    int k = numClasses;
    double off = smoothing / k;
    double on = 1 - smoothing + off;
    float[] t = new float[n * k];
    for (int i = 0; i < n; i++) {
      int a = labels[i];
      int b = labels[n - 1 - i];
      if (a < 0 || a >= k || b < 0 || b >= k) {
        throw new IllegalArgumentException(
            "label " + (a < 0 || a >= k ? a : b) + " is outside 0.." + (k - 1));
      }
      for (int c = 0; c < k; c++) {
        double ya = c == a ? on : off;
        double yb = c == b ? on : off;
        t[i * k + c] = (float) (ya * lambda + yb * (1 - lambda));
      }
    }
    return t;
  }

  /** Uniform integer in [lo, hi), as numpy's {@code randint}. */
  private static int randInt(SplittableRandom r, int lo, int hi) {
    if (hi <= lo) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "cutmix min/max gives an empty range [%d, %d): the image is too small for these"
                  + " fractions",
              lo,
              hi));
    }
    return r.nextInt(lo, hi);
  }

  private static int clip(int v, int max) {
    return Math.max(0, Math.min(v, max));
  }

  /** A draw from Beta(alpha, alpha): X / (X + Y) with X, Y ~ Gamma(alpha, 1). */
  public static double beta(double alpha, SplittableRandom r) {
    double x = gamma(alpha, r);
    double y = gamma(alpha, r);
    return x + y == 0 ? 0.5 : x / (x + y);
  }

  /**
   * Marsaglia and Tsang's Gamma(shape, 1) sampler; for shape below 1 via {@code G(shape + 1) *
   * U^(1/shape)}.
   */
  static double gamma(double shape, SplittableRandom r) {
    if (shape < 1) {
      double u = r.nextDouble();
      return gamma(shape + 1, r) * StrictMath.pow(u, 1 / shape);
    }
    double d = shape - 1.0 / 3;
    double c = 1 / Math.sqrt(9 * d);
    while (true) {
      double x = r.nextGaussian();
      double v = 1 + c * x;
      if (v <= 0) {
        continue;
      }
      v = v * v * v;
      double u = r.nextDouble();
      if (u < 1 - 0.0331 * x * x * x * x
          || StrictMath.log(u) < 0.5 * x * x + d * (1 - v + StrictMath.log(v))) {
        return d * v;
      }
    }
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "Mixup[mixup %s, cutmix %s%s, prob %s, switch %s, smoothing %s, %d classes]",
        mixupAlpha,
        cutmixAlpha,
        cutmixMinMax == null ? "" : " minmax " + Arrays.toString(cutmixMinMax),
        prob,
        switchProb,
        smoothing,
        numClasses);
  }
}
