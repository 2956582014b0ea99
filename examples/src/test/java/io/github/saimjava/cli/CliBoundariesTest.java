package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The command line reaches the library through saim-api; the classes below {@code
 * io.github.saimjava} outside {@code api}, {@code api.spi} and {@code cli} that a source file of
 * this package names are listed in {@link #INTERNAL_USES}, file by file. The list may shrink but
 * not grow: a new use of saim-impl (or of saim-distributed, saim-zoo or the benchmarks) fails here
 * until it is listed, and belongs behind the API where it can. saim-spark's ModuleBoundariesTest
 * holds the rules of the library modules.
 */
class CliBoundariesTest {
  private static final Path SOURCES = Path.of("src/main/java/io/github/saimjava/cli");

  /**
   * Per source file of the package: the classes outside the API it names, by package below ours.
   */
  private static final Map<String, Set<String>> INTERNAL_USES =
      Map.ofEntries(
          // the labelled train/validation splits the training and probing commands read
          // --save-classifier writes the encoder and the head as linprobe's does
          Map.entry(
              "AttnprobeCommand",
              Set.of(
                  "data.LabelledData",
                  "downstream.AttentiveProbe",
                  "io.HostTensor",
                  "io.SafeTensors",
                  "model.ModelCheckpoint",
                  "model.ReferenceConfig")),
          Map.entry("FinetuneCommand", Set.of("data.LabelledData")),
          Map.entry("KnnCommand", Set.of("data.LabelledData")),
          Map.entry("LabelledDataOption", Set.of("data.LabelledData")),
          Map.entry("FrozenFeatures", Set.of("data.ImageDataset", "data.LabelledData")),
          Map.entry(
              "LinprobeCommand",
              Set.of(
                  "data.LabelledData",
                  "downstream.LinearProbe",
                  "io.HostTensor",
                  "io.SafeTensors",
                  "model.ModelCheckpoint",
                  "model.ReferenceConfig")),
          Map.entry("EvaluateCommand", Set.of("data.ImageFolderDataset")),
          // files written whole or not at all, in the library's tensor format
          Map.entry("MetricsOutput", Set.of("io.AtomicFiles")),
          Map.entry("ClassifyCommand", Set.of("io.AtomicFiles", "io.HostTensor", "io.SafeTensors")),
          Map.entry("EmbedCommand", Set.of("io.AtomicFiles", "io.HostTensor", "io.SafeTensors")),
          Map.entry("DjlServingFolder", Set.of("data.Transforms", "io.AtomicFiles")),
          Map.entry("ExportCommand", Set.of("io.AtomicFiles", "model.ModelCheckpoint")),
          Map.entry(
              "ConvertCommand",
              Set.of("io.CheckpointConverter", "io.HostTensor", "io.TorchCheckpoint")),
          // the developer's commands, which look inside the model and time its parts
          Map.entry("CheckReferenceCommand", Set.of("train.ReferenceCheck")),
          Map.entry(
              "BenchCommand",
              Set.of(
                  "model.Autocast",
                  "model.FrozenEncoder",
                  "model.InferenceKernels",
                  "model.SaimModel",
                  "train.AdamW",
                  "train.EngineThreads",
                  "train.NoGrad")),
          Map.entry(
              "LossByPositionCommand",
              Set.of(
                  "benchmarks.reproduce.LineChart",
                  "data.Datasets",
                  "data.ImageDataset",
                  "data.Transforms",
                  "io.AtomicFiles",
                  "model.SaimModel",
                  "train.EngineThreads",
                  "train.NoGrad")),
          Map.entry(
              "VisualizeCommand",
              Set.of(
                  "data.Datasets",
                  "data.ImageDataset",
                  "data.Transforms",
                  "io.AtomicFiles",
                  "model.LoadReport",
                  "model.ModelCheckpoint",
                  "model.ModelInspector",
                  "model.SaimModel",
                  "train.EngineThreads",
                  "train.NoGrad")),
          // the engine loaded with the thread count, and the collectives of a data-parallel run
          Map.entry("PretrainCommand", Set.of("distributed.Collectives", "train.EngineThreads")),
          Map.entry("Errors", Set.of("distributed.CollectiveException")),
          // the other modules the program gathers
          Map.entry("SaimCommand", Set.of("benchmarks.reproduce.ReproduceCommand")),
          Map.entry("ZooCommand", Set.of("zoo.ArtifactCache", "zoo.SaimZoo", "zoo.ZooArtifact")));

  // io.github.saimjava.model.SaimModel, in an import or written out in the code
  private static final Pattern OURS =
      Pattern.compile("io\\.github\\.saimjava\\.((?:[a-z]\\w*\\.)+)([A-Z]\\w*)");
  private static final Pattern STRING_LITERAL = Pattern.compile("\"(?:\\\\.|[^\"\\\\])*\"");
  private static final Set<String> THE_API = Set.of("api", "api.spi", "cli");

  @Test
  void eachFileUsesOnlyTheInternalClassesListedForIt() throws IOException {
    Map<String, Set<String>> found = internalUses();
    Map<String, Set<String>> unlisted = new TreeMap<>();
    found.forEach(
        (file, uses) -> {
          Set<String> extra = new TreeSet<>(uses);
          extra.removeAll(INTERNAL_USES.getOrDefault(file, Set.of()));
          if (!extra.isEmpty()) {
            unlisted.put(file, extra);
          }
        });
    assertEquals(
        Map.of(),
        unlisted,
        "uses of the implementation outside the API that INTERNAL_USES does not list");
  }

  @Test
  void theScanFindsTheUsesItLooksFor() throws IOException {
    // a check of the reader itself: an import, and none of the API's classes
    Map<String, Set<String>> found = internalUses();
    assertTrue(found.get("PretrainCommand").contains("train.EngineThreads"), found.toString());
    assertTrue(found.values().stream().flatMap(Set::stream).noneMatch(c -> c.startsWith("api.")));
  }

  /**
   * Per source file: the classes of ours outside the API it names, outside comments and strings.
   */
  private static Map<String, Set<String>> internalUses() throws IOException {
    Map<String, Set<String>> out = new TreeMap<>();
    try (Stream<Path> files = Files.list(SOURCES)) {
      for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
        Set<String> uses = new TreeSet<>();
        for (String line : Files.readAllLines(f)) {
          String code = line.strip();
          if (code.startsWith("*") || code.startsWith("//") || code.startsWith("/*")) {
            continue;
          }
          Matcher m = OURS.matcher(STRING_LITERAL.matcher(code).replaceAll("\"\""));
          while (m.find()) {
            String pkg = m.group(1).substring(0, m.group(1).length() - 1);
            if (!THE_API.contains(pkg)) {
              uses.add(pkg + "." + m.group(2));
            }
          }
        }
        if (!uses.isEmpty()) {
          String name = f.getFileName().toString();
          out.put(name.substring(0, name.length() - ".java".length()), uses);
        }
      }
    }
    return out;
  }
}
