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
 */
public record ZooArtifact(String name, String description, SaimConfig config, float[] mean, float[] std,
    String origin, String fileName, @Nullable String sha256, @Nullable String bundledResource,
    @Nullable URI url) {}
