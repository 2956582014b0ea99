package io.github.saimjava.cli;

import io.github.saimjava.api.SaimConfig;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** The options that choose an architecture: a preset and its overrides. Shared by the commands. */
final class ModelOptions {
  @Option(
      names = "--model",
      paramLabel = "NAME",
      description = "Preset: tiny, small, base or large (default: base).")
  @Nullable String model;

  @Option(names = "--dim", description = "Token width (overrides the preset).")
  @Nullable Integer dim;

  @Option(
      names = "--depth",
      description = "Encoder blocks (overrides the preset; query depth follows unless given).")
  @Nullable Integer depth;

  @Option(names = "--heads", description = "Attention heads (overrides the preset).")
  @Nullable Integer heads;

  @Option(names = "--img-size", description = "Image size in pixels (presets: 224).")
  @Nullable Integer imgSize;

  @Option(names = "--patch-size", description = "Patch size in pixels (presets: 16).")
  @Nullable Integer patchSize;

  /** Whether any of these options was given. */
  boolean given() {
    return model != null
        || dim != null
        || depth != null
        || heads != null
        || imgSize != null
        || patchSize != null;
  }

  /** The preset with the overrides applied (not yet validated). */
  SaimConfig.Builder builder() {
    SaimConfig.Builder c = SaimConfig.preset(model == null ? "base" : model).toBuilder();
    if (dim != null) {
      c.width(dim);
    }
    if (depth != null) {
      c.depth(depth).queryDepth(depth);
    }
    if (heads != null) {
      c.heads(heads);
    }
    if (imgSize != null) {
      c.imageSize(imgSize);
    }
    if (patchSize != null) {
      c.patchSize(patchSize);
    }
    return c;
  }
}
