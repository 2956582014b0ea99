package io.github.saimjava.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.github.saimjava.api.Permutation;
import io.github.saimjava.api.PermutationSampler;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.spi.ZooResolver;
import io.github.saimjava.data.Datasets;
import io.github.saimjava.data.ImageDataset;
import io.github.saimjava.data.Transforms;
import io.github.saimjava.io.AtomicFiles;
import io.github.saimjava.model.LoadReport;
import io.github.saimjava.model.ModelCheckpoint;
import io.github.saimjava.model.ModelInspector;
import io.github.saimjava.model.SaimModel;
import io.github.saimjava.train.EngineThreads;
import io.github.saimjava.train.NoGrad;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code saim visualize}: pictures of what a SAIM model predicts and attends to. */
@Command(
    name = "visualize",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Writes PNG pictures of what a SAIM model predicts and attends to.",
      "Writes to --output: reconstructions.png (original | target | prediction of each patch from"
          + " the patches before it in the --order, de-normalised with the target patch's mean and"
          + " variance), attention.png (last encoder block without masks: class token and --patch,"
          + " per head, with a colour scale), order.png (the prediction order: a sampled one beside"
          + " raster order, or raster order alone) and, with --metrics, curves.png (loss and"
          + " learning rate, on round axis ticks; k-NN top-1 when the run was monitored)."
    })
final class VisualizeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin EncoderSource source = new EncoderSource();

  @Option(
      names = "--data",
      paramLabel = "PATH",
      description =
          "Image folder (JPEG/PNG at any depth; class sub-folders optional) or IDX images file"
              + " (default: the embedded test subset).")
  @Nullable Path data;

  @Option(
      names = "--metrics",
      paramLabel = "FILE",
      description = "A metrics.jsonl of saim pretrain: draws curves.png.")
  @Nullable Path metrics;

  @Option(
      names = "--images",
      paramLabel = "N",
      description = "Images in reconstructions.png (default: ${DEFAULT-VALUE}).")
  int images = 8;

  @Option(
      names = "--order",
      paramLabel = "stochastic|raster",
      description =
          "Prediction order of reconstructions.png and order.png, as pre-training's --order"
              + " (default: ${DEFAULT-VALUE}).")
  String order = "stochastic";

  @Option(
      names = "--patch",
      paramLabel = "INDEX",
      description = "Patch whose attention is drawn (default: the centre patch).")
  @Nullable Integer patch;

  @Option(
      names = "--seed",
      description =
          "Seed of the prediction order and of --random-init (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  @Option(names = "--threads", description = "Engine threads (default: all cores).")
  @Nullable Integer threads;

  @Option(
      names = "--output",
      paramLabel = "DIR",
      required = true,
      description = "Folder for the PNG files.")
  Path output;

  @Override
  public Integer call() throws Exception {
    System.setProperty("java.awt.headless", "true");
    if (images < 1) {
      throw new IllegalArgumentException("--images must be at least 1, got " + images);
    }
    PermutationSampler.Kind kind = PredictionOrder.parse(order);
    // read the metrics first: a bad file fails before any work
    @Nullable Curves curves = metrics == null ? null : readMetrics(metrics);
    EngineThreads.pytorch(threads == null ? Runtime.getRuntime().availableProcessors() : threads);
    PrintWriter out = spec.commandLine().getOut();
    Files.createDirectories(output);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        NoGrad ng = NoGrad.enter()) {
      Loaded loaded = load(source, seed, manager);
      try (SaimModel model = loaded.model) {
        SaimConfig c = model.config();
        int l = c.numPatches();
        int centre = (c.gridSize() / 2) * c.gridSize() + c.gridSize() / 2;
        int chosen = patch == null ? centre : patch;
        if (chosen < 0 || chosen >= l) {
          throw new IllegalArgumentException("--patch " + chosen + " is outside 0.." + (l - 1));
        }
        ImageDataset d = data == null ? Datasets.embeddedTest() : Datasets.openUnlabelled(data);
        int n = Math.min(images, d.size());
        int size = c.imageSize();
        int per = c.channels() * size * size;
        float[] px = new float[n * per];
        for (int i = 0; i < n; i++) {
          System.arraycopy(
              Transforms.centreCrop(d.image(i), size, c.channels()), 0, px, i * per, per);
        }
        NDArray x = manager.create(px, new Shape(n, c.channels(), size, size));
        ModelInspector.Reconstruction r = reconstruct(model, x, kind, seed);
        float[] attention = ModelInspector.lastLayerAttention(model, x.get("0:1")).toFloatArray();
        write("reconstructions.png", reconstructions(c, r, n, loaded.decoder, kind));
        write("attention.png", attention(c, px, attention, chosen));
        write("order.png", order(c, r.order()[0], kind));
        if (curves != null && metrics != null) {
          write("curves.png", curves(curves, metrics));
        }
        loaded.notes.forEach(s -> out.println("note: " + s));
        out.printf(
            Locale.ROOT,
            "wrote %s pictures of %s (%d images, %s order, patch %d) to %s%n",
            curves == null ? "3" : "4",
            source.describe(seed),
            n,
            order,
            chosen,
            output);
        out.flush();
      }
    }
    return 0;
  }

  private void write(String name, BufferedImage img) throws IOException {
    AtomicFiles.write(output.resolve(name), Pictures.png(img));
  }

  /**
   * A model with its weights; {@code decoder} is false when the query decoder is not in the
   * weights.
   */
  record Loaded(SaimModel model, boolean decoder, List<String> notes) {}

  /**
   * The model of {@code source} (a random init seeded by {@code seed}, or a checkpoint's weights
   * with its own or the given architecture).
   *
   * @throws IllegalArgumentException naming the file when its encoder does not fit the model
   */
  static Loaded load(EncoderSource source, long seed, NDManager manager) throws IOException {
    List<String> notes = new ArrayList<>();
    if (source.weights.randomInit) {
      SaimConfig config = source.model.builder().build();
      notes.add("random initialisation, seed " + seed);
      return new Loaded(new SaimModel(config, manager, seed), true, notes);
    }
    Path file;
    SaimConfig config = source.model.given() ? source.model.builder().build() : null;
    if (source.weights.zoo != null) {
      ZooResolver.Resolved z = ZooResolver.find(source.weights.zoo);
      file = z.weights();
      config = z.config();
    } else {
      file = Objects.requireNonNull(source.weights.checkpoint);
    }
    ModelCheckpoint ckpt = ModelCheckpoint.read(file);
    config = ckpt.configOr(config);
    SaimModel model = new SaimModel(config, manager, seed);
    LoadReport report = model.load(ckpt.weights(), false);
    List<String> missingEncoder = new ArrayList<>();
    boolean decoder = true;
    for (String m : report.missing()) {
      if (m.startsWith("query_blocks.") || m.startsWith("prediction_head.")) {
        decoder = false;
      } else if (!m.equals("gaussian_blur.weight") && !m.equals("pos_embed")) {
        missingEncoder.add(m);
      }
    }
    if (!missingEncoder.isEmpty() || !report.shapeMismatches().isEmpty()) {
      model.close();
      throw new IllegalArgumentException(
          file
              + " does not fit the model "
              + config
              + ": missing "
              + missingEncoder
              + ", shape mismatches "
              + report.shapeMismatches());
    }
    if (!decoder) {
      notes.add(
          file.getFileName()
              + " holds the encoder only: no predictions (reconstructions show original and"
              + " target)");
    }
    return new Loaded(model, decoder, notes);
  }

  /**
   * What the model predicts for the {@code N x C x H x W} images {@code x} in {@code kind} order;
   * image {@code i} takes order key {@code i} (so a stochastic order is a function of {@code seed}
   * and {@code i}).
   */
  static ModelInspector.Reconstruction reconstruct(
      SaimModel model, NDArray x, PermutationSampler.Kind kind, long seed) {
    PermutationSampler sampler =
        PermutationSampler.builder(model.config().numPatches()).order(kind, seed).build();
    try (Permutation perm = sampler.sample(x.getManager(), Math.toIntExact(x.getShape().get(0)))) {
      return ModelInspector.reconstruct(model, x, perm);
    }
  }

  /** Inverse of the input normalisation, per channel: pixel = v * std + mean. */
  private static float[][] display(SaimConfig c) {
    if (c.channels() == 3) {
      float[] a = new float[3];
      float[] b = new float[3];
      for (int k = 0; k < 3; k++) {
        a[k] = Transforms.IMAGENET_STD.get(k);
        b[k] = Transforms.IMAGENET_MEAN.get(k);
      }
      return new float[][] {a, b};
    }
    return new float[][] {{Transforms.GRAY_STD}, {Transforms.GRAY_MEAN}};
  }

  /** The column layout of reconstructions.png. */
  static List<String> reconstructionTitles(boolean decoder) {
    return decoder ? List.of("original", "target", "prediction") : List.of("original", "target");
  }

  static BufferedImage reconstructions(
      SaimConfig c,
      ModelInspector.Reconstruction r,
      int n,
      boolean decoder,
      PermutationSampler.Kind kind) {
    int size = c.imageSize();
    int cell = size * Pictures.scale(size);
    int per = c.channels() * size * size;
    List<String> titles = new ArrayList<>(reconstructionTitles(decoder));
    titles.set(1, c.normPixLoss() ? "target, norm-pix" : "target");
    if (decoder && kind == PermutationSampler.Kind.RASTER) {
      // the stochastic order keeps its old plain title, so its picture is unchanged
      titles.set(2, "prediction (raster)");
    }
    BufferedImage img = Pictures.grid(titles.size(), n, cell, titles);
    float[][] inv = display(c);
    int ch = c.channels();
    // the per-patch normalised target has mean 0 and variance 1 in each patch: show +-2.5 std
    float[] ta = inv[0];
    float[] tb = inv[1];
    if (c.normPixLoss()) {
      ta = new float[ch];
      tb = new float[ch];
      Arrays.fill(ta, 0.2f);
      Arrays.fill(tb, 0.5f);
    }
    for (int i = 0; i < n; i++) {
      Pictures.panel(
          img, 0, i, cell, Pictures.toRgb(r.original(), i * per, ch, size, inv[0], inv[1]));
      Pictures.panel(img, 1, i, cell, Pictures.toRgb(r.target(), i * per, ch, size, ta, tb));
      if (decoder) {
        Pictures.panel(
            img, 2, i, cell, Pictures.toRgb(r.prediction(), i * per, ch, size, inv[0], inv[1]));
      }
      Pictures.rowLabel(img, i, cell, "image " + i);
    }
    return img;
  }

  /**
   * attention.png: rows class token and the chosen patch; columns the image, then one map per head
   * (each head's weights on the patches divided by their largest), and a colour scale.
   */
  static BufferedImage attention(SaimConfig c, float[] pixels, float[] probs, int chosen) {
    int size = c.imageSize();
    int cell = size * Pictures.scale(size);
    int heads = c.heads();
    int t = c.numPatches() + 1;
    int g = c.gridSize();
    List<String> titles = new ArrayList<>();
    titles.add("image");
    for (int h = 0; h < heads; h++) {
      titles.add("head " + h);
    }
    BufferedImage img = Pictures.grid(heads + 1, 2, cell, titles);
    float[][] inv = display(c);
    int[][] rgb = Pictures.toRgb(pixels, 0, c.channels(), size, inv[0], inv[1]);
    int[] queries = {0, chosen + 1};
    for (int row = 0; row < 2; row++) {
      int[][] marked = copy(rgb);
      if (row == 1) {
        int p = c.patchSize();
        int y0 = (chosen / g) * p;
        int x0 = (chosen % g) * p;
        for (int y = y0; y < y0 + p; y++) {
          for (int x = x0; x < x0 + p; x++) {
            if (y == y0 || y == y0 + p - 1 || x == x0 || x == x0 + p - 1) {
              marked[y][x] = 0xff2020;
            }
          }
        }
      }
      Pictures.panel(img, 0, row, cell, marked);
      Pictures.rowLabel(img, row, cell, row == 0 ? "class\ntoken" : "patch " + chosen);
      for (int h = 0; h < heads; h++) {
        int base = (h * t + queries[row]) * t + 1; // attention to the patch tokens
        double mx = 0;
        for (int k = 0; k < t - 1; k++) {
          mx = Math.max(mx, probs[base + k]);
        }
        int[][] map = new int[size][size];
        int p = c.patchSize();
        for (int y = 0; y < size; y++) {
          for (int x = 0; x < size; x++) {
            double v = probs[base + (y / p) * g + x / p] / mx;
            map[y][x] = Pictures.blend(gray(rgb[y][x]), Pictures.viridis(v), 0.7);
          }
        }
        if (row == 1) {
          int y0 = (chosen / g) * p;
          int x0 = (chosen % g) * p;
          for (int y = y0; y < y0 + p; y++) {
            for (int x = x0; x < x0 + p; x++) {
              if (y == y0 || y == y0 + p - 1 || x == x0 || x == x0 + p - 1) {
                map[y][x] = 0xff2020;
              }
            }
          }
        }
        Pictures.panel(img, h + 1, row, cell, map);
      }
    }
    // each map is scaled to its own largest weight: the scale reads as a share of it
    return Pictures.withColourScale(img, 2, cell, "of max", ATTENTION_SCALE);
  }

  /** The colour scale's labels of attention.png, bottom to top. */
  static final String[] ATTENTION_SCALE = {"0", "0.5", "1"};

  private static int gray(int rgb) {
    int v = (((rgb >> 16) & 0xff) + ((rgb >> 8) & 0xff) + (rgb & 0xff)) / 3;
    return (v << 16) | (v << 8) | v;
  }

  private static int[][] copy(int[][] a) {
    int[][] b = new int[a.length][];
    for (int i = 0; i < a.length; i++) {
      b[i] = a[i].clone();
    }
    return b;
  }

  /** Pixels per patch in order.png: at least 16 so step numbers fit. */
  static int orderCell(SaimConfig c) {
    int g = c.gridSize();
    return g * Math.max(16, 256 / g);
  }

  /**
   * order.png: the prediction step of every patch in {@code used}, the order of the first image; a
   * stochastic order is drawn beside raster order, raster order alone.
   */
  static BufferedImage order(SaimConfig c, long[] used, PermutationSampler.Kind kind) {
    int g = c.gridSize();
    int cell = orderCell(c);
    long[] raster = new long[used.length];
    for (int i = 0; i < raster.length; i++) {
      raster[i] = i;
    }
    long[][] orders =
        kind == PermutationSampler.Kind.RASTER ? new long[][] {used} : new long[][] {used, raster};
    List<String> titles =
        kind == PermutationSampler.Kind.RASTER
            ? List.of("raster order (every image)")
            : List.of("stochastic order (seeded)", "raster order");
    BufferedImage img = Pictures.grid(orders.length, 1, cell, titles);
    for (int col = 0; col < orders.length; col++) {
      int[] step = Pictures.stepOfPatch(orders[col]);
      double[] v = new double[step.length];
      String[] labels = cell / g >= 16 ? new String[step.length] : null;
      for (int i = 0; i < step.length; i++) {
        v[i] = step.length == 1 ? 0 : step[i] / (double) (step.length - 1);
        if (labels != null) {
          labels[i] = Integer.toString(step[i]);
        }
      }
      Pictures.heatMap(img, col, 0, cell, g, v, labels);
    }
    Pictures.rowLabel(img, 0, cell, "step:\ndark first,\nyellow last");
    return img;
  }

  /**
   * Step-wise loss and learning rate from a metrics.jsonl, and the k-NN monitor's top-1 at its
   * steps (empty arrays when the run had no monitor).
   */
  record Curves(double[] step, double[] loss, double[] lr, double[] knnStep, double[] knnTop1) {}

  /**
   * Reads the step and k-NN lines of a {@code metrics.jsonl} (other line types are skipped).
   *
   * @throws IllegalArgumentException naming the file and line of the first bad line
   */
  static Curves readMetrics(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    List<double[]> rows = new ArrayList<>();
    List<double[]> knn = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank()) {
        continue;
      }
      String where = file + ":" + (i + 1) + ": ";
      JsonObject o;
      try {
        JsonElement e = JsonParser.parseString(line);
        if (!e.isJsonObject()) {
          throw new IllegalArgumentException(where + "not a JSON object");
        }
        o = e.getAsJsonObject();
      } catch (JsonParseException | IllegalStateException e) {
        throw new IllegalArgumentException(where + "not JSON: " + e.getMessage());
      }
      JsonElement type = o.get("type");
      if (type != null && type.isJsonPrimitive() && "knn".equals(type.getAsString())) {
        knn.add(new double[] {number(o, "step", where), number(o, "top1", where)});
        continue;
      }
      if (type == null || !type.isJsonPrimitive() || !"step".equals(type.getAsString())) {
        continue;
      }
      rows.add(
          new double[] {
            number(o, "step", where), number(o, "loss", where), number(o, "lr", where)
          });
    }
    if (rows.isEmpty()) {
      throw new IllegalArgumentException(
          file + ": no step lines (a metrics.jsonl of saim pretrain)");
    }
    double[][] cols = new double[3][rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      for (int k = 0; k < 3; k++) {
        cols[k][i] = rows.get(i)[k];
      }
    }
    double[][] k = new double[2][knn.size()];
    for (int i = 0; i < knn.size(); i++) {
      k[0][i] = knn.get(i)[0];
      k[1][i] = knn.get(i)[1];
    }
    return new Curves(cols[0], cols[1], cols[2], k[0], k[1]);
  }

  private static double number(JsonObject o, String key, String where) {
    JsonElement e = o.get(key);
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      throw new IllegalArgumentException(where + "'" + key + "' missing or not a number");
    }
    double v = e.getAsDouble();
    if (!Double.isFinite(v)) {
      throw new IllegalArgumentException(where + "'" + key + "' is not finite: " + v);
    }
    return v;
  }

  /** Size of curves.png. */
  static final int CURVES_WIDTH = 960;

  static final int CURVES_HEIGHT = 320;

  static BufferedImage curves(Curves c, Path file) {
    BufferedImage img = new BufferedImage(CURVES_WIDTH, CURVES_HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = Pictures.graphics(img);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, CURVES_WIDTH, CURVES_HEIGHT);
    g.dispose();
    // a third panel when the run was monitored by k-NN
    int half = c.knnStep().length == 0 ? CURVES_WIDTH / 2 : CURVES_WIDTH / 3;
    Pictures.lineChart(
        img,
        0,
        0,
        half,
        CURVES_HEIGHT,
        "training loss (" + file.getFileName() + ")",
        "step",
        c.step(),
        c.loss(),
        new Color(0x1f77b4));
    Pictures.lineChart(
        img,
        half,
        0,
        half,
        CURVES_HEIGHT,
        "learning rate",
        "step",
        c.step(),
        c.lr(),
        new Color(0xd62728));
    if (c.knnStep().length > 0) {
      Pictures.lineChart(
          img,
          2 * half,
          0,
          CURVES_WIDTH - 2 * half,
          CURVES_HEIGHT,
          "k-NN top-1 (%)",
          "step",
          c.knnStep(),
          c.knnTop1(),
          new Color(0x2ca02c));
    }
    return img;
  }
}
