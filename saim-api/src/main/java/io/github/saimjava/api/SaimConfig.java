package io.github.saimjava.api;

import java.util.Locale;
import java.util.Objects;

/**
 * The architecture and objective of a SAIM model: a ViT encoder (the content stream), a parallel
 * query decoder, a prediction head and the pixel target. Immutable; build with {@link #builder()}
 * or start from a preset such as {@link #vitBase()} and change it with {@link #toBuilder()}.
 *
 * <p>Presets follow the paper's recipe for the SAIM part: 224 px, patch 16, MLP head, Gaussian
 * blurred target (kernel 9, sigma 1), per-patch normalised pixels, L2 loss, query depth equal to
 * the encoder depth (12), no drop-path.
 */
public final class SaimConfig {
  private final int imageSize;
  private final int channels;
  private final int patchSize;
  private final int width;
  private final int depth;
  private final int heads;
  private final double mlpRatio;
  private final int queryDepth;
  private final boolean shareWeight;
  private final HeadType headType;
  private final LossType loss;
  private final boolean normPixLoss;
  private final int blurKernel;
  private final double blurSigma;
  private final double dropPathRate;
  private final double layerNormEps;

  private SaimConfig(Builder b) {
    this.imageSize = b.imageSize;
    this.channels = b.channels;
    this.patchSize = b.patchSize;
    this.width = b.width;
    this.depth = b.depth;
    this.heads = b.heads;
    this.mlpRatio = b.mlpRatio;
    this.queryDepth = b.queryDepth;
    this.shareWeight = b.shareWeight;
    this.headType = b.headType;
    this.loss = b.loss;
    this.normPixLoss = b.normPixLoss;
    this.blurKernel = b.blurKernel;
    this.blurSigma = b.blurSigma;
    this.dropPathRate = b.dropPathRate;
    this.layerNormEps = b.layerNormEps;
  }

  /** {@return a builder with the ViT-Base preset's values} */
  public static Builder builder() {
    return new Builder();
  }

  /** {@return ViT-Ti/16: width 192, depth 12, 3 heads} */
  public static SaimConfig vitTiny() {
    return builder().width(192).depth(12).heads(3).queryDepth(12).build();
  }

  /** {@return ViT-S/16: width 384, depth 12, 6 heads} */
  public static SaimConfig vitSmall() {
    return builder().width(384).depth(12).heads(6).queryDepth(12).build();
  }

  /** {@return ViT-B/16: width 768, depth 12, 12 heads (the paper's main model)} */
  public static SaimConfig vitBase() {
    return builder().build();
  }

  /**
   * {@return ViT-L/16: width 1024, depth 24, 16 heads, 12 query blocks (the reference's default)}
   */
  public static SaimConfig vitLarge() {
    return builder().width(1024).depth(24).heads(16).queryDepth(12).build();
  }

  /**
   * {@return the small model of the Fashion-MNIST reproduction ("fmnist-small"): 32 px, 3 channels,
   * patch 4, width 128, depth 6, 4 heads, query depth 6, blur kernel 3 with sigma 1; the zoo's
   * {@code saim_vit_mini_patch4_32_fmnist} and {@code saim reproduce}'s model}
   */
  public static SaimConfig fmnistSmall() {
    return builder()
        .imageSize(32)
        .channels(3)
        .patchSize(4)
        .width(128)
        .depth(6)
        .heads(4)
        .queryDepth(6)
        .blur(3, 1)
        .build();
  }

  /**
   * The preset called {@code name}: {@code tiny}, {@code small}, {@code base} or {@code large}.
   *
   * @param name the preset's name, any case ({@code vit-tiny} and {@code vit_tiny} also work)
   * @return the preset
   * @throws IllegalArgumentException naming the value when it is none of these
   */
  public static SaimConfig preset(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "tiny", "vit-tiny", "vit_tiny" -> vitTiny();
      case "small", "vit-small", "vit_small" -> vitSmall();
      case "base", "vit-base", "vit_base" -> vitBase();
      case "large", "vit-large", "vit_large" -> vitLarge();
      default ->
          throw new IllegalArgumentException(
              "unknown model preset '" + name + "' (expected tiny, small, base or large)");
    };
  }

  /** {@return a builder holding this configuration's values} */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** {@return the input image height and width in pixels (square images)} */
  public int imageSize() {
    return imageSize;
  }

  /** {@return the number of input channels} */
  public int channels() {
    return channels;
  }

  /** {@return the patch height and width in pixels} */
  public int patchSize() {
    return patchSize;
  }

  /** {@return the token width D} */
  public int width() {
    return width;
  }

  /** {@return the number of encoder blocks} */
  public int depth() {
    return depth;
  }

  /** {@return the number of attention heads} */
  public int heads() {
    return heads;
  }

  /** {@return the MLP hidden width as a multiple of D} */
  public double mlpRatio() {
    return mlpRatio;
  }

  /** {@return the MLP hidden width: {@code (int) (width * mlpRatio)}} */
  public int mlpHidden() {
    return (int) (width * mlpRatio);
  }

  /** {@return the number of query (decoder) blocks; divides {@link #depth()}} */
  public int queryDepth() {
    return queryDepth;
  }

  /** {@return whether query block j is encoder block j (same parameters)} */
  public boolean shareWeight() {
    return shareWeight;
  }

  /** {@return the prediction head on top of the query stream} */
  public HeadType headType() {
    return headType;
  }

  /** {@return the loss between prediction and target} */
  public LossType loss() {
    return loss;
  }

  /** {@return whether each target patch is normalised by its own mean and unbiased variance} */
  public boolean normPixLoss() {
    return normPixLoss;
  }

  /** {@return the Gaussian blur kernel size for the target, 0 for no blur} */
  public int blurKernel() {
    return blurKernel;
  }

  /** {@return the Gaussian blur sigma (meaningful when {@link #blurKernel()} is positive)} */
  public double blurSigma() {
    return blurSigma;
  }

  /** {@return whether the target is blurred} */
  public boolean blurred() {
    return blurKernel > 0;
  }

  /** {@return the highest stochastic-depth rate (reached by the last encoder block)} */
  public double dropPathRate() {
    return dropPathRate;
  }

  /** {@return the LayerNorm epsilon} */
  public double layerNormEps() {
    return layerNormEps;
  }

  /** {@return the number of patches per side: imageSize / patchSize} */
  public int gridSize() {
    return imageSize / patchSize;
  }

  /** {@return the number of patches per image, L} */
  public int numPatches() {
    return gridSize() * gridSize();
  }

  /** {@return the number of values per patch, p*p*C, the width of the prediction and the target} */
  public int patchDim() {
    return patchSize * patchSize * channels;
  }

  /** {@return the number of encoder blocks per query block: depth / queryDepth} */
  public int queryStep() {
    return depth / queryDepth;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof SaimConfig c)) {
      return false;
    }
    return imageSize == c.imageSize
        && channels == c.channels
        && patchSize == c.patchSize
        && width == c.width
        && depth == c.depth
        && heads == c.heads
        && Double.compare(mlpRatio, c.mlpRatio) == 0
        && queryDepth == c.queryDepth
        && shareWeight == c.shareWeight
        && headType == c.headType
        && loss == c.loss
        && normPixLoss == c.normPixLoss
        && blurKernel == c.blurKernel
        && Double.compare(blurSigma, c.blurSigma) == 0
        && Double.compare(dropPathRate, c.dropPathRate) == 0
        && Double.compare(layerNormEps, c.layerNormEps) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        imageSize,
        channels,
        patchSize,
        width,
        depth,
        heads,
        mlpRatio,
        queryDepth,
        shareWeight,
        headType,
        loss,
        normPixLoss,
        blurKernel,
        blurSigma,
        dropPathRate,
        layerNormEps);
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "SaimConfig{imageSize=%d, channels=%d, patchSize=%d, width=%d, depth=%d, heads=%d, "
            + "mlpRatio=%s, queryDepth=%d, shareWeight=%s, headType=%s, loss=%s, normPixLoss=%s, "
            + "blurKernel=%d, blurSigma=%s, dropPathRate=%s, layerNormEps=%s}",
        imageSize,
        channels,
        patchSize,
        width,
        depth,
        heads,
        mlpRatio,
        queryDepth,
        shareWeight,
        headType,
        loss,
        normPixLoss,
        blurKernel,
        blurSigma,
        dropPathRate,
        layerNormEps);
  }

  /**
   * Builds a {@link SaimConfig}; starts from the ViT-B/16 preset. Validation happens in {@link
   * #build()}.
   */
  public static final class Builder {
    private int imageSize = 224;
    private int channels = 3;
    private int patchSize = 16;
    private int width = 768;
    private int depth = 12;
    private int heads = 12;
    private double mlpRatio = 4.0;
    private int queryDepth = 12;
    private boolean shareWeight = false;
    private HeadType headType = HeadType.MLP;
    private LossType loss = LossType.L2;
    private boolean normPixLoss = true;
    private int blurKernel = 9;
    private double blurSigma = 1.0;
    private double dropPathRate = 0.0;
    private double layerNormEps = 1e-6;

    private Builder() {}

    private Builder(SaimConfig c) {
      imageSize = c.imageSize;
      channels = c.channels;
      patchSize = c.patchSize;
      width = c.width;
      depth = c.depth;
      heads = c.heads;
      mlpRatio = c.mlpRatio;
      queryDepth = c.queryDepth;
      shareWeight = c.shareWeight;
      headType = c.headType;
      loss = c.loss;
      normPixLoss = c.normPixLoss;
      blurKernel = c.blurKernel;
      blurSigma = c.blurSigma;
      dropPathRate = c.dropPathRate;
      layerNormEps = c.layerNormEps;
    }

    /**
     * Sets {@link SaimConfig#imageSize()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder imageSize(int v) {
      imageSize = v;
      return this;
    }

    /**
     * Sets {@link SaimConfig#channels()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder channels(int v) {
      channels = v;
      return this;
    }

    /**
     * Sets {@link SaimConfig#patchSize()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder patchSize(int v) {
      patchSize = v;
      return this;
    }

    /**
     * Token width D (the reference's {@code embed_dim}).
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder width(int v) {
      width = v;
      return this;
    }

    /**
     * Sets {@link SaimConfig#depth()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder depth(int v) {
      depth = v;
      return this;
    }

    /**
     * Sets {@link SaimConfig#heads()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder heads(int v) {
      heads = v;
      return this;
    }

    /**
     * Sets {@link SaimConfig#mlpRatio()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder mlpRatio(double v) {
      mlpRatio = v;
      return this;
    }

    /**
     * Sets {@link SaimConfig#mlpRatio()} from a whole number, so that {@code mlpRatio(4)} reads the
     * same from Kotlin, which does not widen an {@code Int} to a {@code Double}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder mlpRatio(int v) {
      return mlpRatio((double) v);
    }

    /**
     * Sets {@link SaimConfig#queryDepth()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder queryDepth(int v) {
      queryDepth = v;
      return this;
    }

    /**
     * Sets {@link SaimConfig#shareWeight()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder shareWeight(boolean v) {
      shareWeight = v;
      return this;
    }

    /**
     * Sets {@link SaimConfig#headType()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder headType(HeadType v) {
      headType = Objects.requireNonNull(v, "headType");
      return this;
    }

    /**
     * Sets {@link SaimConfig#loss()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder loss(LossType v) {
      loss = Objects.requireNonNull(v, "loss");
      return this;
    }

    /**
     * Sets {@link SaimConfig#normPixLoss()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder normPixLoss(boolean v) {
      normPixLoss = v;
      return this;
    }

    /**
     * Gaussian blur of the target: kernel size (0 disables the blur) and sigma.
     *
     * @param kernel the kernel size, or 0 for no blur
     * @param sigma the standard deviation in pixels (positive when the kernel is)
     * @return this builder
     */
    public Builder blur(int kernel, double sigma) {
      blurKernel = kernel;
      blurSigma = sigma;
      return this;
    }

    /**
     * {@link #blur(int, double)} with a whole-number sigma, so that {@code blur(9, 1)} compiles
     * from Kotlin, which does not widen an {@code Int} to a {@code Double}.
     *
     * @param kernel the kernel size, or 0 for no blur
     * @param sigma the standard deviation in pixels (positive when the kernel is)
     * @return this builder
     */
    public Builder blur(int kernel, int sigma) {
      return blur(kernel, (double) sigma);
    }

    /**
     * Disables the target blur.
     *
     * @return this builder
     */
    public Builder noBlur() {
      blurKernel = 0;
      return this;
    }

    /**
     * Sets {@link SaimConfig#dropPathRate()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder dropPathRate(double v) {
      dropPathRate = v;
      return this;
    }

    /**
     * Sets {@link SaimConfig#layerNormEps()}.
     *
     * @param v the value, checked by {@link #build()}
     * @return this builder
     */
    public Builder layerNormEps(double v) {
      layerNormEps = v;
      return this;
    }

    /**
     * Validates and builds.
     *
     * @return the configuration
     * @throws IllegalArgumentException naming the first invalid value
     */
    public SaimConfig build() {
      Checks.check(imageSize > 0, "image size (%s) must be positive", imageSize);
      Checks.check(channels > 0, "channels (%s) must be positive", channels);
      Checks.check(patchSize > 0, "patch size (%s) must be positive", patchSize);
      Checks.check(
          imageSize % patchSize == 0,
          "image size (%s) must be divisible by patch size (%s)",
          imageSize,
          patchSize);
      Checks.check(width > 0, "width (%s) must be positive", width);
      Checks.check(width % 2 == 0, "width (%s) must be even for the sin-cos position table", width);
      Checks.check(
          width % 4 == 0,
          "width (%s) must be divisible by 4: each half of the 2-D sin-cos table splits into sin"
              + " and cos",
          width);
      Checks.check(heads > 0, "heads (%s) must be positive", heads);
      Checks.check(width % heads == 0, "width (%s) must be divisible by heads (%s)", width, heads);
      Checks.check(depth > 0, "depth (%s) must be positive", depth);
      Checks.check(queryDepth > 0, "query depth (%s) must be positive", queryDepth);
      Checks.check(
          depth % queryDepth == 0, "query depth (%s) must divide depth (%s)", queryDepth, depth);
      Checks.check(
          !shareWeight || queryDepth <= depth,
          "query depth (%s) must not exceed depth (%s) with shared weights",
          queryDepth,
          depth);
      Checks.check(
          mlpRatio > 0 && Double.isFinite(mlpRatio) && (int) (width * mlpRatio) > 0,
          "mlp ratio (%s) must be positive",
          mlpRatio);
      Checks.check(blurKernel >= 0, "blur kernel (%s) must be 0 (no blur) or positive", blurKernel);
      Checks.check(
          blurKernel == 0 || (blurSigma > 0 && Double.isFinite(blurSigma)),
          "blur sigma (%s) must be positive",
          blurSigma);
      Checks.check(
          dropPathRate >= 0 && dropPathRate < 1,
          "drop-path rate (%s) must be in [0, 1)",
          dropPathRate);
      Checks.check(layerNormEps > 0, "layer-norm eps (%s) must be positive", layerNormEps);
      Checks.check(
          !normPixLoss || patchSize * patchSize * channels > 1,
          "norm-pix loss needs more than one value per patch (patch size %s, channels %s)",
          patchSize,
          channels);
      return new SaimConfig(this);
    }
  }
}
