package io.github.saimjava.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.github.saimjava.api.Permutation;
import io.github.saimjava.api.PermutationSampler;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.benchmarks.reproduce.LineChart;
import io.github.saimjava.data.Datasets;
import io.github.saimjava.data.ImageDataset;
import io.github.saimjava.data.Transforms;
import io.github.saimjava.io.AtomicFiles;
import io.github.saimjava.model.SaimModel;
import io.github.saimjava.train.EngineThreads;
import io.github.saimjava.train.NoGrad;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code saim loss-by-position}: a pre-trained model's own loss ({@link SaimModel#patchLoss}) on
 * held-out images, averaged per prediction position (position {@code t} = the {@code t}-th patch
 * predicted in the order, from {@code t} patches before it) and per spatial patch (row-major).
 * Image {@code i} of the data gets the order of key {@code i}, so a run is deterministic.
 */
@Command(
    name = "loss-by-position",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Measures the model's loss per prediction position and per patch.",
      "Writes, for --images images, loss-by-position.json, loss-by-position.md and, with --plot,"
          + " loss-by-position.png (every --with result drawn on the same axes, e.g. the other"
          + " order) to --output."
    })
final class LossByPositionCommand implements Callable<Integer> {
  static final String JSON = "loss-by-position.json";
  static final String MARKDOWN = "loss-by-position.md";
  static final String PNG = "loss-by-position.png";

  @Spec CommandSpec spec;

  @Mixin EncoderSource source = new EncoderSource();

  @Option(
      names = "--order",
      paramLabel = "stochastic|raster",
      description = "Prediction order (default: ${DEFAULT-VALUE}).")
  String order = "stochastic";

  @Option(
      names = "--seed",
      description =
          "Seed of the stochastic orders and of --random-init (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  @Option(
      names = "--data",
      paramLabel = "PATH",
      description =
          "Image folder (JPEG/PNG at any depth; class sub-folders optional) or IDX images file,"
              + " e.g. t10k-images-idx3-ubyte.gz (default: the embedded test subset).")
  @Nullable Path data;

  @Option(
      names = "--images",
      paramLabel = "N",
      description = "The first N images of --data (default: ${DEFAULT-VALUE}, or all if fewer).")
  int images = 1000;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
  int batchSize = 100;

  @Option(
      names = "--label",
      paramLabel = "TEXT",
      description = "This result's name in tables and plots (default: the order).")
  @Nullable String label;

  @Option(
      names = "--with",
      paramLabel = "JSON",
      description = "An earlier loss-by-position.json to compare with (repeatable).")
  List<Path> with = new ArrayList<>();

  @Option(names = "--plot", description = "Also write loss-by-position.png.")
  boolean plot;

  @Mixin ThreadsOption threads = new ThreadsOption();

  @Option(
      names = "--output",
      paramLabel = "DIR",
      required = true,
      description = "Folder for the result files.")
  Path output;

  /**
   * Mean loss per prediction position and per patch, and the mean over all of them.
   *
   * @param label the name in tables and plots
   * @param byPosition element {@code t}: mean loss of the patch predicted {@code t}-th
   * @param byPatch element {@code k}: mean loss of patch {@code k} (row-major)
   * @param mean the mean loss over all images and patches (the model's loss on them)
   */
  record Result(String label, double[] byPosition, double[] byPatch, double mean) {}

  /** Sums of per-patch losses, by position and by patch, over the images seen so far. */
  static final class Sums {
    final double[] byPosition;
    final double[] byPatch;
    long images;

    Sums(int patches) {
      byPosition = new double[patches];
      byPatch = new double[patches];
    }

    /**
     * Adds a batch: {@code patchLoss} and {@code order} are N x L row-major, {@code order[n, t]}
     * the patch predicted {@code t}-th in image {@code n}.
     */
    void add(float[] patchLoss, long[] order) {
      int l = byPatch.length;
      int n = patchLoss.length / l;
      for (int i = 0; i < n; i++) {
        for (int t = 0; t < l; t++) {
          byPosition[t] += patchLoss[i * l + (int) order[i * l + t]];
          byPatch[t] += patchLoss[i * l + t];
        }
      }
      images += n;
    }

    Result result(String label) {
      int l = byPatch.length;
      double[] pos = new double[l];
      double[] patch = new double[l];
      double all = 0;
      for (int k = 0; k < l; k++) {
        pos[k] = byPosition[k] / images;
        patch[k] = byPatch[k] / images;
        all += byPatch[k];
      }
      return new Result(label, pos, patch, all / ((double) images * l));
    }
  }

  @Override
  public Integer call() throws Exception {
    System.setProperty("java.awt.headless", "true");
    if (images < 1) {
      throw new IllegalArgumentException("--images must be at least 1, got " + images);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("--batch-size must be at least 1, got " + batchSize);
    }
    PermutationSampler.Kind kind = PredictionOrder.parse(order);
    // the comparison files first: a bad one fails before any work
    List<Result> others = new ArrayList<>();
    for (Path p : with) {
      others.add(read(p));
    }
    EngineThreads.pytorch(
        threads.count == null ? Runtime.getRuntime().availableProcessors() : threads.count);
    PrintWriter out = spec.commandLine().getOut();
    ImageDataset d = data == null ? Datasets.embeddedTest() : Datasets.openUnlabelled(data);
    int n = Math.min(images, d.size());
    Result result;
    SaimConfig c;
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        NoGrad ng = NoGrad.enter()) {
      VisualizeCommand.Loaded loaded = VisualizeCommand.load(source, seed, manager);
      try (SaimModel model = loaded.model()) {
        if (!loaded.decoder()) {
          throw new IllegalArgumentException(
              source.describe(seed)
                  + " holds the encoder only: the loss needs the query decoder and the head"
                  + " (use the pre-training weights, e.g. final.safetensors)");
        }
        c = model.config();
        int l = c.numPatches();
        for (Result o : others) {
          if (o.byPosition().length != l) {
            throw new IllegalArgumentException(
                "--with "
                    + o.label()
                    + " has "
                    + o.byPosition().length
                    + " positions, this model "
                    + l);
          }
        }
        PermutationSampler sampler = PermutationSampler.builder(l).order(kind, seed).build();
        int size = c.imageSize();
        int per = c.channels() * size * size;
        Sums sums = new Sums(l);
        for (int start = 0; start < n; start += batchSize) {
          int b = Math.min(batchSize, n - start);
          float[] px = new float[b * per];
          long[] keys = new long[b];
          for (int i = 0; i < b; i++) {
            keys[i] = start + i;
            System.arraycopy(
                Transforms.centreCrop(d.image(start + i), size, c.channels()), 0, px, i * per, per);
          }
          try (NDManager batch = manager.newSubManager();
              Permutation perm = sampler.sample(batch, keys)) {
            NDArray x = batch.create(px, new Shape(b, c.channels(), size, size));
            NDArray prediction = model.forward(x, perm, false).prediction();
            float[] loss = model.patchLoss(prediction, model.target(x)).toFloatArray();
            sums.add(loss, perm.order().toLongArray());
          }
        }
        result = sums.result(label != null ? label : order);
      }
    }
    JsonObject json = toJson(result, c, n, d.describe());
    Files.createDirectories(output);
    AtomicFiles.write(
        output.resolve(JSON),
        (new GsonBuilder().setPrettyPrinting().create().toJson(json) + "\n")
            .getBytes(StandardCharsets.UTF_8));
    List<Result> all = new ArrayList<>();
    all.add(result);
    all.addAll(others);
    AtomicFiles.write(
        output.resolve(MARKDOWN),
        markdown(all, c.gridSize(), describeRun(n, d.describe())).getBytes(StandardCharsets.UTF_8));
    if (plot) {
      AtomicFiles.write(output.resolve(PNG), LineChart.png(chart(all)));
    }
    out.printf(
        Locale.ROOT,
        "mean loss %.5f over %d images (%s order), first position %.5f, last %.5f; wrote %s%n",
        result.mean(),
        n,
        order,
        result.byPosition()[0],
        result.byPosition()[result.byPosition().length - 1],
        output);
    out.flush();
    return 0;
  }

  private String describeRun(int n, String dataName) {
    return String.format(
        Locale.ROOT,
        "%s, %s order%s, %d images of %s",
        source.describe(seed),
        order,
        order.equals("stochastic") ? " (seed " + seed + ", image i takes key i)" : "",
        n,
        dataName);
  }

  private JsonObject toJson(Result r, SaimConfig c, int n, String dataName) {
    JsonObject o = new JsonObject();
    o.addProperty("label", r.label());
    o.addProperty("weights", source.describe(seed));
    o.addProperty("order", order);
    o.addProperty("seed", seed);
    o.addProperty("images", n);
    o.addProperty("data", dataName);
    o.addProperty("grid", c.gridSize());
    o.addProperty("mean_loss", r.mean());
    o.add("by_position", array(r.byPosition()));
    o.add("by_patch", array(r.byPatch()));
    return o;
  }

  private static JsonArray array(double[] v) {
    JsonArray a = new JsonArray();
    for (double x : v) {
      a.add(x);
    }
    return a;
  }

  /**
   * Reads a {@code loss-by-position.json}.
   *
   * @throws IllegalArgumentException naming the file and the key at fault
   */
  static Result read(Path file) throws IOException {
    JsonObject o;
    try {
      JsonElement e = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
      if (!e.isJsonObject()) {
        throw new IllegalArgumentException(file + ": not a JSON object");
      }
      o = e.getAsJsonObject();
    } catch (JsonParseException e) {
      throw new IllegalArgumentException(file + ": not JSON: " + e.getMessage());
    }
    double[] pos = numbers(o, "by_position", file);
    double[] patch = numbers(o, "by_patch", file);
    if (pos.length != patch.length) {
      throw new IllegalArgumentException(
          file + ": by_position has " + pos.length + " values, by_patch " + patch.length);
    }
    JsonElement label = o.get("label");
    JsonElement mean = o.get("mean_loss");
    if (label == null || !label.isJsonPrimitive()) {
      throw new IllegalArgumentException(file + ": 'label' missing or not a string");
    }
    if (mean == null || !mean.isJsonPrimitive() || !mean.getAsJsonPrimitive().isNumber()) {
      throw new IllegalArgumentException(file + ": 'mean_loss' missing or not a number");
    }
    return new Result(label.getAsString(), pos, patch, mean.getAsDouble());
  }

  private static double[] numbers(JsonObject o, String key, Path file) {
    JsonElement e = o.get(key);
    if (e == null || !e.isJsonArray() || e.getAsJsonArray().isEmpty()) {
      throw new IllegalArgumentException(file + ": '" + key + "' missing or not a list");
    }
    JsonArray a = e.getAsJsonArray();
    double[] v = new double[a.size()];
    for (int i = 0; i < v.length; i++) {
      JsonElement x = a.get(i);
      if (!x.isJsonPrimitive()
          || !x.getAsJsonPrimitive().isNumber()
          || !Double.isFinite(x.getAsDouble())) {
        throw new IllegalArgumentException(
            file + ": '" + key + "'[" + i + "] is not a finite number");
      }
      v[i] = x.getAsDouble();
    }
    return v;
  }

  /**
   * The Markdown report: the mean loss over eight equal ranges of positions for every result, then
   * the first result's loss per patch on the patch grid.
   */
  static String markdown(List<Result> results, int grid, String run) {
    Result first = results.get(0);
    int l = first.byPosition().length;
    StringBuilder md = new StringBuilder();
    md.append("# Loss per prediction position\n\n");
    md.append("The model's own loss (per-patch mean of the pre-training loss), ")
        .append(run)
        .append(". Position t is the t-th patch predicted, from the t - 1 patches before it.\n\n");
    md.append("| positions |");
    StringBuilder rule = new StringBuilder("|---|");
    for (Result r : results) {
      md.append(' ').append(r.label()).append(" |");
      rule.append("---|");
    }
    md.append('\n').append(rule).append('\n');
    int bins = Math.min(8, l);
    for (int i = 0; i < bins; i++) {
      int from = i * l / bins;
      int to = (i + 1) * l / bins;
      md.append(String.format(Locale.ROOT, "| %d-%d |", from + 1, to));
      for (Result r : results) {
        double s = 0;
        for (int t = from; t < to; t++) {
          s += r.byPosition()[t];
        }
        md.append(String.format(Locale.ROOT, " %.4f |", s / (to - from)));
      }
      md.append('\n');
    }
    md.append("| all |");
    for (Result r : results) {
      md.append(String.format(Locale.ROOT, " %.4f |", r.mean()));
    }
    md.append("\n\n");
    md.append("Loss per patch of ").append(first.label()).append(" (row, column of the grid):\n\n");
    md.append("| row |");
    for (int col = 0; col < grid; col++) {
      md.append(' ').append(col).append(" |");
    }
    md.append('\n').append("|---|".repeat(1)).append("---|".repeat(grid)).append('\n');
    for (int row = 0; row < grid && row * grid < l; row++) {
      md.append("| ").append(row).append(" |");
      for (int col = 0; col < grid; col++) {
        md.append(String.format(Locale.ROOT, " %.4f |", first.byPatch()[row * grid + col]));
      }
      md.append('\n');
    }
    return md.toString();
  }

  /** Size of loss-by-position.png: two charts side by side. */
  static final int WIDTH = 1200;

  static final int HEIGHT = 400;

  static BufferedImage chart(List<Result> results) {
    List<LineChart.Series> byPos = new ArrayList<>();
    List<LineChart.Series> byPatch = new ArrayList<>();
    for (Result r : results) {
      double[] x = new double[r.byPosition().length];
      double[] x0 = new double[x.length];
      for (int i = 0; i < x.length; i++) {
        x[i] = i + 1;
        x0[i] = i;
      }
      byPos.add(new LineChart.Series(r.label(), x, r.byPosition()));
      byPatch.add(new LineChart.Series(r.label(), x0, r.byPatch()));
    }
    BufferedImage img = LineChart.blank(WIDTH, HEIGHT);
    LineChart.draw(
        img,
        0,
        0,
        WIDTH / 2,
        HEIGHT,
        "loss by prediction position",
        "position in the order (1 = predicted first)",
        "mean loss",
        byPos);
    LineChart.draw(
        img,
        WIDTH / 2,
        0,
        WIDTH / 2,
        HEIGHT,
        "loss by patch",
        "patch index (row-major)",
        "mean loss",
        byPatch);
    return img;
  }
}
