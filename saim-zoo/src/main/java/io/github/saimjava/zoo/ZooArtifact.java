package io.github.saimjava.zoo;

import io.github.saimjava.api.SaimConfig;
import java.net.URI;
import org.jspecify.annotations.Nullable;

/**
 * A pretrained encoder of the zoo, named once: its architecture, input size and normalisation,
 * where it comes from, and the file that holds it.
 *
 * @param name the zoo name (timm style)
 * @param description one line
 * @param config the architecture (the encoder part is what is used)
 * @param mean per-channel normalisation mean the encoder expects
 * @param std per-channel normalisation standard deviation
 * @param origin where the weights come from (paper, training run)
 * @param fileName the safetensors file name
 * @param sha256 the file's digest, null when the user must supply it (see {@link SaimZoo})
 * @param bundledResource class-path resource holding the file, null when not bundled
 * @param url where to download it, null when no public URL is known
 * @param kind what the weights are: a pre-trained SAIM model or an ImageNet classifier
 * @param classes the classifier head's number of classes; 0 for {@link Kind#PRETRAINED}
 */
public record ZooArtifact(
    String name,
    String description,
    SaimConfig config,
    float[] mean,
    float[] std,
    String origin,
    String fileName,
    @Nullable String sha256,
    @Nullable String bundledResource,
    @Nullable URI url,
    Kind kind,
    int classes) {
  /**
   * Checks that the classes fit the kind.
   *
   * @throws IllegalArgumentException when a classifier has no classes or a pre-trained model has
   *     some
   */
  public ZooArtifact {
    if ((kind == Kind.PRETRAINED) != (classes == 0) || classes < 0) {
      throw new IllegalArgumentException(
          "artifact "
              + name
              + ": a "
              + kind
              + " artifact cannot have "
              + classes
              + " classes (pre-trained: 0; classifiers: at least 1)");
    }
  }

  /** An artifact whose classifier kinds have the 1000 classes of ImageNet-1K. */
  public ZooArtifact(
      String name,
      String description,
      SaimConfig config,
      float[] mean,
      float[] std,
      String origin,
      String fileName,
      @Nullable String sha256,
      @Nullable String bundledResource,
      @Nullable URI url,
      Kind kind) {
    this(
        name,
        description,
        config,
        mean,
        std,
        origin,
        fileName,
        sha256,
        bundledResource,
        url,
        kind,
        kind == Kind.PRETRAINED ? 0 : IMAGENET_CLASSES);
  }

  /** The number of classes of the ImageNet-1K classifiers. */
  public static final int IMAGENET_CLASSES = 1000;

  /** What an artifact holds, which decides how it is checked and what it can be loaded as. */
  public enum Kind {
    /**
     * SAIM pre-training weights (the encoder, possibly with query stream and head): loads as an
     * encoder.
     */
    PRETRAINED,
    /**
     * A fine-tuned classifier ({@code head} on the global pool through {@code fc_norm}, or on the
     * class token through {@code norm}): loads as a classifier or an encoder.
     */
    FINETUNED,
    /**
     * A linear-probed classifier (class token, {@code norm}, BatchNorm {@code head.0}, linear
     * {@code head.1}).
     */
    LINEAR_PROBE;

    /** One line for listings: what the weights are. */
    public String summary() {
      return switch (this) {
        case PRETRAINED ->
            "pre-trained SAIM weights (the encoder; query stream and head where the file has them)";
        case FINETUNED ->
            "fine-tuned classifier (ViT encoder, pooled features, fc_norm or norm, linear head)";
        case LINEAR_PROBE ->
            "linear-probed classifier (frozen ViT encoder, class token, norm, BatchNorm + linear"
                + " head)";
      };
    }
  }
}
