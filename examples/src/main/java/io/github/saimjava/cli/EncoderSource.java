package io.github.saimjava.cli;

import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Where an encoder comes from (a checkpoint or a seeded random init) and its architecture. */
final class EncoderSource {
  static final class Weights {
    @Option(
        names = "--checkpoint",
        paramLabel = "PATH",
        required = true,
        description = "Weights: final.safetensors, a checkpoint of ours, or a reference .pth.")
    @Nullable Path checkpoint;

    @Option(
        names = "--zoo",
        paramLabel = "NAME",
        required = true,
        description =
            "A pretrained encoder of the saim-zoo by name (e.g. saim_vit_micro_patch4_32_fmnist).")
    @Nullable String zoo;

    @Option(
        names = "--random-init",
        required = true,
        description = "A randomly initialised encoder (seeded by --seed).")
    boolean randomInit;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Weights weights = new Weights();

  @Mixin ModelOptions model = new ModelOptions();

  /** An encoder builder: the checkpoint's own config unless architecture options are given. */
  SaimEncoder.Builder builder(long seed, @Nullable Integer threads) {
    SaimConfig config = model.given() || weights.randomInit ? model.builder().build() : null;
    SaimEncoder.Builder b =
        SaimEncoder.builder()
            .checkpoint(weights.checkpoint)
            .zoo(weights.zoo)
            .config(config)
            .seed(seed);
    if (threads != null) {
      b.threads(threads);
    }
    return b;
  }

  /** For logs and metadata. */
  String describe(long seed) {
    return weights.randomInit
        ? "random-init seed " + seed
        : weights.zoo != null ? "zoo:" + weights.zoo : String.valueOf(weights.checkpoint);
  }
}
