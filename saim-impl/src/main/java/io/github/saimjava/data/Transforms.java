package io.github.saimjava.data;

import io.github.saimjava.api.Augmentation;
import io.github.saimjava.api.Normalization;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;

/**
 * The image transforms of the SAIM reference recipe, which follows torchvision on PIL images, and
 * their building blocks:
 *
 * <ul>
 *   <li>{@link #randomResizedCropFlip(int, int)}: {@code RandomResizedCrop(size, scale=(0.2, 1.0),
 *       ratio=(3/4, 4/3), bicubic)}, {@code RandomHorizontalFlip(0.5)}, {@code ToTensor}, {@code
 *       Normalize(ImageNet mean, std)} (pre-training);
 *   <li>{@link #padFlip(int, int)}: for small images, zero-pad centred to the size (e.g.
 *       Fashion-MNIST 28 to 32), then the flip and normalisation;
 *   <li>{@link #evaluation(int, int)}: resize the shorter side to {@code size / 0.875} (256 for
 *       224), centre-crop {@code size}, normalise.
 * </ul>
 *
 * Every random draw of an image comes from {@link #random(long, int, int)}, so the output is a pure
 * function of the image and (seed, epoch, index).
 */
public final class Transforms {
  /** ImageNet channel means (R, G, B) of the reference's {@code Normalize}. */
  public static final List<Float> IMAGENET_MEAN = Normalization.IMAGENET_MEAN;

  /** ImageNet channel standard deviations (R, G, B) of the reference's {@code Normalize}. */
  public static final List<Float> IMAGENET_STD = Normalization.IMAGENET_STD;

  /** Mean used when the output has one channel: the average of the three ImageNet means. */
  public static final float GRAY_MEAN = 0.449f;

  /** Standard deviation used when the output has one channel: the average of the three. */
  public static final float GRAY_STD = 0.226f;

  /** Smallest area fraction of the reference's RandomResizedCrop. */
  public static final double MIN_SCALE = 0.2;

  /** Largest area fraction of the reference's RandomResizedCrop. */
  public static final double MAX_SCALE = 1.0;

  /** Smallest aspect ratio (width / height) of RandomResizedCrop. */
  public static final double MIN_RATIO = 3.0 / 4.0;

  /** Largest aspect ratio (width / height) of RandomResizedCrop. */
  public static final double MAX_RATIO = 4.0 / 3.0;

  /**
   * Evaluation centre-crop fraction: the shorter side is resized to {@code size / CROP_FRACTION}.
   */
  public static final double CROP_FRACTION = 224.0 / 256.0;

  private static final float[][] LUT3 = new float[3][256];
  private static final float[] LUT1 = new float[256];

  static {
    for (int v = 0; v < 256; v++) {
      for (int c = 0; c < 3; c++) {
        LUT3[c][v] = normalise(v, IMAGENET_MEAN.get(c), IMAGENET_STD.get(c));
      }
      LUT1[v] = normalise(v, GRAY_MEAN, GRAY_STD);
    }
  }

  private Transforms() {}

  /**
   * The normalised value of an 8-bit sample: {@code (v / 255 - mean) / std} in float32 arithmetic,
   * as torchvision's {@code ToTensor} and {@code Normalize} compute it.
   */
  public static float normalise(int value, float mean, float std) {
    return ((float) value / 255f - mean) / std;
  }

  /**
   * The generator of every random draw for image {@code index} in {@code epoch} of a run seeded
   * with {@code seed}: a pure function of the three.
   */
  public static SplittableRandom random(long seed, int epoch, int index) {
    return new SplittableRandom(Seeds.mix(Seeds.AUGMENT, seed, epoch, index));
  }

  /**
   * A RandomResizedCrop box and how it was drawn.
   *
   * @param box the crop, inside the image
   * @param fallback true when ten attempts failed and the box is the centre crop clamped to the
   *     ratio range
   * @param areaFraction the sampled fraction of the image area (NaN for the fallback)
   * @param aspectRatio the sampled width / height ratio (NaN for the fallback)
   */
  public record CropSample(
      CropBox box, boolean fallback, double areaFraction, double aspectRatio) {}

  /**
   * torchvision's {@code RandomResizedCrop.get_params}: up to ten attempts, each drawing an area
   * fraction uniform in {@code [minScale, maxScale]} and a ratio whose log is uniform in {@code
   * [log minRatio, log maxRatio]}, with sides {@code w = round(sqrt(area * ratio))}, {@code h =
   * round(sqrt(area / ratio))} (round half to even, as Python); the first that fits ({@code 0 < w
   * <= width}, {@code 0 < h <= height}) gets a uniform top-left corner. Otherwise the centre crop
   * of the whole image clamped to the ratio range.
   *
   * @throws IllegalArgumentException when a size is not positive or a range is empty or not
   *     positive
   */
  public static CropSample randomResizedCrop(
      int width,
      int height,
      double minScale,
      double maxScale,
      double minRatio,
      double maxRatio,
      SplittableRandom random) {
    checkRanges(minScale, maxScale, minRatio, maxRatio);
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("invalid image size " + width + " x " + height);
    }
    double area = (double) width * height;
    double logLo = StrictMath.log(minRatio);
    double logHi = StrictMath.log(maxRatio);
    for (int attempt = 0; attempt < 10; attempt++) {
      double fraction = minScale + (maxScale - minScale) * random.nextDouble();
      double ratio = StrictMath.exp(logLo + (logHi - logLo) * random.nextDouble());
      double target = area * fraction;
      long w = (long) Math.rint(Math.sqrt(target * ratio));
      long h = (long) Math.rint(Math.sqrt(target / ratio));
      if (0 < w && w <= width && 0 < h && h <= height) {
        int top = random.nextInt(height - (int) h + 1);
        int left = random.nextInt(width - (int) w + 1);
        return new CropSample(new CropBox(left, top, (int) w, (int) h), false, fraction, ratio);
      }
    }
    double inRatio = (double) width / height;
    int w;
    int h;
    if (inRatio < minRatio) {
      w = width;
      h = (int) Math.rint(w / minRatio);
    } else if (inRatio > maxRatio) {
      h = height;
      w = (int) Math.rint(h * maxRatio);
    } else {
      w = width;
      h = height;
    }
    w = Math.max(1, Math.min(w, width));
    h = Math.max(1, Math.min(h, height));
    return new CropSample(
        new CropBox((width - w) / 2, (height - h) / 2, w, h), true, Double.NaN, Double.NaN);
  }

  private static void checkRanges(
      double minScale, double maxScale, double minRatio, double maxRatio) {
    if (!(minScale > 0 && minScale <= maxScale && maxScale <= 1)) {
      throw new IllegalArgumentException(
          "scale range must satisfy 0 < min <= max <= 1, got [" + minScale + ", " + maxScale + "]");
    }
    if (!(minRatio > 0 && minRatio <= maxRatio && Double.isFinite(maxRatio))) {
      throw new IllegalArgumentException(
          "ratio range must satisfy 0 < min <= max, got [" + minRatio + ", " + maxRatio + "]");
    }
  }

  /**
   * torchvision's {@code Resize(shorter)}: the shorter side becomes {@code shorter}, the longer
   * {@code floor(shorter * longer / shorter side)}; the image itself when that is its size.
   */
  public static DecodedImage resizeShorterSide(DecodedImage image, int shorter, Bicubic bicubic) {
    if (shorter <= 0) {
      throw new IllegalArgumentException("invalid size " + shorter);
    }
    int w = image.width();
    int h = image.height();
    int nw;
    int nh;
    if (w <= h) {
      nw = shorter;
      nh = (int) ((double) ((long) shorter * h) / w);
    } else {
      nh = shorter;
      nw = (int) ((double) ((long) shorter * w) / h);
    }
    return nw == w && nh == h ? image : bicubic.resize(image, nw, nh);
  }

  /**
   * Where the image's first column (or row) lands on a centred canvas of {@code size}:
   * torchvision's {@code CenterCrop}, which pads with {@code (size - length) / 2} zeros before when
   * the image is smaller, and crops {@code round((length - size) / 2)} (half to even) when it is
   * larger.
   */
  static int centreOffset(int length, int size) {
    return length <= size ? (size - length) / 2 : -(int) Math.rint((length - size) / 2.0);
  }

  /**
   * Writes {@code image} onto a {@code size x size} canvas, its top-left corner at (offX, offY),
   * zeros where it does not reach, mirrored left-right when {@code flip}, normalised to {@code
   * channels} channels (grayscale replicated to three).
   */
  static void write(
      DecodedImage image,
      int offX,
      int offY,
      int size,
      boolean flip,
      int channels,
      float[] out,
      int offset) {
    if (image.channels() != 1 && image.channels() != channels) {
      throw new IllegalArgumentException(
          "cannot write " + image.channels() + " channels as " + channels);
    }
    int w = image.width();
    int h = image.height();
    int c = image.channels();
    byte[] px = image.pixels();
    for (int oc = 0; oc < channels; oc++) {
      float[] lut = channels == 3 ? LUT3[oc] : LUT1;
      int sc = c == 1 ? 0 : oc;
      int plane = offset + oc * size * size;
      for (int y = 0; y < size; y++) {
        int sy = y - offY;
        int row = plane + y * size;
        for (int x = 0; x < size; x++) {
          int sx = (flip ? size - 1 - x : x) - offX;
          int v = sy >= 0 && sy < h && sx >= 0 && sx < w ? px[(sy * w + sx) * c + sc] & 0xff : 0;
          out[row + x] = lut[v];
        }
      }
    }
  }

  /** {@link #write}s {@code image} centred on the canvas ({@link #centreOffset} on each axis). */
  private static void writeCentred(
      DecodedImage image, int size, boolean flip, int channels, float[] out, int offset) {
    write(
        image,
        centreOffset(image.width(), size),
        centreOffset(image.height(), size),
        size,
        flip,
        channels,
        out,
        offset);
  }

  private static void checkOutput(int size, int channels) {
    if (size <= 0) {
      throw new IllegalArgumentException("invalid output size " + size);
    }
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("output channels must be 1 or 3, got " + channels);
    }
  }

  private static DecodedImage toChannels(DecodedImage image, int channels) {
    return channels == 1 ? image.toGray() : image;
  }

  private static void checkTarget(float[] out, int offset, int length) {
    if (offset < 0 || offset > out.length - length) {
      throw new IndexOutOfBoundsException(
          "output of "
              + length
              + " floats at "
              + offset
              + " does not fit an array of "
              + out.length);
    }
  }

  /**
   * The pre-training transform of the reference recipe with its parameters (scale 0.2-1, ratio
   * 3/4-4/3, PIL bicubic).
   */
  public static ImageTransform randomResizedCropFlip(int size, int channels) {
    return randomResizedCropFlip(
        size, channels, MIN_SCALE, MAX_SCALE, MIN_RATIO, MAX_RATIO, Bicubic.pil());
  }

  /**
   * RandomResizedCrop with the given ranges and resampler, a horizontal flip with p = 0.5, and
   * normalisation.
   *
   * @throws IllegalArgumentException when the size, the channels or a range is invalid
   */
  public static ImageTransform randomResizedCropFlip(
      int size,
      int channels,
      double minScale,
      double maxScale,
      double minRatio,
      double maxRatio,
      Bicubic bicubic) {
    checkOutput(size, channels);
    checkRanges(minScale, maxScale, minRatio, maxRatio);
    return new Square(size, channels) {
      @Override
      public void apply(
          DecodedImage image, long seed, int epoch, int index, float[] out, int offset) {
        checkTarget(out, offset, outputLength());
        DecodedImage img = toChannels(image, channels);
        SplittableRandom r = random(seed, epoch, index);
        CropSample crop =
            randomResizedCrop(img.width(), img.height(), minScale, maxScale, minRatio, maxRatio, r);
        DecodedImage resized = bicubic.resize(img, crop.box(), size, size);
        boolean flip = r.nextDouble() < 0.5;
        write(resized, 0, 0, size, flip, channels, out, offset);
      }

      @Override
      public String describe() {
        return String.format(
            Locale.ROOT,
            "RandomResizedCrop(%d, scale=(%s, %s), ratio=(%.4f, %.4f), %s) + flip(0.5) +"
                + " normalise(%d channels)",
            size,
            minScale,
            maxScale,
            minRatio,
            maxRatio,
            bicubic,
            channels);
      }
    };
  }

  /**
   * For small images: zero-pad centred to {@code size x size} (an image larger than that on some
   * side has its shorter side resized to {@code size}, bicubic, and is centre-cropped), then a
   * horizontal flip with p = 0.5 and normalisation.
   *
   * @throws IllegalArgumentException when the size or the channels are invalid
   */
  public static ImageTransform padFlip(int size, int channels) {
    return padTransform(size, channels, true);
  }

  /**
   * The evaluation transform: resize the shorter side to {@code floor(size / 0.875)} (bicubic),
   * centre-crop {@code size}, normalise. Deterministic.
   *
   * @throws IllegalArgumentException when the size or the channels are invalid
   */
  public static ImageTransform evaluation(int size, int channels) {
    checkOutput(size, channels);
    int shorter = (int) (size / CROP_FRACTION);
    Bicubic bicubic = Bicubic.pil();
    return new Square(size, channels) {
      @Override
      public void apply(
          DecodedImage image, long seed, int epoch, int index, float[] out, int offset) {
        checkTarget(out, offset, outputLength());
        DecodedImage img = resizeShorterSide(toChannels(image, channels), shorter, bicubic);
        writeCentred(img, size, false, channels, out, offset);
      }

      @Override
      public String describe() {
        return String.format(
            Locale.ROOT,
            "Resize(%d, bicubic) + CenterCrop(%d) + normalise(%d channels)",
            shorter,
            size,
            channels);
      }
    };
  }

  /**
   * The deterministic counterpart of {@link #padFlip}: zero-pad centred to {@code size x size} (an
   * image larger than that on some side has its shorter side resized to {@code size}, bicubic, and
   * is centre-cropped), normalise; no flip.
   *
   * @throws IllegalArgumentException when the size or the channels are invalid
   */
  public static ImageTransform pad(int size, int channels) {
    return padTransform(size, channels, false);
  }

  /**
   * Zero-pad centred (shorter side resized first when larger), optionally flip with p = 0.5,
   * normalise.
   */
  private static ImageTransform padTransform(int size, int channels, boolean randomFlip) {
    checkOutput(size, channels);
    Bicubic bicubic = Bicubic.pil();
    return new Square(size, channels) {
      @Override
      public void apply(
          DecodedImage image, long seed, int epoch, int index, float[] out, int offset) {
        checkTarget(out, offset, outputLength());
        DecodedImage img = toChannels(image, channels);
        if (img.width() > size || img.height() > size) {
          img = resizeShorterSide(img, size, bicubic);
        }
        boolean flip = randomFlip && random(seed, epoch, index).nextDouble() < 0.5;
        writeCentred(img, size, flip, channels, out, offset);
      }

      @Override
      public String describe() {
        return String.format(
            Locale.ROOT,
            "pad(%d)%s + normalise(%d channels)",
            size,
            randomFlip ? " + flip(0.5)" : "",
            channels);
      }
    };
  }

  /**
   * An image as an encoder sees it: images no larger than {@code size} on both sides are
   * zero-padded centred ({@link #pad}, as the small-image pre-training recipe shows them), larger
   * ones go through the {@link #evaluation} transform (resize the shorter side to {@code size /
   * 0.875}, centre crop). Returns {@code channels x size x size} normalised floats.
   *
   * @throws IllegalArgumentException when the size or the channels are invalid
   */
  public static float[] centreCrop(DecodedImage image, int size, int channels) {
    ImageTransform t =
        image.width() <= size && image.height() <= size
            ? pad(size, channels)
            : evaluation(size, channels);
    return t.apply(image, 0, 0, 0);
  }

  /**
   * The deterministic transform matching {@code augmentation}: {@link #evaluation} or {@link #pad}.
   */
  public static ImageTransform evaluationFor(Augmentation augmentation, int size, int channels) {
    return switch (augmentation) {
      case RANDOM_RESIZED_CROP -> evaluation(size, channels);
      case FLIP_ONLY -> pad(size, channels);
    };
  }

  /** The pre-training transform chosen by {@code augmentation}. */
  public static ImageTransform forAugmentation(Augmentation augmentation, int size, int channels) {
    return switch (augmentation) {
      case RANDOM_RESIZED_CROP -> randomResizedCropFlip(size, channels);
      case FLIP_ONLY -> padFlip(size, channels);
    };
  }

  /**
   * The fine-tuning training transform (timm's {@code transforms_imagenet_train} as the reference
   * calls it): RandomResizedCrop with scale (0.08, 1) and a flip ({@link
   * Augmentation#RANDOM_RESIZED_CROP}), or centred padding and a flip ({@link
   * Augmentation#FLIP_ONLY}); then {@code randAugment} on the 8-bit image when given (a grayscale
   * image is made RGB first for three output channels); then normalisation. Without RandAugment it
   * equals {@code randomResizedCropFlip} with that scale, or {@link #padFlip}.
   *
   * @throws IllegalArgumentException when the size or the channels are invalid
   */
  public static ImageTransform fineTuneTrain(
      Augmentation augmentation, int size, int channels, @Nullable RandAugment randAugment) {
    ImageTransform plain =
        augmentation == Augmentation.RANDOM_RESIZED_CROP
            ? randomResizedCropFlip(
                size, channels, 0.08, MAX_SCALE, MIN_RATIO, MAX_RATIO, Bicubic.pil())
            : padFlip(size, channels);
    if (randAugment == null) {
      return plain;
    }
    Bicubic bicubic = Bicubic.pil();
    return new Square(size, channels) {
      @Override
      public void apply(
          DecodedImage image, long seed, int epoch, int index, float[] out, int offset) {
        checkTarget(out, offset, outputLength());
        DecodedImage img = toChannels(image, channels);
        SplittableRandom r = random(seed, epoch, index);
        if (augmentation == Augmentation.RANDOM_RESIZED_CROP) {
          CropSample crop =
              randomResizedCrop(
                  img.width(), img.height(), 0.08, MAX_SCALE, MIN_RATIO, MAX_RATIO, r);
          img = bicubic.resize(img, crop.box(), size, size);
        } else {
          if (img.width() > size || img.height() > size) {
            img = resizeShorterSide(img, size, bicubic);
          }
          img = canvas(img, size);
        }
        if (r.nextDouble() < 0.5) {
          img = mirror(img);
        }
        if (channels == 3) {
          img = img.toRgb();
        }
        write(randAugment.apply(img, r), 0, 0, size, false, channels, out, offset);
      }

      @Override
      public String describe() {
        return plain.describe() + " + RandAugment(" + randAugment + ") before normalise";
      }
    };
  }

  /** The image centred on a {@code size x size} zero canvas (cropped centrally where larger). */
  private static DecodedImage canvas(DecodedImage img, int size) {
    int c = img.channels();
    byte[] out = new byte[size * size * c];
    int offX = centreOffset(img.width(), size);
    int offY = centreOffset(img.height(), size);
    for (int y = 0; y < size; y++) {
      int sy = y - offY;
      for (int x = 0; x < size; x++) {
        int sx = x - offX;
        if (sy >= 0 && sy < img.height() && sx >= 0 && sx < img.width()) {
          for (int b = 0; b < c; b++) {
            out[(y * size + x) * c + b] = img.pixels()[(sy * img.width() + sx) * c + b];
          }
        }
      }
    }
    return new DecodedImage(size, size, c, out);
  }

  /** The image mirrored left-right. */
  private static DecodedImage mirror(DecodedImage img) {
    int w = img.width();
    int c = img.channels();
    byte[] in = img.pixels();
    byte[] out = new byte[in.length];
    for (int y = 0; y < img.height(); y++) {
      for (int x = 0; x < w; x++) {
        System.arraycopy(in, (y * w + (w - 1 - x)) * c, out, (y * w + x) * c, c);
      }
    }
    return new DecodedImage(w, img.height(), c, out);
  }

  /** A transform to {@code channels x size x size}. */
  private abstract static class Square implements ImageTransform {
    private final int size;
    private final int channels;

    Square(int size, int channels) {
      this.size = size;
      this.channels = channels;
    }

    @Override
    public int channels() {
      return channels;
    }

    @Override
    public int size() {
      return size;
    }
  }
}
