package io.github.saimjava.cli;

import io.github.saimjava.api.ImageFiles;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.io.AtomicFiles;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code saim embed}: one vector per image of a folder, written as safetensors. */
@Command(
    name = "embed",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Writes one feature vector per image of a folder.",
      "Embeds every JPEG/PNG image under --data (sorted by path) with a SAIM encoder and writes",
      "FILE.safetensors holding one float32 tensor 'embeddings' (N x D) and"
          + " FILE.safetensors.paths.txt",
      "with the image paths, one per line, in row order (backslash, line feed and carriage return",
      "in a name written \\\\, \\n"
          + " and \\r"
          + "). Which files count: saim's folder rules (links followed,",
      "a link loop an error, names starting with a dot left out). --precision bf16 runs the encoder"
          + " in",
      "bfloat16 (vectors still float32); the file's metadata records pooling, layer, precision"
          + " and source."
    })
final class EmbedCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin EncoderSource source = new EncoderSource();

  @Option(
      names = "--data",
      paramLabel = "DIR",
      required = true,
      description = "Folder of images (searched recursively).")
  Path data;

  @Option(
      names = "--batch-size",
      description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
  int batchSize = 32;

  @Option(names = "--seed", description = "Seed of --random-init (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  @Mixin FeatureOptions features = new FeatureOptions();

  @Option(names = "--l2", description = "Scale each vector to unit length.")
  boolean l2;

  @Mixin ThreadsOption threads = new ThreadsOption();

  @Option(
      names = "--output",
      paramLabel = "FILE.safetensors",
      required = true,
      description = "Output file.")
  Path output;

  @Override
  public Integer call() throws Exception {
    List<Path> files = ImageFiles.list(data);
    if (files.isEmpty()) {
      throw new IllegalArgumentException(data + ": no JPEG or PNG images found");
    }
    SaimEncoder.Builder b =
        features.apply(source.builder(seed, threads.count)).l2Normalize(l2).batchSize(batchSize);
    PrintWriter out = spec.commandLine().getOut();
    float[][] vectors;
    int dimension;
    String precision;
    try (SaimEncoder encoder = b.build()) {
      encoder.loadNotes().forEach(n -> out.println("note: " + n));
      dimension = encoder.dimension();
      precision = FeatureOptions.name(encoder.precision());
      vectors = encoder.embedFiles(files);
    }
    float[] flat = new float[vectors.length * dimension];
    for (int i = 0; i < vectors.length; i++) {
      System.arraycopy(vectors[i], 0, flat, i * dimension, dimension);
    }
    Map<String, HostTensor> t = new LinkedHashMap<>();
    t.put("embeddings", HostTensor.ofFloats(new long[] {vectors.length, dimension}, flat));
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("pooling", features.poolingName());
    if (features.layer != null) {
      meta.put("layer", String.valueOf(features.layer));
    }
    meta.put("precision", precision);
    meta.put("source", source.describe(seed));
    StringBuilder paths = new StringBuilder();
    files.forEach(p -> paths.append(PathLines.escape(p)).append('\n'));
    AtomicFiles.write(
        Path.of(output + ".paths.txt"), paths.toString().getBytes(StandardCharsets.UTF_8));
    SafeTensors.write(output, t, meta);
    out.printf(Locale.ROOT, "wrote %d x %d embeddings to %s%n", vectors.length, dimension, output);
    out.flush();
    return 0;
  }
}
