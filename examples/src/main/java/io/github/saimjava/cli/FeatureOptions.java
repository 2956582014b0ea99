package io.github.saimjava.cli;

import com.google.gson.JsonObject;
import io.github.saimjava.api.Precision;
import io.github.saimjava.api.SaimEncoder;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * Which features an encoder gives and how it computes them: {@code --layer}, {@code --pooling} and
 * {@code --precision}, shared by the commands that embed.
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

  @Option(
      names = "--precision",
      paramLabel = "fp32|bf16",
      description =
          "The encoder's matrix multiplies in float32 or bfloat16 (faster on CPUs with AVX-512"
              + " BF16 or AMX; the vectors, still float32, then differ from float32's by up to"
              + " about 1e-2 of their length; default: ${DEFAULT-VALUE}).")
  String precision = "fp32";

  /** The parsed pooling; names the flag and the value when it is not one. */
  SaimEncoder.Pooling pooling() {
    return EnumOption.parse(SaimEncoder.Pooling.class, pooling, "--pooling");
  }

  /** The parsed precision; names the flag and the value when it is not one. */
  Precision precision() {
    return EnumOption.parse(Precision.class, precision, "--precision");
  }

  /** Sets the builder's layer, pooling and precision, after checking {@code --layer}. */
  SaimEncoder.Builder apply(SaimEncoder.Builder b) {
    if (layer != null && layer < 1) {
      throw new IllegalArgumentException(
          "--layer must be 1 or more (a block of the encoder), got " + layer);
    }
    return b.pooling(pooling()).layer(layer == null ? 0 : layer).precision(precision());
  }

  /** The pooling as the output files name it. */
  String poolingName() {
    return pooling().name().toLowerCase(Locale.ROOT);
  }

  /** Adds the pooling, and the layer when one is given, to a result file. */
  void addTo(JsonObject m) {
    m.addProperty("pooling", poolingName());
    if (layer != null) {
      m.addProperty("layer", layer);
    }
  }

  /** An encoder's precision as the output files and {@code --precision} name it. */
  static String name(Precision p) {
    return p.name().toLowerCase(Locale.ROOT);
  }
}
