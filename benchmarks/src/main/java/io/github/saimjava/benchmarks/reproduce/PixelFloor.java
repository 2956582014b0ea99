package io.github.saimjava.benchmarks.reproduce;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.saimjava.api.SaimKnn;
import io.github.saimjava.api.SaimLinearProbe;
import io.github.saimjava.data.LabelledData;
import io.github.saimjava.io.AtomicFiles;
import io.github.saimjava.train.EngineThreads;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The raw-pixel floor of the encoder evaluations: the same k-NN classifier ({@link SaimKnn}) and
 * the same linear probe (the table's, {@link Plan#fmnistSmall()}) as the encoders get, on the 784
 * pixel values / 255 of each image instead of an encoder's features. The attentive probe has no
 * pixel counterpart: it reads an encoder's patch tokens.
 */
@Command(
    name = "pixel-floor",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "k-NN (cosine, k nearest vote with exp(cosine / T)) and the table's linear probe on raw"
          + " pixels / 255,",
      "trained on the first --train training images of --data, tested on its test images;"
          + " writes DIR/metrics.json."
    })
public final class PixelFloor implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--data",
      paramLabel = "DIR",
      description =
          "Folder with the IDX pair train-* and t10k-* (images and labels, .gz or not) (default:"
              + " ${DEFAULT-VALUE}).")
  Path data = Reproduction.SYSTEM_DATA;

  @Option(
      names = "--train",
      paramLabel = "N",
      description = "The first N training images are the labelled set (default: ${DEFAULT-VALUE}).")
  int trainImages = 10_000;

  @Option(
      names = "--probe-seeds",
      split = ",",
      paramLabel = "S,S",
      description = "Seeds of the linear probe, one fit each (default: ${DEFAULT-VALUE}).")
  List<Long> probeSeeds = List.of(0L, 1L);

  @Option(names = "--k", description = "Neighbours that vote (default: ${DEFAULT-VALUE}).")
  int k = 20;

  @Option(
      names = "--temperature",
      paramLabel = "T",
      description = "Vote weights exp(cosine / T) (default: ${DEFAULT-VALUE}).")
  double temperature = 0.07;

  @Option(names = "--threads", description = "Engine threads (default: ${DEFAULT-VALUE}).")
  int threads = 1;

  @Option(
      names = "--output",
      required = true,
      paramLabel = "DIR",
      description = "Where metrics.json goes (as the saim commands write theirs).")
  Path output;

  @Override
  public Integer call() throws IOException {
    // the settings first, so that a bad value is refused before any data are read
    SaimKnn knn = SaimKnn.builder().k(k).temperature(temperature).build();
    if (probeSeeds.isEmpty()) {
      throw new IllegalArgumentException("--probe-seeds: at least one seed");
    }
    EngineThreads.pytorch(threads);
    LabelledData d = LabelledData.open(data).select(trainImages, 0);
    float[][] xTrain = Reproduction.pixels(d.train());
    float[][] xTest = Reproduction.pixels(d.val());
    int[] yTrain = d.train().labels();
    int[] yTest = d.val().labels();
    int classes = Math.max(d.train().numClasses(), d.val().numClasses());
    PrintWriter out = spec.commandLine().getOut();

    JsonObject json = new JsonObject();
    json.addProperty("features", "raw pixels / 255, " + xTrain[0].length + " values");
    json.addProperty("train", d.train().describe());
    json.addProperty("train_images", xTrain.length);
    json.addProperty("test", d.val().describe());
    json.addProperty("test_images", xTest.length);
    long t = System.nanoTime();
    SaimKnn.Result r = knn.evaluate(xTrain, yTrain, xTest, yTest, classes);
    JsonObject kj = new JsonObject();
    kj.addProperty("top1", r.top1());
    kj.addProperty("top5", r.top5());
    kj.addProperty("k", r.k());
    kj.addProperty("temperature", temperature);
    kj.addProperty("seconds", (System.nanoTime() - t) / 1e9);
    json.add("knn", kj);
    out.printf(Locale.ROOT, "pixels, k-NN: top-1 %.2f top-5 %.2f%n", r.top1(), r.top5());
    out.flush();

    SaimLinearProbe.Spec base = Plan.fmnistSmall().probe();
    json.add("linprobe_settings", Plan.probeJson(base));
    JsonArray probes = new JsonArray();
    for (long seed : probeSeeds) {
      t = System.nanoTime();
      SaimLinearProbe.Result p = Plan.probe(base, seed).fit(xTrain, yTrain, xTest, yTest, classes);
      JsonObject pj = new JsonObject();
      pj.addProperty("seed", seed);
      pj.addProperty("top1", p.top1());
      pj.addProperty("top5", p.top5());
      pj.addProperty("seconds", (System.nanoTime() - t) / 1e9);
      probes.add(pj);
      out.printf(
          Locale.ROOT,
          "pixels, linear probe seed %d: top-1 %.2f top-5 %.2f%n",
          seed,
          p.top1(),
          p.top5());
      out.flush();
    }
    json.add("linprobe", probes);
    Path file = output.resolve("metrics.json");
    Files.createDirectories(output);
    AtomicFiles.write(
        file,
        (new GsonBuilder().setPrettyPrinting().create().toJson(json) + "\n")
            .getBytes(StandardCharsets.UTF_8));
    out.printf(Locale.ROOT, "metrics in %s%n", file);
    out.flush();
    return 0;
  }

  /** Runs the program; user errors print one line and exit with 2. */
  public static void main(String[] args) {
    System.exit(execute(args));
  }

  static int execute(String... args) {
    CommandLine cl = new CommandLine(new PixelFloor());
    cl.setExecutionExceptionHandler(
        (ex, c, pr) -> {
          Throwable e = ex instanceof UncheckedIOException u ? u.getCause() : ex;
          if (e instanceof NoSuchFileException nf) {
            c.getErr().println("pixel-floor: error: no such file: " + nf.getFile());
            return 2;
          }
          if (e instanceof IllegalArgumentException || e instanceof IOException) {
            c.getErr().println("pixel-floor: error: " + e.getMessage());
            return 2;
          }
          throw ex;
        });
    return cl.execute(args);
  }
}
