package io.github.saimjava.cli;

import io.github.saimjava.api.ImageFiles;
import io.github.saimjava.api.SaimClassifier;
import io.github.saimjava.io.AtomicFiles;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code saim classify}: the top classes of each image, optionally the logits as safetensors. */
@Command(
    name = "classify",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Classifies images with a fine-tuned, linear-probed or attentive-probed SAIM ViT.",
      "Prints one line per image, in sorted path order: the path, then the top K classes as",
      "'<probability> <label>', tab-separated. The head kind (global pool, BatchNorm linear"
          + " probe",
      "or attentive probe) follows from the checkpoint's tensor names, the number of classes from"
          + " the head's shape.",
      "With --logits, also writes FILE.safetensors holding one float32 tensor 'logits' (N x"
          + " classes)",
      "and FILE.safetensors.paths.txt with the image paths, one per line, in row order.",
      "Paths are printed and written on one line each: backslash, line feed and carriage return",
      "in a name as \\\\, \\n and \\r."
    })
final class ClassifyCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ClassifierSource source = new ClassifierSource();

  @Option(
      names = "--data",
      paramLabel = "DIR|FILE",
      required = true,
      arity = "1..*",
      description = "Images: JPEG/PNG files, or folders searched recursively.")
  List<Path> data;

  @Option(
      names = "--top",
      paramLabel = "K",
      description = "Classes per image (default: ${DEFAULT-VALUE}).")
  int top = 5;

  @Option(
      names = "--logits",
      paramLabel = "FILE.safetensors",
      description = "Also write the logits here.")
  @Nullable Path logits;

  @Override
  public Integer call() throws Exception {
    if (top <= 0) {
      throw new IllegalArgumentException("--top " + top + ": must be positive");
    }
    List<Path> files = imageFiles(data);
    if (logits != null) {
      Path parent = logits.toAbsolutePath().getParent();
      if (parent != null && !Files.isDirectory(parent)) {
        throw new IllegalArgumentException(
            "--logits " + logits + ": the folder " + parent + " does not exist");
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    float[][] z;
    List<List<SaimClassifier.Prediction>> best;
    int k;
    try (SaimClassifier c = source.builder(top).build()) {
      c.loadNotes().forEach(n -> out.println("note: " + n));
      k = c.numClasses();
      z = c.logitsOfFiles(files);
      best = c.top(z, top);
    }
    for (int i = 0; i < files.size(); i++) {
      StringBuilder line = new StringBuilder(PathLines.escape(files.get(i)));
      for (SaimClassifier.Prediction p : best.get(i)) {
        line.append(String.format(Locale.ROOT, "\t%.4f %s", p.probability(), p.label()));
      }
      out.println(line);
    }
    if (logits != null) {
      float[] flat = new float[files.size() * k];
      for (int i = 0; i < z.length; i++) {
        System.arraycopy(z[i], 0, flat, i * k, k);
      }
      Map<String, HostTensor> t = new LinkedHashMap<>();
      t.put("logits", HostTensor.ofFloats(new long[] {files.size(), k}, flat));
      Map<String, String> meta = new LinkedHashMap<>();
      meta.put("source", source.describe());
      StringBuilder paths = new StringBuilder();
      files.forEach(p -> paths.append(PathLines.escape(p)).append('\n'));
      AtomicFiles.write(
          Path.of(logits + ".paths.txt"), paths.toString().getBytes(StandardCharsets.UTF_8));
      SafeTensors.write(logits, t, meta);
      out.printf(Locale.ROOT, "wrote %d x %d logits to %s%n", files.size(), k, logits);
    }
    out.flush();
    return 0;
  }

  /**
   * The JPEG/PNG files named or found under the folders named, sorted by path, each once.
   *
   * @throws IllegalArgumentException naming a path that does not exist, a file that is not a
   *     JPEG/PNG, or a folder without images
   */
  static List<Path> imageFiles(List<Path> data) throws IOException {
    List<Path> files = new ArrayList<>();
    for (Path d : data) {
      if (Files.isDirectory(d)) {
        List<Path> found = ImageFiles.list(d);
        if (found.isEmpty()) {
          throw new IllegalArgumentException(d + ": no JPEG or PNG images found");
        }
        files.addAll(found);
      } else if (Files.isRegularFile(d)) {
        if (!ImageFiles.isImageName(String.valueOf(d.getFileName()))) {
          throw new IllegalArgumentException(d + ": not a .jpg, .jpeg or .png file");
        }
        files.add(d);
      } else {
        throw new IllegalArgumentException(d + ": no such file or folder");
      }
    }
    return files.stream()
        .distinct()
        .sorted((a, b) -> a.toString().compareTo(b.toString()))
        .toList();
  }
}
