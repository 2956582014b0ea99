package io.github.saimjava.zoo;

import io.github.saimjava.api.SaimConfig;
import java.net.URI;
import org.jspecify.annotations.Nullable;

/**
 * A pretrained encoder of the zoo, named once: its architecture, input size and normalisation, where
 * it comes from, and the file that holds it.
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
 */
public record ZooArtifact(String name, String description, SaimConfig config, float[] mean, float[] std,
    String origin, String fileName, @Nullable String sha256, @Nullable String bundledResource,
    @Nullable URI url, Kind kind) {
  /** What an artifact holds, which decides how it is checked and what it can be loaded as. */
  public enum Kind {
    /** SAIM pre-training weights (the encoder, possibly with query stream and head): loads as an encoder. */
    PRETRAINED,
    /** A fine-tuned classifier (global pool, {@code fc_norm}, {@code head}): loads as a classifier or an encoder. */
    FINETUNED,
    /** A linear-probed classifier (class token, {@code norm}, BatchNorm {@code head.0}, linear {@code head.1}). */
    LINEAR_PROBE
  }
}
