package io.github.saimjava.benchmarks.reproduce;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.saimjava.model.ReferenceConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * Renders a {@link Report} as the Markdown table of the reproduction and as JSON of its raw
 * numbers: one row per encoder with the mean and sample standard deviation of the linear probe's
 * top-1 over seeds and each seed's value, the raw-pixel floor first, then how, where and when it
 * was measured.
 *
 * @param report what was measured
 * @param command the command line that produced it
 * @param machine the machine it ran on
 * @param date when the table was written (UTC)
 * @param wallSeconds wall time of the invocation that wrote it
 * @param notes free-text notes appended to the table, one per line
 */
public record ResultTable(
    Report report,
    String command,
    String machine,
    String date,
    double wallSeconds,
    List<String> notes) {
  /** Copies the notes. */
  public ResultTable {
    notes = List.copyOf(notes);
  }

  /** The table's header row; the smoke test and readers of the file rely on it. */
  public static final String HEADER =
      "| encoder | seeds done | linear probe top-1 (%), mean ± sd | per seed | linear probe top-5"
          + " (%), mean | fine-tune top-1 (%) | pre-training final loss, mean | pre-training time"
          + " per run (s), mean |";

  /** The Markdown document. */
  public String markdown() {
    Plan plan = report.plan();
    StringBuilder md = new StringBuilder();
    md.append("# Small-scale reproduction: ").append(plan.name()).append("\n\n");
    md.append(
            "Each encoder is pre-trained under the same budget on Fashion-MNIST and evaluated by"
                + " the paper's ")
        .append(
            "linear probe on frozen class-token features; the same probe on raw pixels is the"
                + " floor. ")
        .append(
            "The paper's direction on linear probing is stochastic > raster > random init.\n\n");
    md.append(HEADER).append('\n');
    md.append("|---|---|---|---|---|---|---|---|\n");
    md.append(row("raw pixels (the floor)", plan.seeds().size(), report.pixels(), List.of(), "—"));
    for (Variant v : plan.variants()) {
      List<Report.Encoder> runs = report.encoders().stream().filter(e -> e.variant() == v).toList();
      List<Report.Probe> probes =
          runs.stream().filter(e -> e.probe() != null).map(Report.Encoder::probe).toList();
      List<Double> fineTunes =
          runs.stream().filter(e -> e.fineTune() != null).map(e -> e.fineTune().top1()).toList();
      String ft =
          !plan.fineTune().enabled()
              ? "not run"
              : fineTunes.isEmpty()
                  ? "—"
                  : meanSd(fineTunes)
                      + (fineTunes.size() > 1 && fineTunes.size() < plan.seeds().size()
                          ? String.format(
                              Locale.ROOT, " (%d of %d)", fineTunes.size(), plan.seeds().size())
                          : "");
      md.append(row(v.label(), plan.seeds().size(), probes, runs, ft));
    }
    md.append('\n');
    List<String> missing = missing();
    if (!missing.isEmpty()) {
      md.append("Not measured yet:\n\n");
      missing.forEach(m -> md.append("- ").append(m).append('\n'));
      md.append('\n');
    }
    md.append("## How it was measured\n\n");
    md.append("- command: `").append(command).append("`\n");
    md.append("- machine: ").append(machine).append('\n');
    md.append("- date: ").append(date).append('\n');
    md.append(
        String.format(
            Locale.ROOT,
            "- wall time of the invocation that wrote this table: %.0f s; "
                + "finished stages reused from the run folder count as their own times above%n",
            wallSeconds));
    md.append("- pre-training and probe-training data: ").append(report.trainData()).append('\n');
    md.append("- test set: ").append(report.testData()).append('\n');
    md.append("- model: ").append(describeModel(plan)).append('\n');
    md.append("- pre-training budget (the same for every encoder): ")
        .append(plan.describeBudget())
        .append('\n');
    md.append(
        String.format(
            Locale.ROOT,
            "- linear probe: class token after the final LayerNorm, BatchNorm without affine,"
                + " linear head, LARS (momentum 0.9, trust 0.001), %d epochs, batch %d, base lr %s"
                + " (lr = blr x batch / 256), half-cycle cosine, no weight decay, seeded with the"
                + " encoder's seed; raw pixels: the 784 values / 255 of each 28 x 28 image through"
                + " the same probe%n",
            plan.probe().epochs(),
            plan.probe().batchSize(),
            plan.probe().blrs().get(0)));
    Plan.FineTune ft = plan.fineTune();
    md.append(
        ft.enabled()
            ? String.format(
                Locale.ROOT,
                "- fine-tune (the paper's protocol, shortened; `FineTuner`): global average pooling"
                    + " + LayerNorm + new linear head, %d epoch(s) on the same training images,"
                    + " batch %d, AdamW (0.9, 0.999) base lr %s (lr = blr x batch / 256), %s"
                    + " warm-up epoch(s) then cosine, weight decay 0.05, layer decay %s, drop-path"
                    + " %s, label smoothing %s, padding and flips with RandAugment"
                    + " rand-m9-mstd0.5-inc1 (the fine-tuner's default; no mixup, CutMix or random"
                    + " erasing);"
                    + " top-1 after the last epoch%n",
                ft.epochs(),
                ft.batchSize(),
                ft.blr(),
                ft.warmupEpochs(),
                ft.layerDecay(),
                ft.dropPath(),
                ft.smoothing())
            : "- fine-tune: not run (--finetune-epochs 0)\n");
    md.append(
        "- spread: sample standard deviation over seeds (n - 1); with one seed only its value is"
            + " shown\n");
    if (!notes.isEmpty()) {
      md.append("\n## Notes\n\n");
      notes.forEach(n -> md.append("- ").append(n).append('\n'));
    }
    return md.toString();
  }

  private static String row(
      String label,
      int seeds,
      List<Report.Probe> probes,
      List<Report.Encoder> runs,
      String fineTune) {
    OptionalDouble loss =
        mean(
            runs.stream()
                .filter(e -> e.pretraining() != null && e.pretraining().finished())
                .map(e -> e.pretraining().finalLoss())
                .toList());
    OptionalDouble time =
        mean(
            runs.stream()
                .filter(e -> e.pretraining() != null && e.pretraining().finished())
                .map(e -> e.pretraining().seconds())
                .toList());
    String perSeed =
        probes.isEmpty()
            ? "—"
            : probes.stream()
                .map(p -> String.format(Locale.ROOT, "%d: %.2f", p.seed(), p.top1()))
                .collect(Collectors.joining(", "));
    return String.format(
        Locale.ROOT,
        "| %s | %d of %d | %s | %s | %s | %s | %s | %s |%n",
        label,
        probes.size(),
        seeds,
        meanSd(values(probes, Report.Probe::top1)),
        perSeed,
        fmt(mean(values(probes, Report.Probe::top5))),
        fineTune,
        loss.isPresent() ? String.format(Locale.ROOT, "%.4f", loss.getAsDouble()) : "—",
        time.isPresent() ? String.format(Locale.ROOT, "%.0f", time.getAsDouble()) : "—");
  }

  /** One line for each encoder of the plan that has no probe result yet, saying how far it got. */
  List<String> missing() {
    List<String> out = new ArrayList<>();
    for (Report.Encoder e : report.encoders()) {
      if (e.probe() != null) {
        if (report.plan().fineTune().enabled() && e.fineTune() == null) {
          out.add(e.variant().label() + ", seed " + e.seed() + ": not fine-tuned");
        }
        continue;
      }
      String name = e.variant().label() + ", seed " + e.seed();
      Report.Pretraining p = e.pretraining();
      if (!e.variant().pretrained()) {
        out.add(name + ": not evaluated");
      } else if (p == null) {
        out.add(name + ": pre-training not started");
      } else if (!p.finished()) {
        out.add(
            String.format(
                Locale.ROOT,
                "%s: pre-training reached step %d of %d (not finished)",
                name,
                p.steps(),
                p.totalSteps()));
      } else {
        out.add(name + ": pre-trained, not evaluated");
      }
    }
    return out;
  }

  /** "mean ± sd", "value (one seed)" or a dash. */
  static String meanSd(List<Double> v) {
    if (v.isEmpty()) {
      return "—";
    }
    double m = mean(v).getAsDouble();
    if (v.size() == 1) {
      return String.format(Locale.ROOT, "%.2f (one seed)", m);
    }
    return String.format(Locale.ROOT, "%.2f ± %.2f", m, sd(v));
  }

  static List<Double> values(List<Report.Probe> probes, ToDoubleFunction<Report.Probe> f) {
    return probes.stream().map(p -> f.applyAsDouble(p)).toList();
  }

  static OptionalDouble mean(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).average();
  }

  /** Sample standard deviation (n - 1); needs two values. */
  static double sd(List<Double> v) {
    double m = mean(v).getAsDouble();
    double ss = 0;
    for (double x : v) {
      ss += (x - m) * (x - m);
    }
    return Math.sqrt(ss / (v.size() - 1));
  }

  private static String fmt(OptionalDouble v) {
    return v.isPresent() ? String.format(Locale.ROOT, "%.2f", v.getAsDouble()) : "—";
  }

  private static String describeModel(Plan plan) {
    var c = plan.config();
    return String.format(
        Locale.ROOT,
        "%d x %d px (28 x 28 zero-padded), %d channels (grayscale replicated), patch %d, width %d,"
            + " depth %d, %d heads, MLP ratio %s, query depth %d, %s head, blur %d / sigma %s, %s%s"
            + " loss; ablations change only the blur (none) or share the query stream's weights"
            + " with the encoder",
        c.imageSize(),
        c.imageSize(),
        c.channels(),
        c.patchSize(),
        c.width(),
        c.depth(),
        c.heads(),
        c.mlpRatio(),
        c.queryDepth(),
        c.headType().name().toLowerCase(Locale.ROOT),
        c.blurKernel(),
        c.blurSigma(),
        c.normPixLoss() ? "norm-pix " : "",
        c.loss());
  }

  /** The raw numbers as JSON. */
  public String json() {
    Plan plan = report.plan();
    JsonObject o = new JsonObject();
    o.addProperty("name", plan.name());
    o.addProperty("command", command);
    o.addProperty("machine", machine);
    o.addProperty("date", date);
    o.addProperty("wall_time_s", Math.round(wallSeconds * 10) / 10.0);
    o.addProperty("train_data", report.trainData());
    o.addProperty("test_data", report.testData());
    o.add("model", ReferenceConfig.toJson(plan.config()));
    o.addProperty("pretraining", plan.describeBudget());
    JsonObject probe = new JsonObject();
    probe.addProperty("epochs", plan.probe().epochs());
    probe.addProperty("batch_size", plan.probe().batchSize());
    probe.addProperty("blr", plan.probe().blrs().get(0));
    o.add("linear_probe", probe);
    o.add("pixels", probes(report.pixels()));
    JsonArray encoders = new JsonArray();
    for (Report.Encoder e : report.encoders()) {
      JsonObject r = new JsonObject();
      r.addProperty("variant", e.variant().id());
      r.addProperty("seed", e.seed());
      Report.Pretraining p = e.pretraining();
      if (p != null) {
        JsonObject pj = new JsonObject();
        pj.addProperty("steps", p.steps());
        pj.addProperty("total_steps", p.totalSteps());
        pj.addProperty("final_loss", p.finalLoss());
        pj.addProperty("seconds", Math.round(p.seconds() * 10) / 10.0);
        r.add("pretraining", pj);
      }
      if (e.probe() != null) {
        r.add("linear_probe", probe(e.probe()));
      }
      Report.FineTune f = e.fineTune();
      if (f != null) {
        JsonObject fj = new JsonObject();
        fj.addProperty("top1", f.top1());
        fj.addProperty("top5", f.top5());
        fj.addProperty("best_epoch_top1", f.bestTop1());
        fj.addProperty("epochs", f.epochs());
        fj.addProperty("seconds", Math.round(f.seconds() * 10) / 10.0);
        r.add("fine_tune", fj);
      }
      encoders.add(r);
    }
    o.add("encoders", encoders);
    JsonArray n = new JsonArray();
    notes.forEach(n::add);
    o.add("notes", n);
    return new GsonBuilder().disableHtmlEscaping().setPrettyPrinting().create().toJson(o) + "\n";
  }

  private static JsonArray probes(List<Report.Probe> ps) {
    JsonArray a = new JsonArray();
    ps.forEach(p -> a.add(probe(p)));
    return a;
  }

  private static JsonObject probe(Report.Probe p) {
    JsonObject o = new JsonObject();
    o.addProperty("seed", p.seed());
    o.addProperty("top1", p.top1());
    o.addProperty("top5", p.top5());
    o.addProperty("train_loss", p.trainLoss());
    o.addProperty("seconds", Math.round(p.seconds() * 10) / 10.0);
    return o;
  }
}
