package io.github.saimjava.benchmarks.reproduce;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.api.SaimLinearProbe;
import io.github.saimjava.data.Datasets;
import io.github.saimjava.data.IdxDataset;
import io.github.saimjava.data.ImageDataset;
import io.github.saimjava.io.AtomicFiles;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Which frozen features of the fmnist-small encoders the linear probe reads best: every block
 * (1..depth) with class-token or mean pooling, chosen on a validation split of the training images,
 * then tested once on the test set next to the table's class-token figures and the raw-pixel floor.
 *
 * <p>Model selection never sees the test set: the probe trains on training images {@code
 * 0..train-1} and is validated on {@code train..10k-1}; the selected setting is then trained on all
 * 10k and tested on the 10k test images. Features of every block come from one forward pass ({@link
 * SaimEncoder#embedEveryLayer}, pooling {@code CLS_MEAN} split in its two halves) and are cached in
 * the cache folder, so a rerun only trains probes. One further setting, fixed in advance and
 * outside the selection, probes every block's features side by side.
 */
@Command(
    name = "probe-layers",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Linear probe of every block's class-token and mean-pooled features of the fmnist-small"
          + " encoders",
      "(random init, raster, stochastic), selected on a validation split of the training images,"
          + " the",
      "selection tested once on the test set; writes RESULTS/fmnist-small-probe-features.md and"
          + " .json."
    })
public final class LayerProbe implements Callable<Integer> {
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();
  private static final String[] POOLS = {"cls", "mean", "cls_mean"};

  @Spec CommandSpec spec;

  @Option(
      names = "--run",
      paramLabel = "DIR",
      description =
          "The reproduction's run folder holding pretrain/<variant>-seed<S>/final.safetensors"
              + " (default: ${DEFAULT-VALUE}).")
  Path run = Path.of("/work/repro-run");

  @Option(
      names = "--encoders",
      split = ",",
      paramLabel = "NAME,NAME",
      description =
          "Encoders: random-seed<S> (random init), <variant>-seed<S> of the run folder, or"
              + " LABEL=FILE (a checkpoint of the fmnist-small architecture, shown as LABEL)"
              + " (default: ${DEFAULT-VALUE}).")
  List<String> encoders = List.of("random-seed0", "raster-seed0", "stochastic-seed0");

  @Option(
      names = "--train",
      paramLabel = "N",
      description =
          "Probe-training images of the grid; the rest of the 10k validate (default:"
              + " ${DEFAULT-VALUE}).")
  int trainImages = 8000;

  @Option(
      names = "--probe-seeds",
      split = ",",
      paramLabel = "S,S",
      description =
          "Probe seeds of the final test figures (the grid uses the first) (default:"
              + " ${DEFAULT-VALUE}).")
  List<Long> probeSeeds = List.of(0L);

  @Option(
      names = "--data",
      paramLabel = "DIR",
      description =
          "Folder with t10k-images-idx3-ubyte[.gz] and labels (default: ${DEFAULT-VALUE}).")
  Path data = Reproduction.SYSTEM_DATA;

  @Option(names = "--threads", description = "Engine threads (default: ${DEFAULT-VALUE}).")
  int threads = 1;

  @Option(
      names = "--cache",
      paramLabel = "DIR",
      description = "Feature cache (default: ${DEFAULT-VALUE}).")
  Path cache = Path.of("/tmp/saim-probe-features");

  @Option(
      names = "--results",
      paramLabel = "DIR",
      description = "Where the report goes (default: ${DEFAULT-VALUE}).")
  Path results = Path.of("benchmarks", "results");

  @Option(
      names = "--report",
      paramLabel = "NAME",
      description =
          "Base name of the report: RESULTS/NAME.md and .json (default: ${DEFAULT-VALUE}).")
  String report = "fmnist-small-probe-features";

  @Option(
      names = "--title",
      paramLabel = "TEXT",
      description = "The report's title (default: ${DEFAULT-VALUE}).")
  String title = "Which frozen features beat the raw-pixel floor? fmnist-small, every block";

  @Option(
      names = "--note",
      paramLabel = "TEXT",
      description = "A note for the report (repeatable).")
  List<String> notes = new ArrayList<>();

  @Option(
      names = "--notes-file",
      paramLabel = "FILE",
      description = "Notes for the report, one per non-blank line.")
  @Nullable Path notesFile;

  /** One probed setting: block (1-based), pooling, and what the probe reached. */
  record Cell(
      String encoder,
      int layer,
      String pool,
      long seed,
      double top1,
      double top5,
      double seconds) {}

  @Override
  public Integer call() throws IOException {
    long start = System.nanoTime();
    // names that become file names are checked before hours of work, not after
    checkFileName("--report", report);
    for (String entry : encoders) {
      checkFileName("--encoders label", label(entry));
    }
    if (notesFile != null) {
      if (!Files.isRegularFile(notesFile)) {
        throw new IllegalArgumentException("--notes-file " + notesFile + ": no such file");
      }
      Files.readAllLines(notesFile, StandardCharsets.UTF_8).stream()
          .map(String::strip)
          .filter(l -> !l.isEmpty())
          .forEach(notes::add);
    }
    PrintWriter out = spec.commandLine().getOut();
    Plan plan = Plan.fmnistSmall();
    SaimLinearProbe.Spec base = plan.probe();
    ImageDataset train = FirstImages.of(Datasets.embeddedTrain(), plan.trainImages());
    ImageDataset test = IdxDataset.open(Reproduction.testImages(data));
    if (trainImages < 2 || trainImages >= train.size() - 1) {
      throw new IllegalArgumentException(
          "--train "
              + trainImages
              + " must leave validation images among the "
              + train.size()
              + " training images");
    }
    int[] yTrain = train.labels();
    int[] yTest = test.labels();
    int[] yFit = Arrays.copyOfRange(yTrain, 0, trainImages);
    int[] yVal = Arrays.copyOfRange(yTrain, trainImages, yTrain.length);
    int classes = 10;
    long gridSeed = probeSeeds.get(0);

    List<Cell> grid = new ArrayList<>();
    List<Cell> selected = new ArrayList<>();
    List<Cell> defaults = new ArrayList<>();
    List<Cell> concatenated =
        new ArrayList<>(); // every block's cls_mean side by side: validation, then tests
    List<Cell> pixelRows = new ArrayList<>();
    List<Cell> pixelTest = new ArrayList<>();
    {
      // the floor on the same split, for scale, and on the test set with each probe seed
      float[][] px = Reproduction.pixels(train);
      long t = System.nanoTime();
      SaimLinearProbe.Result r =
          settings(base, gridSeed)
              .fit(
                  Arrays.copyOfRange(px, 0, trainImages),
                  yFit,
                  Arrays.copyOfRange(px, trainImages, px.length),
                  yVal,
                  classes);
      pixelRows.add(
          new Cell(
              "pixels", 0, "pixels", gridSeed, r.top1(), r.top5(), (System.nanoTime() - t) / 1e9));
      out.printf(Locale.ROOT, "pixels: validation top-1 %.2f%n", r.top1());
      float[][] pxTest = Reproduction.pixels(test);
      for (long seed : probeSeeds) {
        t = System.nanoTime();
        r = settings(base, seed).fit(px, yTrain, pxTest, yTest, classes);
        pixelTest.add(
            new Cell(
                "pixels", 0, "pixels", seed, r.top1(), r.top5(), (System.nanoTime() - t) / 1e9));
        out.printf(Locale.ROOT, "pixels, probe seed %d: test top-1 %.2f%n", seed, r.top1());
      }
      out.flush();
    }
    for (String entry : encoders) {
      String name = label(entry);
      float[][][][] f =
          features(entry, plan.config(), train, test, out); // [train|test][block][image][2D]
      int depth = f[0].length;
      int width = plan.config().width();
      Cell best = null;
      for (int k = 1; k <= depth; k++) {
        for (int p = 0; p < POOLS.length; p++) {
          float[][] x = half(f[0][k - 1], p, width);
          long t = System.nanoTime();
          SaimLinearProbe.Result r =
              settings(base, gridSeed)
                  .fit(
                      Arrays.copyOfRange(x, 0, trainImages),
                      yFit,
                      Arrays.copyOfRange(x, trainImages, x.length),
                      yVal,
                      classes);
          Cell c =
              new Cell(
                  name, k, POOLS[p], gridSeed, r.top1(), r.top5(), (System.nanoTime() - t) / 1e9);
          grid.add(c);
          out.printf(
              Locale.ROOT,
              "%s block %d %s: validation top-1 %.2f (%.0f s)%n",
              name,
              k,
              POOLS[p],
              c.top1(),
              c.seconds());
          out.flush();
          // ties go to the earlier setting in the grid's order (shallower block; cls, mean,
          // cls_mean)
          if (best == null || c.top1() > best.top1()) {
            best = c;
          }
        }
      }
      if (best == null) {
        throw new IllegalArgumentException(entry + ": the encoder has no blocks to probe");
      }
      for (long seed : probeSeeds) {
        selected.add(
            testProbe(
                name,
                best.layer(),
                best.pool(),
                f,
                yTrain,
                yTest,
                classes,
                settings(base, seed),
                width,
                out));
        defaults.add(
            testProbe(
                name, depth, "cls", f, yTrain, yTest, classes, settings(base, seed), width, out));
      }
      // one setting fixed in advance, outside the grid's selection: the whole encoder's features
      float[][] allTrain = everyBlock(f[0]);
      float[][] allTest = everyBlock(f[1]);
      long t = System.nanoTime();
      SaimLinearProbe.Result v =
          settings(base, gridSeed)
              .fit(
                  Arrays.copyOfRange(allTrain, 0, trainImages),
                  yFit,
                  Arrays.copyOfRange(allTrain, trainImages, allTrain.length),
                  yVal,
                  classes);
      concatenated.add(
          new Cell(
              name, 0, "validation", gridSeed, v.top1(), v.top5(), (System.nanoTime() - t) / 1e9));
      out.printf(Locale.ROOT, "%s every block cls_mean: validation top-1 %.2f%n", name, v.top1());
      for (long seed : probeSeeds) {
        t = System.nanoTime();
        SaimLinearProbe.Result r =
            settings(base, seed).fit(allTrain, yTrain, allTest, yTest, classes);
        concatenated.add(
            new Cell(name, 0, "test", seed, r.top1(), r.top5(), (System.nanoTime() - t) / 1e9));
        out.printf(
            Locale.ROOT,
            "%s every block cls_mean, probe seed %d: test top-1 %.2f%n",
            name,
            seed,
            r.top1());
      }
      out.flush();
    }
    StringBuilder typed = new StringBuilder("java " + LayerProbe.class.getName());
    for (String a : spec.commandLine().getParseResult().originalArgs()) {
      // quoted as a shell would need it, so the line can be pasted
      typed
          .append(' ')
          .append(a.matches("[A-Za-z0-9_./,:=+-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
    }
    String command = typed.toString();
    Files.createDirectories(results);
    JsonObject json = new JsonObject();
    json.addProperty("command", command);
    json.addProperty("machine", Machine.describe());
    json.addProperty("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    json.addProperty("seconds", (System.nanoTime() - start) / 1e9);
    json.addProperty("fit_images", trainImages);
    json.addProperty("validation_images", train.size() - trainImages);
    json.addProperty("test_images", test.size());
    json.add("probe", Plan.probeJson(base));
    json.add("pixels_validation", GSON.toJsonTree(pixelRows));
    json.add("pixels_test", GSON.toJsonTree(pixelTest));
    json.add("grid", GSON.toJsonTree(grid));
    json.add("selected_test", GSON.toJsonTree(selected));
    json.add("last_block_cls_test", GSON.toJsonTree(defaults));
    json.add("every_block_cls_mean", GSON.toJsonTree(concatenated));
    JsonArray n = new JsonArray();
    notes.forEach(n::add);
    json.add("notes", n);
    String md =
        markdown(
            command, json, grid, selected, defaults, pixelRows.get(0), pixelTest, concatenated);
    AtomicFiles.write(
        results.resolve(report + ".json"),
        (GSON.toJson(json) + "\n").getBytes(StandardCharsets.UTF_8));
    AtomicFiles.write(results.resolve(report + ".md"), md.getBytes(StandardCharsets.UTF_8));
    out.print(md);
    out.flush();
    return 0;
  }

  private static SaimLinearProbe settings(SaimLinearProbe.Spec s, long seed) {
    return Plan.probe(s, seed);
  }

  private static Cell testProbe(
      String name,
      int layer,
      String pool,
      float[][][][] f,
      int[] yTrain,
      int[] yTest,
      int classes,
      SaimLinearProbe s,
      int width,
      PrintWriter out) {
    int p = Arrays.asList(POOLS).indexOf(pool);
    long t = System.nanoTime();
    SaimLinearProbe.Result r =
        s.fit(
            half(f[0][layer - 1], p, width),
            yTrain,
            half(f[1][layer - 1], p, width),
            yTest,
            classes);
    Cell c =
        new Cell(
            name, layer, pool, s.spec().seed(), r.top1(), r.top5(), (System.nanoTime() - t) / 1e9);
    out.printf(
        Locale.ROOT,
        "%s block %d %s, probe seed %d: test top-1 %.2f top-5 %.2f%n",
        name,
        layer,
        pool,
        s.spec().seed(),
        c.top1(),
        c.top5());
    out.flush();
    return c;
  }

  /** The class-token (0) or mean (1) half of {@code CLS_MEAN} rows, or (2) the rows themselves. */
  private static float[][] half(float[][] rows, int which, int width) {
    if (which == 2) {
      return rows;
    }
    float[][] out = new float[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      out[i] = Arrays.copyOfRange(rows[i], which * width, (which + 1) * width);
    }
    return out;
  }

  /**
   * {@code [train|test][block - 1][image][cls ; mean]}, from the cache when it was computed from
   * the same inputs.
   */
  private float[][][][] features(
      String name, SaimConfig config, ImageDataset train, ImageDataset test, PrintWriter out)
      throws IOException {
    long seed = 0;
    Path weights;
    int eq = name.indexOf('=');
    if (eq >= 0) {
      weights = Path.of(name.substring(eq + 1));
      name = label(name);
    } else {
      int dash = name.lastIndexOf("-seed");
      if (dash <= 0) {
        throw new IllegalArgumentException(
            "--encoders: '" + name + "' is not <variant>-seed<S> or LABEL=FILE");
      }
      try {
        seed = Long.parseLong(name.substring(dash + 5));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "--encoders: '" + name + "' is not <variant>-seed<S> or LABEL=FILE");
      }
      weights =
          name.startsWith("random-")
              ? null
              : run.resolve("pretrain").resolve(name).resolve("final.safetensors");
    }
    if (weights != null && !Files.isRegularFile(weights)) {
      throw new IllegalArgumentException(weights + ": no such checkpoint (encoder " + name + ")");
    }
    String key =
        weights == null
            ? "random init " + config + " seed " + seed
            : weights
                + " ("
                + Files.size(weights)
                + " bytes, modified "
                + Files.getLastModifiedTime(weights)
                + ")";
    key += "; train " + train.size() + ", test " + test.size() + "; cls_mean every block";
    Path file = cache.resolve(name + ".safetensors");
    int depth = config.depth();
    if (Files.isRegularFile(file)) {
      SafeTensors.Contents c = SafeTensors.read(file);
      if (key.equals(c.metadata().get("key"))) {
        out.printf(Locale.ROOT, "%s: features from %s%n", name, file);
        float[][][][] f = new float[2][depth][][];
        for (int k = 0; k < depth; k++) {
          f[0][k] = Reproduction.rows(c.require("train." + (k + 1)));
          f[1][k] = Reproduction.rows(c.require("test." + (k + 1)));
        }
        return f;
      }
      out.printf(Locale.ROOT, "%s: %s was computed from other inputs; recomputing%n", name, file);
    }
    out.printf(
        Locale.ROOT,
        "%s: extracting every block's features of %,d + %,d images%n",
        name,
        train.size(),
        test.size());
    out.flush();
    long t = System.nanoTime();
    float[][][][] f = new float[2][][][];
    try (SaimEncoder encoder =
        SaimEncoder.builder()
            .checkpoint(weights)
            .config(weights == null ? config : null)
            .seed(seed)
            .pooling(SaimEncoder.Pooling.CLS_MEAN)
            .batchSize(250)
            .threads(threads)
            .build()) {
      if (!encoder.config().equals(config)) {
        throw new IllegalArgumentException(
            weights + " is not an fmnist-small encoder: " + encoder.config());
      }
      f[0] = encoder.embedEveryLayer(train.rawImages());
      f[1] = encoder.embedEveryLayer(test.rawImages());
    }
    out.printf(Locale.ROOT, "%s: features in %.0f s%n", name, (System.nanoTime() - t) / 1e9);
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    for (int k = 0; k < depth; k++) {
      tensors.put("train." + (k + 1), Reproduction.matrix(f[0][k]));
      tensors.put("test." + (k + 1), Reproduction.matrix(f[1][k]));
    }
    Files.createDirectories(cache);
    SafeTensors.write(file, tensors, Map.of("key", key));
    return f;
  }

  private String markdown(
      String command,
      JsonObject json,
      List<Cell> grid,
      List<Cell> selected,
      List<Cell> defaults,
      Cell pixels,
      List<Cell> pixelTest,
      List<Cell> concatenated) {
    StringBuilder b = new StringBuilder();
    b.append("# ").append(title).append("\n\n");
    b.append("Generated by `").append(command).append("`.\n\n");
    b.append("- machine: ").append(json.get("machine").getAsString()).append('\n');
    b.append("- date: ")
        .append(json.get("date").getAsString())
        .append(
            String.format(
                Locale.ROOT,
                "; wall time %.0f s (features from the cache when present)%n",
                json.get("seconds").getAsDouble()));
    b.append(
        String.format(
            Locale.ROOT,
            "- selection: probe trained on training images 0..%d, validated on %d..%d (the embedded"
                + " first 10k); the best (block, pooling) by validation top-1 per encoder, ties to"
                + " the shallower block and then in the order cls, mean, cls_mean; then trained on"
                + " all 10k and tested once on the %,d test images%n",
            (int) json.get("fit_images").getAsDouble() - 1,
            (int) json.get("fit_images").getAsDouble(),
            (int)
                    (json.get("fit_images").getAsDouble()
                        + json.get("validation_images").getAsDouble())
                - 1,
            (int) json.get("test_images").getAsDouble()));
    b.append(
            "- probe: the table's (BatchNorm without affine, linear head, LARS, 90 epochs, batch"
                + " 256, blr 6.4, no weight decay, no warm-up); the grid uses probe seed ")
        .append(grid.isEmpty() ? "-" : grid.get(0).seed())
        .append('\n');
    b.append(
        "- features of block k: the encoder cut after block k; `cls` = class token through the"
            + " final LayerNorm, `mean` = mean of the patch tokens through a LayerNorm without"
            + " affine (the checkpoints have no fc_norm), `cls_mean` = both concatenated (256"
            + " values); block 6 `cls` is the table's feature\n\n");
    b.append(
        String.format(
            Locale.ROOT,
            "## Validation top-1 (%%), probe on %,d, validated on %,d%n%n",
            (int) json.get("fit_images").getAsDouble(),
            (int) json.get("validation_images").getAsDouble()));
    b.append(
        String.format(
            Locale.ROOT,
            "Raw pixels on the same split: %.2f%%. The best of each encoder in bold.%n%n",
            pixels.top1()));
    int depth = grid.stream().mapToInt(Cell::layer).max().orElse(0);
    b.append("| encoder | pooling |");
    for (int k = 1; k <= depth; k++) {
      b.append(" block ").append(k).append(" |");
    }
    b.append('\n').append("|---|---|").append("---|".repeat(depth)).append('\n');
    for (String name : labels()) {
      double best =
          grid.stream()
              .filter(c -> c.encoder().equals(name))
              .mapToDouble(Cell::top1)
              .max()
              .orElse(0);
      for (String pool : POOLS) {
        b.append("| ").append(name).append(" | ").append(pool).append(" |");
        for (Cell c : grid) {
          if (c.encoder().equals(name) && c.pool().equals(pool)) {
            String v = String.format(Locale.ROOT, "%.2f", c.top1());
            b.append(' ').append(c.top1() == best ? "**" + v + "**" : v).append(" |");
          }
        }
        b.append('\n');
      }
    }
    b.append(
        "\n## Test top-1 (%), probe trained on all 10,000 training images, 10,000 test images\n\n");
    b.append(
        "The raw-pixel floor is the same probe on the 784 pixel values / 255, measured in this run"
            + " with the same probe seed (the table: 81.96 +- 0.04 over probe seeds 0 and 1).\n\n");
    b.append(
        "| encoder | selected setting | probe seed | selected: test top-1 | selected: test top-5 |"
            + " block 6 cls (the table's feature): test top-1 | raw pixels: test top-1 | selected"
            + " minus raw pixels |\n");
    b.append("|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < selected.size(); i++) {
      Cell s = selected.get(i);
      Cell d = defaults.get(i);
      Cell px = pixelTest.get(i % pixelTest.size());
      b.append(
          String.format(
              Locale.ROOT,
              "| %s | block %d %s | %d | %.2f | %.2f | %.2f | %.2f | %+.2f |%n",
              s.encoder(),
              s.layer(),
              s.pool(),
              s.seed(),
              s.top1(),
              s.top5(),
              d.top1(),
              px.top1(),
              s.top1() - px.top1()));
    }
    b.append("\n## Beyond the grid: every block's cls_mean concatenated\n\n");
    b.append(
        String.format(
            Locale.ROOT,
            "One setting fixed before measuring and not part of the selection above: the "
                + "%d blocks' cls_mean features side by side (%d values), the same probe.%n%n",
            depth,
            depth * 256));
    b.append("| encoder | validation top-1 (probe seed ")
        .append(grid.isEmpty() ? "-" : grid.get(0).seed())
        .append(
            ") | probe seed | test top-1 | test top-5 | raw pixels: test top-1 |\n"
                + "|---|---|---|---|---|---|\n");
    for (String name : labels()) {
      Cell val =
          concatenated.stream()
              .filter(c -> c.encoder().equals(name) && c.pool().equals("validation"))
              .findFirst()
              .orElseThrow();
      int i = 0;
      for (Cell c : concatenated) {
        if (c.encoder().equals(name) && c.pool().equals("test")) {
          b.append(
              String.format(
                  Locale.ROOT,
                  "| %s | %.2f | %d | %.2f | %.2f | %.2f |%n",
                  name,
                  val.top1(),
                  c.seed(),
                  c.top1(),
                  c.top5(),
                  pixelTest.get(i++ % pixelTest.size()).top1()));
        }
      }
    }
    b.append("\n## What the numbers say\n\n");
    double floor = pixelTest.stream().mapToDouble(Cell::top1).average().orElse(Double.NaN);
    Map<String, double[]> means =
        new LinkedHashMap<>(); // encoder -> {selected, block-6 cls, every block} means
    for (String name : labels()) {
      means.put(
          name,
          new double[] {
            selected.stream()
                .filter(c -> c.encoder().equals(name))
                .mapToDouble(Cell::top1)
                .average()
                .orElse(Double.NaN),
            defaults.stream()
                .filter(c -> c.encoder().equals(name))
                .mapToDouble(Cell::top1)
                .average()
                .orElse(Double.NaN),
            concatenated.stream()
                .filter(c -> c.encoder().equals(name) && c.pool().equals("test"))
                .mapToDouble(Cell::top1)
                .average()
                .orElse(Double.NaN)
          });
    }
    String seeds =
        pixelTest.size() == 1
            ? "probe seed " + pixelTest.get(0).seed()
            : "means over probe seeds "
                + pixelTest.stream().map(c -> String.valueOf(c.seed())).toList();
    b.append(String.format(Locale.ROOT, "Test top-1, %s; raw pixels %.2f%%:%n%n", seeds, floor));
    for (Map.Entry<String, double[]> e : means.entrySet()) {
      Cell sel =
          selected.stream().filter(c -> c.encoder().equals(e.getKey())).findFirst().orElseThrow();
      b.append(
          String.format(
              Locale.ROOT,
              "- %s: selected block %d %s %.2f%% (%s the floor by %.2f points); "
                  + "block 6 cls %.2f%% (selection %+.2f points)%n",
              e.getKey(),
              sel.layer(),
              sel.pool(),
              e.getValue()[0],
              e.getValue()[0] > floor ? "above" : "below",
              Math.abs(e.getValue()[0] - floor),
              e.getValue()[1],
              e.getValue()[0] - e.getValue()[1]));
    }
    for (String name : labels()) {
      double m = Objects.requireNonNull(means.get(name), name)[2]; // one entry per label
      b.append(
          String.format(
              Locale.ROOT,
              "- %s, every block concatenated: %.2f%% (%s the floor by %.2f points)%n",
              name,
              m,
              m > floor ? "above" : "below",
              Math.abs(m - floor)));
    }
    b.append("- ranking with the selected features: ")
        .append(ranking(means, 0))
        .append("; with block 6 cls: ")
        .append(ranking(means, 1))
        .append("; with every block concatenated: ")
        .append(ranking(means, 2))
        .append('\n');
    if (!notes.isEmpty()) {
      b.append("\n## Notes\n\n");
      notes.forEach(n -> b.append("- ").append(n).append('\n'));
    }
    return b.toString();
  }

  /** The encoder's name in the report: the part before '=' of LABEL=FILE, else the entry itself. */
  private static String label(String entry) {
    int eq = entry.indexOf('=');
    return eq >= 0 ? entry.substring(0, eq) : entry;
  }

  private static void checkFileName(String what, String value) {
    if (!value.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException(
          what + " '" + value + "': use letters, digits, '.', '_' and '-' only");
    }
  }

  private List<String> labels() {
    return encoders.stream().map(LayerProbe::label).toList();
  }

  /** Each image's features of every block side by side. */
  private static float[][] everyBlock(float[][][] perBlock) {
    int n = perBlock[0].length;
    int d = perBlock[0][0].length;
    float[][] out = new float[n][perBlock.length * d];
    for (int k = 0; k < perBlock.length; k++) {
      for (int i = 0; i < n; i++) {
        System.arraycopy(perBlock[k][i], 0, out[i], k * d, d);
      }
    }
    return out;
  }

  private static String ranking(Map<String, double[]> means, int column) {
    List<Map.Entry<String, double[]>> order = new ArrayList<>(means.entrySet());
    order.sort((x, y) -> Double.compare(y.getValue()[column], x.getValue()[column]));
    StringBuilder b = new StringBuilder();
    for (Map.Entry<String, double[]> e : order) {
      b.append(b.length() == 0 ? "" : " > ")
          .append(String.format(Locale.ROOT, "%s (%.2f)", e.getKey(), e.getValue()[column]));
    }
    return b.toString();
  }

  /** Runs the program; user errors print one line and exit with 2. */
  public static void main(String[] args) {
    CommandLine cl = new CommandLine(new LayerProbe());
    cl.setExecutionExceptionHandler(
        (ex, c, pr) -> {
          Throwable e = ex instanceof UncheckedIOException u ? u.getCause() : ex;
          if (e instanceof NoSuchFileException nf) {
            c.getErr().println("probe-layers: error: no such file: " + nf.getFile());
            return 2;
          }
          if (e instanceof IllegalArgumentException || e instanceof IOException) {
            c.getErr().println("probe-layers: error: " + e.getMessage());
            return 2;
          }
          throw ex;
        });
    System.exit(cl.execute(args));
  }
}
