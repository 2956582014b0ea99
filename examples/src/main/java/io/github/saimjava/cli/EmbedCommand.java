package io.github.saimjava.cli;

import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.io.AtomicFiles;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code saim embed}: one vector per image of a folder, written as safetensors. */
@Command(
    name = "embed",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Embeds every JPEG/PNG image under --data (sorted by path) with a SAIM encoder and writes",
      "FILE.safetensors holding one float32 tensor 'embeddings' (N x D) and FILE.safetensors.paths.txt",
      "with the image paths, one per line, in row order."
    })
final class EmbedCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  static final class Source {
    @Option(names = "--checkpoint", paramLabel = "PATH", required = true,
        description = "Weights: final.safetensors, a checkpoint of ours, or a reference .pth.")
    Path checkpoint;

    @Option(names = "--random-init", required = true, description = "A randomly initialised encoder (seeded by --seed).")
    boolean randomInit;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  @Option(names = "--model", paramLabel = "NAME", description = "Preset: tiny, small, base or large.")
  String model;

  @Option(names = "--dim", description = "Token width (overrides the preset).")
  Integer dim;

  @Option(names = "--depth", description = "Encoder blocks (overrides the preset).")
  Integer depth;

  @Option(names = "--heads", description = "Attention heads (overrides the preset).")
  Integer heads;

  @Option(names = "--img-size", description = "Input size in pixels.")
  Integer imgSize;

  @Option(names = "--patch-size", description = "Patch size in pixels.")
  Integer patchSize;

  @Option(names = "--data", paramLabel = "DIR", required = true, description = "Folder of images (searched recursively).")
  Path data;

  @Option(names = "--batch-size", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
  int batchSize = 32;

  @Option(names = "--seed", description = "Seed of --random-init (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  @Option(names = "--pooling", paramLabel = "cls|mean", description = "Class token (default) or mean of patch tokens.")
  String pooling = "cls";

  @Option(names = "--l2", description = "Scale each vector to unit length.")
  boolean l2;

  @Option(names = "--threads", description = "Engine threads (default: all cores).")
  Integer threads;

  @Option(names = "--output", paramLabel = "FILE.safetensors", required = true, description = "Output file.")
  Path output;

  @Override
  public Integer call() throws Exception {
    if (!Files.isDirectory(data)) {
      throw new IllegalArgumentException(data + ": no such folder of images");
    }
    List<Path> files;
    try (Stream<Path> s = Files.walk(data)) {
      files = s.filter(Files::isRegularFile).filter(EmbedCommand::isImage)
          .sorted((a, b) -> a.toString().compareTo(b.toString())).toList();
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException(data + ": no JPEG or PNG images found");
    }
    SaimEncoder.Builder b = SaimEncoder.builder()
        .checkpoint(source.randomInit ? null : source.checkpoint)
        .config(config())
        .seed(seed)
        .pooling(PretrainCommand.parse(SaimEncoder.Pooling.class, pooling, "--pooling"))
        .l2Normalize(l2)
        .batchSize(batchSize);
    if (threads != null) {
      b.threads(threads);
    }
    PrintWriter out = spec.commandLine().getOut();
    float[][] vectors;
    int dimension;
    try (SaimEncoder encoder = b.build()) {
      encoder.loadNotes().forEach(n -> out.println("note: " + n));
      dimension = encoder.dimension();
      vectors = encoder.embedFiles(files);
    }
    float[] flat = new float[vectors.length * dimension];
    for (int i = 0; i < vectors.length; i++) {
      System.arraycopy(vectors[i], 0, flat, i * dimension, dimension);
    }
    Map<String, HostTensor> t = new LinkedHashMap<>();
    t.put("embeddings", HostTensor.ofFloats(new long[] {vectors.length, dimension}, flat));
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("pooling", pooling.toLowerCase(Locale.ROOT));
    meta.put("source", source.randomInit ? "random-init seed " + seed : source.checkpoint.toString());
    StringBuilder paths = new StringBuilder();
    files.forEach(p -> paths.append(p).append('\n'));
    AtomicFiles.write(Path.of(output + ".paths.txt"), paths.toString().getBytes(StandardCharsets.UTF_8));
    SafeTensors.write(output, t, meta);
    out.printf(Locale.ROOT, "wrote %d x %d embeddings to %s%n", vectors.length, dimension, output);
    out.flush();
    return 0;
  }

  private SaimConfig config() {
    boolean any = model != null || dim != null || depth != null || heads != null || imgSize != null || patchSize != null;
    if (!any && !source.randomInit) {
      return null;
    }
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
    return c.build();
  }

  static boolean isImage(Path p) {
    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
    return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
  }
}
