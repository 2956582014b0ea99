package io.github.saimjava.cli;

import io.github.saimjava.api.SaimEncoder;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * Which features an encoder gives: {@code --layer} and {@code --pooling}, shared by the commands
 * that embed.
 */
final class FeatureOptions {
  @Option(
      names = "--layer",
      paramLabel = "K",
      description =
          "Read the features after block K (1 to the encoder's depth) instead of the last, "
              + "as if the encoder ended there (default: the last block).")
  @Nullable Integer layer;

  @Option(
      names = "--pooling",
      paramLabel = "P",
      description =
          "cls (class token after the final LayerNorm), mean (mean of the patch tokens, then a"
              + " LayerNorm) or cls_mean (both, concatenated) (default: ${DEFAULT-VALUE}).")
  String pooling = "cls";

  /** The parsed pooling; names the flag and the value when it is not one. */
  SaimEncoder.Pooling pooling() {
    return PretrainCommand.parse(SaimEncoder.Pooling.class, pooling, "--pooling");
  }

  /** Sets the builder's layer and pooling, after checking {@code --layer}. */
  SaimEncoder.Builder apply(SaimEncoder.Builder b) {
    if (layer != null && layer < 1) {
      throw new IllegalArgumentException(
          "--layer must be 1 or more (a block of the encoder), got " + layer);
    }
    return b.pooling(pooling()).layer(layer == null ? 0 : layer);
  }

  /** The pooling as the output files name it. */
  String poolingName() {
    return pooling().name().toLowerCase(Locale.ROOT);
  }
}
