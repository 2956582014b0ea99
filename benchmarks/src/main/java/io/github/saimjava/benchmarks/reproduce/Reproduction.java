package io.github.saimjava.benchmarks.reproduce;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.saimjava.api.Augmentation;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.api.SaimFineTuner;
import io.github.saimjava.api.SaimLinearProbe;
import io.github.saimjava.api.SaimTrainer;
import io.github.saimjava.data.BatchLoader;
import io.github.saimjava.data.Datasets;
import io.github.saimjava.data.DecodedImage;
import io.github.saimjava.data.IdxDataset;
import io.github.saimjava.data.ImageDataset;
import io.github.saimjava.downstream.FineTuner;
import io.github.saimjava.io.AtomicFiles;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import io.github.saimjava.model.ReferenceConfig;
import io.github.saimjava.train.EpochSteps;
import io.github.saimjava.train.Pretrainer;
import io.github.saimjava.train.RunFolder;
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
import org.jspecify.annotations.Nullable;

/**
 * Runs a {@link Plan} stage by stage, each stage cached in the run folder:
 *
 * <pre>
 * RUN/pretrain/&lt;variant&gt;-seed&lt;s&gt;/   the pre-training run (resumed where it stopped)
 * RUN/features/&lt;variant&gt;-seed&lt;s&gt;.safetensors
 *     class-token features of the train and test images
 * RUN/results/&lt;variant&gt;-seed&lt;s&gt;.probe.json   the linear probe's result
 * RUN/results/pixels-seed&lt;s&gt;.probe.json   the probe on raw pixels
 * </pre>
 *
 * <p>Each cached file records the inputs it was computed from; a file from other inputs is an
 * error, never silently reused. Pre-training runs check their own configuration when resumed.
 * Encoders are processed in order (the compared orders seed by seed, then the ablations), and the
 * report is handed to the sink after every stage, so a long run always has a table of what is done.
 */
public final class Reproduction {
  /** Where Debian's {@code dataset-fashion-mnist} puts the full data set. */
  public static final Path SYSTEM_DATA = Path.of("/usr/share/datasets/fashion-mnist");

  /** Receives the report after every finished stage. */
  @FunctionalInterface
  public interface Sink {
    /** Called with what is measured so far. */
    void accept(Report report) throws IOException;
  }

  /** What a run may compute. */
  public enum Mode {
    /** Every missing stage, pre-training included. */
    ALL,
    /** Evaluate finished pre-training runs only; start or resume none. */
    EVALUATE,
    /** Compute nothing: report what the run folder holds. */
    REPORT
  }

  private static final Gson GSON =
      new GsonBuilder().disableHtmlEscaping().setPrettyPrinting().create();

  private final Plan plan;
  private final Path runDir;
  private final ImageDataset train;
  private final ImageDataset test;
  private final PrintWriter log;

  /**
   * A reproduction of {@code plan} in {@code runDir}.
   *
   * @param testSource a folder holding {@code t10k-images-idx3-ubyte[.gz]} with its labels, or null
   *     for the embedded 2,000 test images
   * @throws IllegalArgumentException naming the folder when it holds no test set
   * @throws IOException when the test set cannot be read
   */
  public Reproduction(Plan plan, Path runDir, @Nullable Path testSource, PrintWriter log)
      throws IOException {
    this.plan = plan;
    this.runDir = runDir;
    this.log = log;
    // the embedded training subset is the first 10,000 Fashion-MNIST training images, in order
    this.train = FirstImages.of(Datasets.embeddedTrain(), plan.trainImages());
    this.test =
        FirstImages.of(
            testSource == null ? Datasets.embeddedTest() : IdxDataset.open(testImages(testSource)),
            plan.testImages());
    if (test.numClasses() < 2) {
      throw new IllegalArgumentException(
          test.describe() + " has no labels: the evaluation needs labelled test images");
    }
  }

  /**
   * The default test source: {@link #SYSTEM_DATA} when it holds the test set, else none (embedded).
   */
  public static @Nullable Path defaultTestSource() {
    return Files.isRegularFile(SYSTEM_DATA.resolve("t10k-images-idx3-ubyte.gz"))
            || Files.isRegularFile(SYSTEM_DATA.resolve("t10k-images-idx3-ubyte"))
        ? SYSTEM_DATA
        : null;
  }

  static Path testImages(Path dir) {
    for (String name : new String[] {"t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte"}) {
      if (Files.isRegularFile(dir.resolve(name))) {
        return dir.resolve(name);
      }
    }
    throw new IllegalArgumentException(
        dir
            + ": no Fashion-MNIST test set there (expected "
            + "t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz])");
  }

  /**
   * Runs what {@code mode} allows, handing the report to {@code sink} after every stage; returns
   * the last.
   */
  public Report run(Mode mode, Sink sink) throws IOException {
    Files.createDirectories(runDir.resolve("results"));
    List<Report.Probe> pixels = new ArrayList<>();
    Map<String, Report.Encoder> encoders = new LinkedHashMap<>();
    for (Work w : order()) {
      encoders.put(
          w.name(),
          new Report.Encoder(
              w.variant(), w.seed(), pretrainingOf(w), readProbe(w.name()), readFineTune(w)));
    }
    for (long seed : plan.seeds()) {
      Report.Probe p = mode == Mode.REPORT ? readProbe("pixels-seed" + seed) : pixelProbe(seed);
      if (p != null) {
        pixels.add(p);
      }
    }
    sink.accept(report(pixels, encoders));
    if (mode == Mode.REPORT) {
      return report(pixels, encoders);
    }
    for (Work w : order()) {
      Report.Pretraining pre = null;
      if (w.variant().pretrained()) {
        pre = pretrainingOf(w);
        if (mode == Mode.ALL) {
          pre = pretrain(w);
        } else if (pre == null || !pre.finished()) {
          log.printf(Locale.ROOT, "%s: pre-training not finished, not evaluated%n", w.name());
          log.flush();
          continue;
        }
        encoders.put(
            w.name(),
            new Report.Encoder(w.variant(), w.seed(), pre, readProbe(w.name()), readFineTune(w)));
        sink.accept(report(pixels, encoders));
      }
      Report.Probe probe = encoderProbe(w);
      encoders.put(
          w.name(), new Report.Encoder(w.variant(), w.seed(), pre, probe, readFineTune(w)));
      sink.accept(report(pixels, encoders));
    }
    // fine-tunes last: the probe column of every encoder comes first
    if (plan.fineTune().enabled()) {
      for (Work w : order()) {
        Report.Encoder e = encoders.get(w.name());
        if (e == null || e.probe() == null) {
          continue; // not pre-trained yet (evaluate-only)
        }
        encoders.put(
            w.name(),
            new Report.Encoder(w.variant(), w.seed(), e.pretraining(), e.probe(), fineTune(w)));
        sink.accept(report(pixels, encoders));
      }
    }
    return report(pixels, encoders);
  }

  private Report report(List<Report.Probe> pixels, Map<String, Report.Encoder> encoders) {
    return new Report(
        plan, train.describe(), test.describe(), pixels, new ArrayList<>(encoders.values()));
  }

  /** One encoder to train and evaluate. */
  record Work(Variant variant, long seed) {
    String name() {
      return variant.id() + "-seed" + seed;
    }
  }

  /**
   * The compared orders (random, raster, stochastic) seed by seed first, then the ablations seed by
   * seed.
   */
  List<Work> order() {
    List<Work> main = new ArrayList<>();
    List<Work> ablations = new ArrayList<>();
    for (long seed : plan.seeds()) {
      for (Variant v : plan.variants()) {
        (v == Variant.NOBLUR || v == Variant.SHARED ? ablations : main).add(new Work(v, seed));
      }
    }
    main.addAll(ablations);
    return main;
  }

  // ---- pre-training ----

  private Path pretrainDir(Work w) {
    return runDir.resolve("pretrain").resolve(w.name());
  }

  private Report.Pretraining pretrain(Work w) throws IOException {
    Path dir = pretrainDir(w);
    SaimConfig config = w.variant().config(plan.config());
    int stepsPerEpoch = EpochSteps.count(train.size(), plan.batchSize(), 1);
    SaimTrainer trainer =
        SaimTrainer.builder()
            .config(config)
            .epochs(plan.epochs())
            .batchSize(plan.batchSize())
            .lr(plan.lr())
            .warmupEpochs(plan.warmupEpochs())
            .weightDecay(plan.weightDecay())
            .seed(w.seed())
            .order(w.variant().order())
            .augmentation(Augmentation.FLIP_ONLY)
            .outputDir(dir)
            // twice an epoch: an interrupted run loses at most half an epoch
            .checkpointEvery(Math.max(1, stepsPerEpoch / 2))
            .threads(plan.threads())
            .logEvery(1)
            .onEpoch(
                e -> {
                  log.printf(
                      Locale.ROOT,
                      "%s: epoch %d/%d, mean loss %.4f, %.0f s%n",
                      w.name(),
                      e.epoch() + 1,
                      plan.epochs(),
                      e.meanLoss(),
                      e.seconds());
                  log.flush();
                })
            .build();
    Report.Pretraining before = pretrainingOf(w);
    log.printf(
        Locale.ROOT,
        "%s: %s%n",
        w.name(),
        before == null
            ? "pre-training"
            : before.finished()
                ? "pre-trained (cached), checking its configuration"
                : "resuming pre-training at step " + before.steps() + "/" + before.totalSteps());
    log.flush();
    BatchLoader loader =
        new BatchLoader(
            train,
            plan.batchSize(),
            config.imageSize(),
            config.channels(),
            Augmentation.FLIP_ONLY,
            w.seed(),
            1,
            false);
    // a finished run resumes at its last step: nothing is trained, but its configuration is checked
    new Pretrainer(trainer.spec(), loader).run();
    Report.Pretraining after = pretrainingOf(w);
    if (after == null || !after.finished()) {
      throw new IllegalStateException(dir + ": pre-training ended without finishing its budget");
    }
    return after;
  }

  /** The pre-training run's progress from its log, or null when it has not started. */
  Report.@Nullable Pretraining pretrainingOf(Work w) throws IOException {
    if (!w.variant().pretrained()) {
      return null;
    }
    Path dir = pretrainDir(w);
    Path metrics = dir.resolve(RunFolder.METRICS);
    Path config = dir.resolve(RunFolder.CONFIG);
    if (!Files.isRegularFile(metrics) || !Files.isRegularFile(config)) {
      return null;
    }
    JsonObject run = parse(config);
    checkPretrainingConfig(config, run, w);
    long total = run.getAsJsonObject("training").get("total_steps").getAsLong();
    long steps = 0;
    double loss = Double.NaN;
    double seconds = 0;
    for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
      JsonObject o;
      try {
        o = JsonParser.parseString(line).getAsJsonObject();
      } catch (RuntimeException e) {
        continue; // a line cut short by a kill
      }
      if ("step".equals(o.get("type").getAsString())) {
        steps = o.get("step").getAsLong();
        loss = o.get("loss").getAsDouble();
      } else if ("epoch".equals(o.get("type").getAsString())) {
        seconds += o.get("time_s").getAsDouble();
      }
    }
    boolean done = Files.isRegularFile(dir.resolve(RunFolder.FINAL)) && steps >= total;
    return new Report.Pretraining(done ? total : Math.min(steps, total - 1), total, loss, seconds);
  }

  /**
   * Checks that a pre-training folder was trained with this plan's settings for {@code w}, whoever
   * ran it (this program, or {@code saim pretrain} with the same settings), so that a folder of
   * another budget is never reported as this one.
   *
   * @throws IllegalArgumentException naming the file and the first setting that differs
   */
  private void checkPretrainingConfig(Path file, JsonObject run, Work w) {
    JsonObject expected = new JsonObject();
    expected.add("model", ReferenceConfig.toJson(w.variant().config(plan.config())));
    JsonObject t = new JsonObject();
    t.addProperty("dataset_size", train.size());
    t.addProperty("epochs", plan.epochs());
    t.addProperty("max_steps", 0);
    t.addProperty("effective_batch_size", plan.batchSize());
    t.addProperty("lr", plan.lr());
    t.addProperty("warmup_epochs", plan.warmupEpochs());
    t.addProperty("min_lr", 0.0);
    t.addProperty("weight_decay", plan.weightDecay());
    t.addProperty("beta1", 0.9);
    t.addProperty("beta2", 0.95);
    t.addProperty("seed", w.seed());
    t.addProperty("order", w.variant().order().name());
    t.addProperty("augmentation", Augmentation.FLIP_ONLY.name());
    expected.add("training", t);
    for (String section : List.of("model", "training")) {
      JsonObject want = expected.getAsJsonObject(section);
      JsonObject have =
          run.has(section) && run.get(section).isJsonObject()
              ? run.getAsJsonObject(section)
              : new JsonObject();
      for (String k : want.keySet()) {
        if (!want.get(k).equals(have.get(k))) {
          throw new IllegalArgumentException(
              file
                  + " is a pre-training run of other settings than this plan's ("
                  + section
                  + "."
                  + k
                  + ": "
                  + have.get(k)
                  + ", expected "
                  + want.get(k)
                  + "): use another --output folder");
        }
      }
    }
  }

  // ---- fine-tuning ----

  private Path fineTuneDir(Work w) {
    return runDir.resolve("finetune").resolve(w.name());
  }

  /**
   * Runs (or resumes, or re-reports) the short fine-tune; a finished run checks its configuration
   * and trains nothing.
   */
  private Report.FineTune fineTune(Work w) throws IOException {
    Plan.FineTune ft = plan.fineTune();
    Path dir = fineTuneDir(w);
    log.printf(
        Locale.ROOT,
        "%s: fine-tuning for %d epoch(s)%s%n",
        w.name(),
        ft.epochs(),
        Files.isRegularFile(dir.resolve(SaimFineTuner.CHECKPOINT)) ? " (resuming)" : "");
    log.flush();
    SaimFineTuner.Builder b =
        SaimFineTuner.builder()
            .epochs(ft.epochs())
            .batchSize(ft.batchSize())
            .blr(ft.blr())
            .warmupEpochs(ft.warmupEpochs())
            .layerDecay(ft.layerDecay())
            .dropPath(ft.dropPath())
            .smoothing(ft.smoothing())
            .reprob(0)
            .augmentation(Augmentation.FLIP_ONLY)
            .seed(w.seed())
            .threads(plan.threads())
            .loaderThreads(1)
            .outputDir(dir)
            .onEvaluation(
                e -> {
                  log.printf(
                      Locale.ROOT,
                      "%s: fine-tune epoch %d/%d, train loss %.4f, test top-1 %.2f%% (%.0f s)%n",
                      w.name(),
                      e.epoch() + 1,
                      ft.epochs(),
                      e.trainLoss(),
                      e.top1(),
                      e.seconds());
                  log.flush();
                });
    if (w.variant().pretrained()) {
      b.checkpoint(pretrainDir(w).resolve(RunFolder.FINAL));
    } else {
      b.config(w.variant().config(plan.config()));
    }
    // the API's settings, run on the reproduction's own images (already open, and its test split)
    FineTuner.run(b.build().spec(), train, test);
    Report.FineTune r = readFineTune(w);
    if (r == null) {
      throw new IllegalStateException(dir + ": fine-tuning ended without its summary");
    }
    log.printf(Locale.ROOT, "%s: fine-tune top-1 %.2f%%%n", w.name(), r.top1());
    log.flush();
    return r;
  }

  /** The finished fine-tune's result from its files; null when none finished. */
  private Report.@Nullable FineTune readFineTune(Work w) throws IOException {
    Path dir = fineTuneDir(w);
    Path summary = dir.resolve(SaimFineTuner.SUMMARY);
    if (!plan.fineTune().enabled() || !Files.isRegularFile(summary)) {
      return null;
    }
    JsonObject m = parse(summary);
    int epochs = m.get("epochs").getAsInt();
    if (epochs != plan.fineTune().epochs()) {
      return null; // unfinished, or of another length (resuming it would be refused by the
      // fine-tuner)
    }
    double seconds = 0;
    Path metrics = dir.resolve(RunFolder.METRICS);
    if (Files.isRegularFile(metrics)) {
      for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
        try {
          JsonObject o = JsonParser.parseString(line).getAsJsonObject();
          if (o.has("time_s")) {
            seconds += o.get("time_s").getAsDouble();
          }
        } catch (RuntimeException e) {
          // a line cut short by a kill
        }
      }
    }
    return new Report.FineTune(
        m.get("final_top1").getAsDouble(),
        m.get("final_top5").getAsDouble(),
        m.get("best_top1").getAsDouble(),
        epochs,
        seconds);
  }

  // ---- features and probes ----

  private Report.Probe encoderProbe(Work w) throws IOException {
    long start = System.nanoTime();
    Features f = features(w);
    JsonObject key = new JsonObject();
    key.add("features", f.key());
    key.add("probe", Plan.probeJson(probeSettings(w.seed()).spec()));
    return probe(w.name(), key, f.train(), f.test(), w.seed(), start);
  }

  private Report.Probe pixelProbe(long seed) throws IOException {
    long start = System.nanoTime();
    JsonObject key = new JsonObject();
    key.addProperty("features", "raw pixels / 255, flattened");
    key.addProperty("train", train.describe());
    key.addProperty("test", test.describe());
    key.add("probe", Plan.probeJson(probeSettings(seed).spec()));
    String name = "pixels-seed" + seed;
    Report.Probe cached = cachedProbe(name, key);
    if (cached != null) {
      return cached;
    }
    log.printf(Locale.ROOT, "%s: linear probe on raw pixels%n", name);
    log.flush();
    return probe(name, key, pixels(train), pixels(test), seed, start);
  }

  private SaimLinearProbe probeSettings(long seed) {
    return Plan.probe(plan.probe(), seed);
  }

  private Report.Probe probe(
      String name, JsonObject key, float[][] trainX, float[][] testX, long seed, long start)
      throws IOException {
    Report.Probe cached = cachedProbe(name, key);
    if (cached != null) {
      return cached;
    }
    int classes = Math.max(train.numClasses(), test.numClasses());
    SaimLinearProbe.Result r =
        probeSettings(seed).fit(trainX, train.labels(), testX, test.labels(), classes);
    Report.Probe p =
        new Report.Probe(
            seed, r.top1(), r.top5(), r.trainLoss(), (System.nanoTime() - start) / 1e9);
    JsonObject out = new JsonObject();
    out.add("key", key);
    out.add("result", GSON.toJsonTree(p));
    AtomicFiles.write(probeFile(name), (GSON.toJson(out) + "\n").getBytes(StandardCharsets.UTF_8));
    log.printf(
        Locale.ROOT,
        "%s: linear probe top-1 %.2f%%, top-5 %.2f%% (%.0f s)%n",
        name,
        p.top1(),
        p.top5(),
        p.seconds());
    log.flush();
    return p;
  }

  private Path probeFile(String name) {
    return runDir.resolve("results").resolve(name + ".probe.json");
  }

  /**
   * A cached probe result computed from {@code key}; null when there is none; an error when it is
   * from other inputs.
   */
  private Report.@Nullable Probe cachedProbe(String name, JsonObject key) throws IOException {
    Path file = probeFile(name);
    if (!Files.isRegularFile(file)) {
      return null;
    }
    JsonObject o = parse(file);
    checkSameKey(file, o.get("key"), key);
    return GSON.fromJson(o.get("result"), Report.Probe.class);
  }

  private Report.@Nullable Probe readProbe(String name) throws IOException {
    Path file = probeFile(name);
    return Files.isRegularFile(file)
        ? GSON.fromJson(parse(file).get("result"), Report.Probe.class)
        : null;
  }

  /** Class-token features of the train and test images, and what they were computed from. */
  record Features(JsonObject key, float[][] train, float[][] test) {}

  private Features features(Work w) throws IOException {
    SaimConfig config = w.variant().config(plan.config());
    JsonObject key = new JsonObject();
    key.addProperty("encoder", w.name());
    key.add("model", ReferenceConfig.toJson(config));
    key.addProperty("pooling", "class token");
    key.addProperty("train", train.describe());
    key.addProperty("test", test.describe());
    Path weights = null;
    if (w.variant().pretrained()) {
      weights = pretrainDir(w).resolve(RunFolder.FINAL);
      JsonObject run = parse(pretrainDir(w).resolve(RunFolder.CONFIG));
      // the engine threads of whichever process last touched the run do not change its weights
      run.getAsJsonObject("training").remove("threads");
      key.add("pretraining", run);
    } else {
      key.addProperty("weights", "random init, seed " + w.seed());
    }
    Path file = runDir.resolve("features").resolve(w.name() + ".safetensors");
    if (Files.isRegularFile(file)) {
      SafeTensors.Contents c = SafeTensors.read(file);
      checkSameKey(file, JsonParser.parseString(c.metadata().getOrDefault("key", "{}")), key);
      return new Features(key, rows(c.require("train")), rows(c.require("test")));
    }
    log.printf(
        Locale.ROOT,
        "%s: extracting features of %,d + %,d images%n",
        w.name(),
        train.size(),
        test.size());
    log.flush();
    float[][] trainX;
    float[][] testX;
    try (SaimEncoder encoder =
        SaimEncoder.builder()
            .checkpoint(weights)
            .config(weights == null ? config : null)
            .seed(w.seed())
            .pooling(SaimEncoder.Pooling.CLS)
            .batchSize(256)
            .threads(plan.threads())
            .build()) {
      trainX = encoder.embed(train.rawImages());
      testX = encoder.embed(test.rawImages());
    }
    Files.createDirectories(file.getParent());
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    tensors.put("train", matrix(trainX));
    tensors.put("test", matrix(testX));
    SafeTensors.write(file, tensors, Map.of("key", new Gson().toJson(key)));
    return new Features(key, trainX, testX);
  }

  private static void checkSameKey(Path file, @Nullable JsonElement saved, JsonElement now) {
    if (!now.equals(saved)) {
      throw new IllegalArgumentException(
          file
              + " was computed from other inputs than this run's (saved "
              + saved
              + ", now "
              + now
              + "): use another --output folder, or delete the file");
    }
  }

  private static JsonObject parse(Path file) throws IOException {
    try {
      return JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8))
          .getAsJsonObject();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(file + " is not a JSON object: " + e.getMessage(), e);
    }
  }

  /** Each image's 8-bit values / 255, flattened (28 x 28 grayscale: 784 values). */
  static float[][] pixels(ImageDataset d) {
    float[][] out = new float[d.size()][];
    for (int i = 0; i < out.length; i++) {
      DecodedImage img = d.image(i);
      byte[] px = img.pixels();
      float[] row = new float[px.length];
      for (int j = 0; j < px.length; j++) {
        row[j] = (px[j] & 0xff) / 255f;
      }
      out[i] = row;
    }
    return out;
  }

  /** Rows of equal length as one N x D float32 tensor. */
  static HostTensor matrix(float[][] rows) {
    int d = rows[0].length;
    float[] flat = new float[rows.length * d];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, flat, i * d, d);
    }
    return HostTensor.ofFloats(new long[] {rows.length, d}, flat);
  }

  /** An N x D tensor as N rows: the inverse of {@link #matrix}. */
  static float[][] rows(HostTensor t) {
    long[] s = t.shape();
    float[] flat = t.toFloatArray();
    float[][] out = new float[(int) s[0]][(int) s[1]];
    for (int i = 0; i < out.length; i++) {
      System.arraycopy(flat, i * out[i].length, out[i], 0, out[i].length);
    }
    return out;
  }
}
