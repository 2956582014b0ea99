package io.github.saimjava.cli;

import io.github.saimjava.api.SaimClassifier;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.api.spi.ZooResolver;
import io.github.saimjava.io.AtomicFiles;
import io.github.saimjava.model.ModelCheckpoint;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code saim export}: an encoder or a classifier as an ONNX model or a DJL Serving folder. */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Exports an encoder or a classifier for serving without PyTorch.",
      "--format onnx writes one ONNX model (opset 17 by default): input 'pixels' [batch, C, S, S],",
      "preprocessed as the metadata says (saim.image_size, saim.mean, saim.std, saim.resize);",
      "output 'embedding' [batch, D] (an encoder: pooling, final norm and --l2 as 'saim embed')",
      "or 'logits' [batch, classes] (a classifier checkpoint: as 'saim classify'). --format",
      "djl-serving writes a folder DJL Serving loads as it is (engine OnnxRuntime): model.onnx,",
      "serving.properties with the image translator's settings, and synset.txt for a classifier."
    })
final class ExportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin EncoderSource source = new EncoderSource();

  @Option(
      names = "--format",
      paramLabel = "onnx|djl-serving",
      description = "What to write (default: ${DEFAULT-VALUE}).")
  String format = "onnx";

  @Option(
      names = "--output",
      paramLabel = "FILE.onnx|DIR",
      required = true,
      description = "The .onnx file (--format onnx) or the model folder (--format djl-serving).")
  Path output;

  @Option(
      names = "--opset",
      paramLabel = "N",
      description = "ONNX opset, 17 to 21 (default: ${DEFAULT-VALUE}; 20 and 21 have one GELU op).")
  int opset = SaimEncoder.ONNX_OPSET;

  @Option(
      names = "--pooling",
      paramLabel = "P",
      description = "An encoder's pooling: cls, mean or cls_mean (default: cls).")
  @Nullable String pooling;

  @Option(
      names = "--layer",
      paramLabel = "K",
      description = "An encoder's features after block K (default: the last block).")
  @Nullable Integer layer;

  @Option(names = "--l2", description = "An encoder's vectors scaled to unit length.")
  boolean l2;

  @Option(
      names = "--encoder",
      description = "Export the encoder of a classifier checkpoint instead of the classifier.")
  boolean encoder;

  @Option(
      names = "--labels",
      paramLabel = "FILE",
      description =
          "A classifier's class names, one a line in class-index order (default: ImageNet's for"
              + " 1000 classes, else 'class <i>').")
  @Nullable Path labels;

  @Option(names = "--seed", description = "Seed of --random-init (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  @Override
  public Integer call() throws Exception {
    boolean serving =
        switch (format.toLowerCase(Locale.ROOT)) {
          case "onnx" -> false;
          case "djl-serving" -> true;
          default ->
              throw new IllegalArgumentException(
                  "--format must be onnx or djl-serving, got '" + format + "'");
        };
    Path file = output;
    if (serving) {
      AtomicFiles.prepareFolder(output);
      file = output.resolve("model.onnx");
    } else if (Files.isDirectory(output)) {
      throw new IllegalArgumentException(
          "--output " + output + " is a folder: give the .onnx file to write");
    }
    boolean classifier = !encoder && holdsClassifierHead();
    if (classifier && (pooling != null || layer != null || l2)) {
      throw new IllegalArgumentException(
          source.describe(seed)
              + " is a classifier: --pooling, --layer and --l2 apply to an encoder (give"
              + " --encoder to export its encoder)");
    }
    if (!classifier && labels != null) {
      throw new IllegalArgumentException("--labels applies to a classifier");
    }
    PrintWriter out = spec.commandLine().getOut();
    String what;
    SaimConfig config;
    List<String> names = List.of();
    if (classifier) {
      try (SaimClassifier c = classifierBuilder().threads(1).build()) {
        c.exportOnnx(file, opset);
        config = c.config();
        names = c.labels();
        what =
            String.format(
                Locale.ROOT,
                "classifier (%s head, %d classes)",
                c.head().name().toLowerCase(Locale.ROOT),
                c.numClasses());
      }
    } else {
      SaimEncoder.Builder b = source.builder(seed, 1).l2Normalize(l2);
      if (pooling != null) {
        b.pooling(EnumOption.parse(SaimEncoder.Pooling.class, pooling, "--pooling"));
      }
      if (layer != null) {
        if (layer < 1) {
          throw new IllegalArgumentException(
              "--layer must be 1 or more (a block of the encoder), got " + layer);
        }
        b.layer(layer);
      }
      try (SaimEncoder e = b.build()) {
        e.exportOnnx(file, opset);
        config = e.config();
        what =
            String.format(
                Locale.ROOT,
                "encoder (%s pooling, %d-d vectors)",
                b.pooling().name().toLowerCase(Locale.ROOT),
                e.dimension());
      }
    }
    if (serving) {
      DjlServingFolder.write(output, config, classifier, names);
    }
    out.printf(
        Locale.ROOT,
        "wrote the %s of %s to %s (ONNX opset %d, %.1f MB)%n",
        what,
        source.describe(seed),
        serving ? output : file,
        opset,
        Files.size(file) / 1e6);
    out.flush();
    return 0;
  }

  /** Whether the weights hold a classification head ({@code head.weight} or {@code head.1.*}). */
  private boolean holdsClassifierHead() throws IOException {
    Path file = source.weights.checkpoint;
    if (source.weights.zoo != null) {
      file = ZooResolver.find(source.weights.zoo).weights();
    }
    if (file == null) {
      return false;
    }
    Set<String> names = ModelCheckpoint.read(file).weights().keySet();
    return names.contains("head.weight") || names.contains("head.1.weight");
  }

  private SaimClassifier.Builder classifierBuilder() throws IOException {
    SaimClassifier.Builder b =
        SaimClassifier.builder()
            .checkpoint(source.weights.checkpoint)
            .zoo(source.weights.zoo)
            .config(source.model.given() ? source.model.builder().build() : null);
    if (labels != null) {
      b.labels(
          Files.readAllLines(labels, StandardCharsets.UTF_8).stream()
              .filter(l -> !l.isBlank())
              .map(String::strip)
              .collect(Collectors.toList()));
    }
    return b;
  }
}
