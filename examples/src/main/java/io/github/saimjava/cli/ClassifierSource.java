package io.github.saimjava.cli;

import io.github.saimjava.api.Precision;
import io.github.saimjava.api.SaimClassifier;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Where a classifier comes from (a zoo name or a checkpoint), its architecture and how it runs. */
final class ClassifierSource {
  static final class Weights {
    @Option(
        names = "--checkpoint",
        paramLabel = "FILE",
        required = true,
        description =
            "A classifier: the reference's fine-tuned or linear-probed .pth, or a .safetensors of"
                + " ours.")
    @Nullable Path checkpoint;

    @Option(
        names = "--zoo",
        paramLabel = "NAME",
        required = true,
        description =
            "A classifier of the saim-zoo by name (e.g. saim_vit_base_patch16_224_in1k_ft).")
    @Nullable String zoo;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Weights weights = new Weights();

  @Mixin ModelOptions model = new ModelOptions();

  @Option(
      names = "--labels",
      paramLabel = "FILE",
      description =
          "Class names, one a line in class-index order (default: ImageNet's for 1000 classes, else"
              + " 'class <i>').")
  @Nullable Path labels;

  @Option(
      names = "--batch-size",
      description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
  int batchSize = 32;

  @Mixin ThreadsOption threads = new ThreadsOption();

  @Option(
      names = "--precision",
      paramLabel = "fp32|bf16",
      description =
          "The encoder's matrix multiplies in float32 or bfloat16 (faster on CPUs with AVX-512"
              + " BF16 or AMX; the logits then differ from float32's by up to about 1e-2 of their"
              + " length; default: ${DEFAULT-VALUE}).")
  String precision = "fp32";

  /**
   * A classifier builder: the file's (or zoo's) architecture unless architecture options are given.
   */
  SaimClassifier.Builder builder(int topK) throws IOException {
    Path ckpt = weights.checkpoint;
    if (ckpt != null
        && !model.given()
        && !ckpt.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".safetensors")) {
      throw new IllegalArgumentException(
          ckpt
              + " is a PyTorch checkpoint, which records no architecture: give "
              + "--model and/or --img-size, --patch-size, --dim, --depth, --heads");
    }
    SaimClassifier.Builder b =
        SaimClassifier.builder()
            .checkpoint(ckpt)
            .zoo(weights.zoo)
            .config(model.given() ? model.builder().build() : null)
            .batchSize(batchSize)
            .precision(EnumOption.parse(Precision.class, precision, "--precision"))
            .topK(topK);
    if (labels != null) {
      List<String> names =
          Files.readAllLines(labels, StandardCharsets.UTF_8).stream()
              .filter(l -> !l.isBlank())
              .map(String::strip)
              .toList();
      b.labels(names);
    }
    if (threads.count != null) {
      b.threads(threads.count);
    }
    return b;
  }

  /** For logs and metadata. */
  String describe() {
    return weights.zoo != null ? "zoo:" + weights.zoo : String.valueOf(weights.checkpoint);
  }
}
