package io.github.saimjava.benchmarks.reproduce;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.github.saimjava.io.AtomicFiles;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Issue #18's table as a product: random init, raster and stochastic order at the short
 * (fmnist-small) and the long (fmnist-long) pre-training budget, linear probe and fine-tune, in one
 * Markdown table with mean ± sd over pre-training seeds and the standard error of a test top-1 next
 * to every gap, plus a PNG of probe accuracy against pre-training epochs for both orders.
 *
 * <p>It only reads results: the reproduction's JSON ({@code fmnist-small.json}: linear probe and
 * the short fine-tune per variant and seed), LayerProbe's JSONs of the long runs ({@code
 * fmnist-long*.json}: encoders {@code <order>60k[-seed<S>]-ep<E>}, seed 0 when the label has none)
 * and {@code finetune-result.json} of {@code benchmarks/fmnist-finetune.sh}. An encoder's figure is
 * the mean over the probe seeds it was tested with; the table's mean ± sd is over pre-training
 * seeds. The long budget is the largest epoch any long run reached; a run that has not reached it
 * is listed as unfinished and left out of the table (its earlier epochs still appear in the plot).
 */
@Command(
    name = "order-table",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Writes OUTPUT.md (random init, raster and stochastic order at both budgets, linear probe"
          + " and",
      "fine-tune, mean ± sd over seeds, the standard error of a test top-1 next to each gap) and"
          + " OUTPUT.png",
      "(probe top-1 against pre-training epochs for both orders) from the results' JSON files."
    })
public final class OrderTable implements Callable<Integer> {
  @Option(
      names = "--small",
      paramLabel = "JSON",
      description = "The reproduction's results at the short budget (fmnist-small.json).")
  @Nullable Path small;

  @Option(
      names = "--long",
      paramLabel = "JSON",
      split = ",",
      description =
          "LayerProbe results of long runs (fmnist-long*.json), comma-separated or repeated.")
  List<Path> longReports = new ArrayList<>();

  @Option(
      names = "--finetune",
      paramLabel = "JSON",
      split = ",",
      description =
          "finetune-result.json files of fmnist-finetune.sh, comma-separated or repeated.")
  List<Path> fineTunes = new ArrayList<>();

  @Option(
      names = "--output",
      paramLabel = "BASE",
      required = true,
      description = "Writes BASE.md and BASE.png (e.g. benchmarks/results/fmnist-orders).")
  Path output;

  /** The three kinds of encoder compared, in table order. */
  enum Kind {
    RANDOM("random init"),
    RASTER("raster"),
    STOCHASTIC("stochastic");

    final String title;

    Kind(String title) {
      this.title = title;
    }
  }

  /** The readouts of the long budget, as LayerProbe names its result lists. */
  enum Readout {
    LAST_BLOCK_CLS("last_block_cls_test", "block 6 class token"),
    SELECTED("selected_test", "readout selected on validation"),
    EVERY_BLOCK("every_block_cls_mean", "every block concatenated");

    final String key;
    final String title;

    Readout(String key, String title) {
      this.key = key;
      this.title = title;
    }
  }

  /** Values per pre-training seed (each the mean over the probe seeds it was tested with). */
  static final class Seeds {
    final TreeMap<Long, Double> bySeed = new TreeMap<>();

    void put(long seed, double v) {
      bySeed.putIfAbsent(seed, v);
    }

    int n() {
      return bySeed.size();
    }

    double mean() {
      return bySeed.values().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** Sample standard deviation (n - 1); NaN for fewer than two seeds. */
    double sd() {
      if (n() < 2) {
        return Double.NaN;
      }
      double m = mean();
      double s = 0;
      for (double v : bySeed.values()) {
        s += (v - m) * (v - m);
      }
      return Math.sqrt(s / (n() - 1));
    }
  }

  /** Everything read, keyed for the table. */
  static final class Results {
    /** Short budget: linear probe and fine-tune per kind; the floor. */
    final Map<Kind, Seeds> smallProbe = new LinkedHashMap<>();

    final Map<Kind, Seeds> smallFineTune = new LinkedHashMap<>();
    int smallFineTuneEpochs;
    final Seeds pixels = new Seeds();

    /** Long budget: per kind and readout, per (seed, epoch) the probe seeds' mean. */
    final Map<Kind, Map<Readout, Map<Long, TreeMap<Integer, Double>>>> longProbe =
        new LinkedHashMap<>();

    /** Random init in the long reports, per readout (it has no epochs). */
    final Map<Readout, Seeds> longRandom = new LinkedHashMap<>();

    final Map<Kind, Seeds> longFineTune = new LinkedHashMap<>();
    final List<JsonObject> fineTuneRuns = new ArrayList<>();
    int testImages = 10_000;
    final List<String> sources = new ArrayList<>();
  }

  private static final Pattern LONG_ENCODER =
      Pattern.compile("(raster|stochastic)60k(?:-seed(\\d+))?-ep(\\d+)");
  private static final Pattern RANDOM_ENCODER = Pattern.compile("random-seed(\\d+)");

  @Override
  public Integer call() throws IOException {
    if (small == null && longReports.isEmpty() && fineTunes.isEmpty()) {
      throw new IllegalArgumentException("nothing to tabulate: give --small, --long or --finetune");
    }
    Results r = new Results();
    if (small != null) {
      readSmall(small, r);
    }
    for (Path p : longReports) {
      readLong(p, r);
    }
    for (Path p : fineTunes) {
      readFineTune(p, r);
    }
    String md = markdown(r, output.getFileName() + ".png");
    Path parent = output.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    BufferedImage png = plot(r);
    AtomicFiles.write(output.resolveSibling(output.getFileName() + ".png"), LineChart.png(png));
    if (!r.fineTuneRuns.isEmpty()) {
      AtomicFiles.write(
          output.resolveSibling(output.getFileName() + FINETUNE_PNG_SUFFIX),
          LineChart.png(fineTunePlot(r)));
    }
    AtomicFiles.write(
        output.resolveSibling(output.getFileName() + ".md"), md.getBytes(StandardCharsets.UTF_8));
    System.out.println(
        "wrote "
            + output
            + ".md and "
            + output
            + ".png"
            + (r.fineTuneRuns.isEmpty() ? "" : " and " + output + FINETUNE_PNG_SUFFIX));
    return 0;
  }

  // ---- reading ----

  static JsonObject readJson(Path file) throws IOException {
    try {
      JsonElement e = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
      if (!e.isJsonObject()) {
        throw new IllegalArgumentException(file + ": not a JSON object");
      }
      return e.getAsJsonObject();
    } catch (JsonParseException e) {
      throw new IllegalArgumentException(file + ": not JSON: " + e.getMessage());
    }
  }

  private static JsonArray array(JsonObject o, String key, Path file) {
    JsonElement e = o.get(key);
    if (e == null || !e.isJsonArray()) {
      throw new IllegalArgumentException(file + ": '" + key + "' missing or not a list");
    }
    return e.getAsJsonArray();
  }

  private static JsonObject object(JsonElement e, String where, Path file) {
    if (e == null || !e.isJsonObject()) {
      throw new IllegalArgumentException(file + ": " + where + " missing or not an object");
    }
    return e.getAsJsonObject();
  }

  private static double number(JsonObject o, String key, String where, Path file) {
    JsonElement e = o.get(key);
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      throw new IllegalArgumentException(
          file + ": " + where + ": '" + key + "' missing or not a number");
    }
    double v = e.getAsDouble();
    if (!Double.isFinite(v)) {
      throw new IllegalArgumentException(file + ": " + where + ": '" + key + "' is not finite");
    }
    return v;
  }

  private static String string(JsonObject o, String key, String where, Path file) {
    JsonElement e = o.get(key);
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
      throw new IllegalArgumentException(
          file + ": " + where + ": '" + key + "' missing or not a string");
    }
    return e.getAsString();
  }

  private static @Nullable Kind kind(String variant) {
    return switch (variant) {
      case "random" -> Kind.RANDOM;
      case "raster" -> Kind.RASTER;
      case "stochastic" -> Kind.STOCHASTIC;
      default -> null; // the reproduction's ablations are not part of this table
    };
  }

  static void readSmall(Path file, Results r) throws IOException {
    JsonObject o = readJson(file);
    JsonArray pixels = array(o, "pixels", file);
    for (int i = 0; i < pixels.size(); i++) {
      JsonObject p = object(pixels.get(i), "pixels[" + i + "]", file);
      String where = "pixels[" + i + "]";
      r.pixels.put((long) number(p, "seed", where, file), number(p, "top1", where, file));
    }
    JsonArray enc = array(o, "encoders", file);
    for (int i = 0; i < enc.size(); i++) {
      String where = "encoders[" + i + "]";
      JsonObject e = object(enc.get(i), where, file);
      Kind k = kind(string(e, "variant", where, file));
      if (k == null) {
        continue;
      }
      long seed = (long) number(e, "seed", where, file);
      JsonElement probe = e.get("linear_probe");
      if (probe != null && !probe.isJsonNull()) {
        r.smallProbe
            .computeIfAbsent(k, x -> new Seeds())
            .put(seed, number(object(probe, where, file), "top1", where + ".linear_probe", file));
      }
      JsonElement ft = e.get("fine_tune");
      if (ft != null && !ft.isJsonNull()) {
        JsonObject f = object(ft, where + ".fine_tune", file);
        r.smallFineTune
            .computeIfAbsent(k, x -> new Seeds())
            .put(seed, number(f, "top1", where + ".fine_tune", file));
        r.smallFineTuneEpochs = (int) number(f, "epochs", where + ".fine_tune", file);
      }
    }
    r.sources.add(describeSource(file, o));
  }

  static void readLong(Path file, Results r) throws IOException {
    JsonObject o = readJson(file);
    if (o.has("test_images")) {
      r.testImages = (int) number(o, "test_images", "top level", file);
    }
    for (Readout readout : Readout.values()) {
      JsonArray a = array(o, readout.key, file);
      // mean over probe seeds per encoder
      Map<String, double[]> sums = new LinkedHashMap<>();
      for (int i = 0; i < a.size(); i++) {
        String where = readout.key + "[" + i + "]";
        JsonObject e = object(a.get(i), where, file);
        if (readout == Readout.EVERY_BLOCK && !"test".equals(string(e, "pool", where, file))) {
          continue; // its validation line is not a test figure
        }
        double[] s = sums.computeIfAbsent(string(e, "encoder", where, file), x -> new double[2]);
        s[0] += number(e, "top1", where, file);
        s[1]++;
      }
      for (Map.Entry<String, double[]> en : sums.entrySet()) {
        double v = en.getValue()[0] / en.getValue()[1];
        Matcher m = LONG_ENCODER.matcher(en.getKey());
        Matcher rnd = RANDOM_ENCODER.matcher(en.getKey());
        if (m.matches()) {
          Kind k = m.group(1).equals("raster") ? Kind.RASTER : Kind.STOCHASTIC;
          long seed = m.group(2) == null ? 0 : Long.parseLong(m.group(2));
          r.longProbe
              .computeIfAbsent(k, x -> new LinkedHashMap<>())
              .computeIfAbsent(readout, x -> new TreeMap<>())
              .computeIfAbsent(seed, x -> new TreeMap<>())
              .putIfAbsent(Integer.parseInt(m.group(3)), v);
        } else if (rnd.matches()) {
          r.longRandom
              .computeIfAbsent(readout, x -> new Seeds())
              .put(Long.parseLong(rnd.group(1)), v);
        }
        // <order>-seed<S> are the short budget's encoders, read from the reproduction's JSON
      }
    }
    JsonArray px = array(o, "pixels_test", file);
    for (int i = 0; i < px.size(); i++) {
      JsonObject p = object(px.get(i), "pixels_test[" + i + "]", file);
      r.pixels.put(
          (long) number(p, "seed", "pixels_test", file), number(p, "top1", "pixels_test", file));
    }
    r.sources.add(describeSource(file, o));
  }

  static void readFineTune(Path file, Results r) throws IOException {
    JsonObject o = readJson(file);
    String label = string(o, "label", "top level", file);
    Kind k =
        label.startsWith("random")
            ? Kind.RANDOM
            : label.startsWith("raster")
                ? Kind.RASTER
                : label.startsWith("stochastic") ? Kind.STOCHASTIC : null;
    if (k == null) {
      throw new IllegalArgumentException(
          file + ": label '" + label + "' does not start with random, raster or stochastic");
    }
    long seed = (long) number(o, "seed", "top level", file);
    r.longFineTune
        .computeIfAbsent(k, x -> new Seeds())
        .put(seed, number(o, "test_top1", "top level", file));
    JsonArray curve = array(o, "curve", file);
    if (curve.isEmpty()) {
      throw new IllegalArgumentException(file + ": 'curve' is empty");
    }
    for (int i = 0; i < curve.size(); i++) {
      number(object(curve.get(i), "curve[" + i + "]", file), "test_top1", "curve[" + i + "]", file);
    }
    number(o, "blr", "top level", file);
    number(o, "epochs", "top level", file);
    r.fineTuneRuns.add(o);
    r.sources.add(file + " (" + label + ", seed " + seed + ")");
  }

  private static String describeSource(Path file, JsonObject o) {
    JsonElement date = o.get("date");
    JsonElement machine = o.get("machine");
    return file
        + (date != null && date.isJsonPrimitive() ? ", " + date.getAsString() : "")
        + (machine != null && machine.isJsonPrimitive() ? ", " + machine.getAsString() : "");
  }

  // ---- the table ----

  /** The long budget: the largest epoch any long run reached (0 when there is none). */
  static int longBudget(Results r) {
    int max = 0;
    for (var byReadout : r.longProbe.values()) {
      for (var bySeed : byReadout.values()) {
        for (var byEpoch : bySeed.values()) {
          max = Math.max(max, byEpoch.lastKey());
        }
      }
    }
    return max;
  }

  /** The long budget's figures of {@code k}: seeds whose run reached {@code epoch}. */
  static Seeds longAt(Results r, Kind k, Readout readout, int epoch) {
    Seeds s = new Seeds();
    if (k == Kind.RANDOM) {
      Seeds rnd = r.longRandom.get(readout);
      return rnd == null ? s : rnd;
    }
    var bySeed = r.longProbe.getOrDefault(k, Map.of()).getOrDefault(readout, new TreeMap<>());
    for (var e : bySeed.entrySet()) {
      Double v = e.getValue().get(epoch);
      if (v != null) {
        s.put(e.getKey(), v);
      }
    }
    return s;
  }

  static String cell(@Nullable Seeds s) {
    if (s == null || s.n() == 0) {
      return "—";
    }
    if (s.n() == 1) {
      return String.format(Locale.ROOT, "%.2f (1 seed)", s.mean());
    }
    return String.format(Locale.ROOT, "%.2f ± %.2f (%d seeds)", s.mean(), s.sd(), s.n());
  }

  /** Standard error, in points, of a top-1 of {@code percent} on {@code n} test images. */
  static double standardError(double percent, int n) {
    double p = percent / 100;
    return 100 * Math.sqrt(p * (1 - p) / n);
  }

  static String gap(@Nullable Seeds a, @Nullable Seeds b, int testImages) {
    if (a == null || b == null || a.n() == 0 || b.n() == 0) {
      return "—";
    }
    double d = a.mean() - b.mean();
    return String.format(
        Locale.ROOT, "%+.2f (SE %.2f)", d, standardError((a.mean() + b.mean()) / 2, testImages));
  }

  static String markdown(Results r, String pngName) {
    int budget = longBudget(r);
    List<String> headers = new ArrayList<>();
    List<Map<Kind, Seeds>> columns = new ArrayList<>();
    headers.add("short budget: linear probe (block 6 class token)");
    columns.add(r.smallProbe);
    headers.add(
        "short budget: fine-tune ("
            + (r.smallFineTuneEpochs == 1
                ? "1 epoch"
                : r.smallFineTuneEpochs > 0 ? r.smallFineTuneEpochs + " epochs" : "none")
            + ")");
    columns.add(r.smallFineTune);
    for (Readout readout : Readout.values()) {
      headers.add("long budget: linear probe, " + readout.title);
      Map<Kind, Seeds> col = new LinkedHashMap<>();
      for (Kind k : Kind.values()) {
        col.put(k, longAt(r, k, readout, budget));
      }
      columns.add(col);
    }
    headers.add("long budget: fine-tune (converged)");
    columns.add(r.longFineTune);

    StringBuilder md = new StringBuilder();
    md.append("# Stochastic against raster order, at two pre-training budgets\n\n");
    md.append(
        String.format(
            Locale.ROOT,
            "Top-1 (%%) on the %,d Fashion-MNIST test images: mean ± sd over pre-training seeds"
                + " (each seed's figure the mean over its probe seeds). Short budget: the"
                + " fmnist-small reproduction (8 epochs on 10,000 images). Long budget: %s."
                + " A gap is the difference of the means; SE is the standard error of one top-1"
                + " on %,d test images at the gap's level, the noise of a single test evaluation;"
                + " the sd over seeds is the other noise, and a gap smaller than either is not"
                + " a difference.\n\n",
            r.testImages,
            budget > 0
                ? budget + " epochs on 60,000 images (fmnist-long.sh)"
                : "no long run finished yet",
            r.testImages));
    md.append("| encoder |");
    StringBuilder rule = new StringBuilder("|---|");
    for (String h : headers) {
      md.append(' ').append(h).append(" |");
      rule.append("---|");
    }
    md.append('\n').append(rule).append('\n');
    md.append("| raw pixels (the floor) |");
    for (int c = 0; c < headers.size(); c++) {
      boolean probe = headers.get(c).contains("linear probe");
      md.append(' ').append(probe && r.pixels.n() > 0 ? cell(r.pixels) : "—").append(" |");
    }
    md.append('\n');
    for (Kind k : Kind.values()) {
      md.append("| ").append(k.title).append(" |");
      for (Map<Kind, Seeds> col : columns) {
        md.append(' ').append(cell(col.get(k))).append(" |");
      }
      md.append('\n');
    }
    md.append("| stochastic − raster |");
    for (Map<Kind, Seeds> col : columns) {
      md.append(' ')
          .append(gap(col.get(Kind.STOCHASTIC), col.get(Kind.RASTER), r.testImages))
          .append(" |");
    }
    md.append('\n');
    md.append("| stochastic − random init |");
    for (Map<Kind, Seeds> col : columns) {
      md.append(' ')
          .append(gap(col.get(Kind.STOCHASTIC), col.get(Kind.RANDOM), r.testImages))
          .append(" |");
    }
    md.append("\n\n");
    md.append("![probe top-1 against pre-training epochs](").append(pngName).append(")\n\n");
    List<String> unfinished = unfinished(r, budget);
    if (!unfinished.isEmpty()) {
      md.append("Long runs that have not reached epoch ")
          .append(budget)
          .append(" (in the plot, not in the table): ")
          .append(String.join(", ", unfinished))
          .append(".\n\n");
    }
    if (!r.fineTuneRuns.isEmpty()) {
      md.append("## Fine-tuning runs\n\n");
      md.append(
          "The blr chosen by the final-epoch top-1 on the validation split of the training images"
              + " (never the test set), or reused from another seed's sweep of the same encoder"
              + " kind; top-1 after the last epoch (not the best epoch, which"
              + " would be chosen on the test set); the gain over the last quarter of the epochs"
              + " says whether the curve had flattened.\n\n");
      md.append(
          "| encoder | seed | sweep: blr → validation top-1 | blr | epochs | precision | test"
              + " top-1, last epoch | gain over the last quarter | time (s) |\n");
      md.append("|---|---|---|---|---|---|---|---|---|\n");
      for (JsonObject o : r.fineTuneRuns) {
        md.append(fineTuneRow(o)).append('\n');
      }
      md.append('\n');
      md.append("![fine-tuning test top-1 against epochs](")
          .append(pngName.replaceFirst("\\.png$", FINETUNE_PNG_SUFFIX))
          .append(")\n\n");
    }
    md.append("## Sources\n\n");
    for (String s : r.sources) {
      md.append("- ").append(s).append('\n');
    }
    return md.toString();
  }

  private static List<String> unfinished(Results r, int budget) {
    List<String> out = new ArrayList<>();
    for (var k : r.longProbe.entrySet()) {
      var bySeed = k.getValue().get(Readout.LAST_BLOCK_CLS);
      if (bySeed == null) {
        continue;
      }
      for (var s : bySeed.entrySet()) {
        if (!s.getValue().containsKey(budget)) {
          out.add(
              k.getKey().title + " seed " + s.getKey() + " (epoch " + s.getValue().lastKey() + ")");
        }
      }
    }
    return out;
  }

  private static String fineTuneRow(JsonObject o) {
    StringBuilder sweep = new StringBuilder();
    JsonElement sw = o.get("sweep");
    if (sw != null && sw.isJsonObject() && sw.getAsJsonObject().has("runs")) {
      for (JsonElement e : sw.getAsJsonObject().getAsJsonArray("runs")) {
        JsonObject run = e.getAsJsonObject();
        if (sweep.length() > 0) {
          sweep.append(", ");
        }
        sweep.append(
            String.format(
                Locale.ROOT,
                "%s → %.2f",
                run.get("blr").getAsBigDecimal().toPlainString(),
                run.get("val_top1").getAsDouble()));
      }
    }
    if (sweep.length() == 0 && sw != null && sw.isJsonObject()) {
      JsonElement from = sw.getAsJsonObject().get("blr_from");
      if (from != null && from.isJsonPrimitive()) {
        sweep.append("none: the blr of ").append(from.getAsString()).append("'s sweep");
      }
    }
    JsonArray curve = o.getAsJsonArray("curve");
    int n = curve.size();
    double last = curve.get(n - 1).getAsJsonObject().get("test_top1").getAsDouble();
    int from = Math.max(0, n - 1 - Math.max(1, n / 4));
    double gain = last - curve.get(from).getAsJsonObject().get("test_top1").getAsDouble();
    double seconds = 0;
    for (JsonElement e : curve) {
      JsonElement t = e.getAsJsonObject().get("time_s");
      seconds += t == null || !t.isJsonPrimitive() ? 0 : t.getAsDouble();
    }
    return String.format(
        Locale.ROOT,
        "| %s | %d | %s | %s | %d | %s | %.2f | %+.2f (epochs %d→%d) | %.0f |",
        o.get("label").getAsString(),
        o.get("seed").getAsLong(),
        sweep.length() == 0 ? "—" : sweep,
        o.get("blr").getAsBigDecimal().toPlainString(),
        o.get("epochs").getAsInt(),
        // results written before fmnist-finetune.sh recorded it were float32
        o.has("precision") ? o.get("precision").getAsString() : "fp32",
        last,
        gain,
        from + 1,
        n,
        seconds);
  }

  // ---- the plot ----

  static final int WIDTH = 900;
  static final int HEIGHT = 480;

  /**
   * Probe top-1 (block 6 class token) against pre-training epochs, one curve per order (mean over
   * seeds, error bars the sd where there are several), raw pixels and random init as flat lines.
   */
  static BufferedImage plot(Results r) {
    return topOneChart(
        "linear probe top-1 (block 6 class token) against pre-training epochs, 60,000 images",
        "pre-training epoch",
        plotSeries(r));
  }

  /** A WIDTH x HEIGHT chart of test top-1 (%) against {@code xLabel}. */
  private static BufferedImage topOneChart(
      String title, String xLabel, List<LineChart.Series> series) {
    return LineChart.draw(WIDTH, HEIGHT, title, xLabel, "test top-1 (%)", series);
  }

  /**
   * The plot's curves. An order whose seeds were probed at the same epochs gets one curve, the mean
   * over seeds with their sd as error bars; otherwise a mean would mix seed sets from one epoch to
   * the next, so each seed gets its own curve ("raster, seed 1").
   */
  static List<LineChart.Series> plotSeries(Results r) {
    List<LineChart.Series> series = new ArrayList<>();
    int maxEpoch = Math.max(1, longBudget(r));
    for (Kind k : List.of(Kind.RASTER, Kind.STOCHASTIC)) {
      var bySeed =
          r.longProbe
              .getOrDefault(k, Map.of())
              .getOrDefault(Readout.LAST_BLOCK_CLS, new TreeMap<>());
      if (bySeed.isEmpty()) {
        continue;
      }
      boolean sameEpochs = bySeed.values().stream().map(TreeMap::keySet).distinct().count() == 1;
      if (!sameEpochs) {
        for (var s : bySeed.entrySet()) {
          TreeMap<Integer, Double> byEpoch = s.getValue();
          double[] x = byEpoch.keySet().stream().mapToDouble(Integer::doubleValue).toArray();
          double[] y = byEpoch.values().stream().mapToDouble(Double::doubleValue).toArray();
          series.add(new LineChart.Series(k.title + ", seed " + s.getKey(), x, y, null));
        }
        continue;
      }
      TreeMap<Integer, Seeds> byEpoch = new TreeMap<>();
      for (var s : bySeed.entrySet()) {
        for (var e : s.getValue().entrySet()) {
          byEpoch.computeIfAbsent(e.getKey(), x -> new Seeds()).put(s.getKey(), e.getValue());
        }
      }
      double[] x = new double[byEpoch.size()];
      double[] y = new double[x.length];
      double[] err = new double[x.length];
      boolean anyErr = false;
      int i = 0;
      for (var e : byEpoch.entrySet()) {
        x[i] = e.getKey();
        y[i] = e.getValue().mean();
        err[i] = e.getValue().n() > 1 ? e.getValue().sd() : 0;
        anyErr |= e.getValue().n() > 1;
        i++;
      }
      series.add(
          new LineChart.Series(
              k.title + " (" + bySeed.size() + " seed" + (bySeed.size() == 1 ? "" : "s") + ")",
              x,
              y,
              anyErr ? err : null));
    }
    Seeds rnd = r.longRandom.get(Readout.LAST_BLOCK_CLS);
    if (rnd == null || rnd.n() == 0) {
      rnd = r.smallProbe.get(Kind.RANDOM);
    }
    if (rnd != null && rnd.n() > 0) {
      series.add(flat("random init", rnd.mean(), maxEpoch));
    }
    if (r.pixels.n() > 0) {
      series.add(flat("raw pixels", r.pixels.mean(), maxEpoch));
    }
    if (series.isEmpty()) {
      throw new IllegalArgumentException(
          "nothing to plot: no long run, random init or raw-pixel figure was read");
    }
    return series;
  }

  /** What the fine-tuning curves' picture adds to the output's base name. */
  static final String FINETUNE_PNG_SUFFIX = "-finetune.png";

  /** Test top-1 after each fine-tuning epoch, one curve per run: whether each has flattened. */
  static BufferedImage fineTunePlot(Results r) {
    return topOneChart(
        "fine-tuning: test top-1 after each epoch (the last epoch's is the table's figure)",
        "fine-tuning epoch",
        fineTuneSeries(r));
  }

  /** One curve per fine-tuning run, "LABEL, seed S", x the epochs counted from 1. */
  static List<LineChart.Series> fineTuneSeries(Results r) {
    List<LineChart.Series> series = new ArrayList<>();
    for (JsonObject o : r.fineTuneRuns) {
      JsonArray curve = o.getAsJsonArray("curve");
      double[] x = new double[curve.size()];
      double[] y = new double[x.length];
      for (int i = 0; i < x.length; i++) {
        x[i] = i + 1;
        y[i] = curve.get(i).getAsJsonObject().get("test_top1").getAsDouble();
      }
      series.add(
          new LineChart.Series(
              o.get("label").getAsString() + ", seed " + o.get("seed").getAsLong(), x, y, null));
    }
    return series;
  }

  private static LineChart.Series flat(String label, double y, int maxEpoch) {
    return new LineChart.Series(label, new double[] {0, maxEpoch}, new double[] {y, y});
  }

  /** Runs the program; user errors print one line and exit with 2. */
  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true");
    System.exit(newCommandLine().execute(args));
  }

  /** The configured command line (also used by tests). */
  static CommandLine newCommandLine() {
    CommandLine cl = new CommandLine(new OrderTable());
    cl.setExecutionExceptionHandler(
        (ex, c, pr) -> {
          Throwable e = ex instanceof UncheckedIOException u ? u.getCause() : ex;
          if (e instanceof NoSuchFileException nf) {
            c.getErr().println("order-table: error: no such file: " + nf.getFile());
            return 2;
          }
          if (e instanceof IllegalArgumentException || e instanceof IOException) {
            c.getErr().println("order-table: error: " + e.getMessage());
            return 2;
          }
          throw ex;
        });
    return cl;
  }
}
