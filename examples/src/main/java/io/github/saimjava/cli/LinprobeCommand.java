package io.github.saimjava.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.api.SaimLinearProbe;
import io.github.saimjava.api.spi.ZooResolver;
import io.github.saimjava.data.LabelledData;
import io.github.saimjava.downstream.LinearProbe;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import io.github.saimjava.model.ModelCheckpoint;
import io.github.saimjava.model.ReferenceConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code saim linprobe}: the paper's linear probe of an encoder's frozen features, by default the
 * class token after the last block; {@code --layer} and {@code --pooling} read another block or
 * pool, {@code --precision bf16} computes the features in bfloat16.
 */
@Command(
    name = "linprobe",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "The paper's linear probe of an encoder; prints top-1 and top-5 accuracy.",
      "Frozen encoder, class-token features of the last block unless --layer / --pooling say"
          + " otherwise,",
      "BatchNorm without affine, linear head, LARS, cosine schedule. Data: --data DIR with train/"
          + " and val/ image folders, or DIR holding",
      "train-images-idx3-ubyte[.gz] and t10k-images-idx3-ubyte[.gz] with their labels; by default"
          + " the",
      "embedded Fashion-MNIST subset (10,000 train / 2,000 test). Writes DIR/metrics.json; the"
          + " last",
      "line printed is 'top-1 <percent> top-5 <percent>'. --save-classifier FILE.safetensors also"
          + " writes",
      "the encoder and the trained probe in the reference's linear-probe layout, which saim"
          + " classify,",
      "saim evaluate and SaimClassifier load (class-token features of the last block only)."
    })
final class LinprobeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin EncoderSource source = new EncoderSource();

  @Mixin LabelledDataOption data = new LabelledDataOption();

  @Mixin FeatureOptions features = new FeatureOptions();

  @Option(
      names = "--epochs",
      description = "Probe epochs (default: ${DEFAULT-VALUE}, the paper's).")
  int epochs = 90;

  @Option(names = "--batch-size", description = "Probe batch (default: ${DEFAULT-VALUE}).")
  int batchSize = 256;

  @Option(
      names = "--blr",
      paramLabel = "B[,B...]",
      description = {
        "Base learning rate, lr = blr * batch / 256 (default: ${DEFAULT-VALUE}, the paper's).",
        "A comma list trains one head per rate in one pass and selects the rate on training"
            + " images held out (--held-out), never on the validation set."
      })
  String blr = "0.1";

  @Option(
      names = "--held-out",
      paramLabel = "FRACTION",
      description =
          "With several --blr: the share of the training images held out to select the rate"
              + " (default: ${DEFAULT-VALUE}).")
  double heldOut = 0.1;

  @Option(names = "--weight-decay", description = "LARS weight decay (default: ${DEFAULT-VALUE}).")
  double weightDecay = 0;

  @Option(names = "--warmup-epochs", description = "Warm-up epochs (default: ${DEFAULT-VALUE}).")
  double warmupEpochs = 0;

  @Option(
      names = "--seed",
      description = "Seed of random init, shuffling and head (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  @Mixin ThreadsOption threads = new ThreadsOption();

  @Mixin MetricsOutput output = new MetricsOutput("linprobe-output");

  @Option(
      names = "--save-classifier",
      paramLabel = "FILE.safetensors",
      description =
          "Also write encoder + probe as a linear-probe classifier (the reference's layout).")
  Path saveClassifier;

  @Override
  public Integer call() throws Exception {
    // the settings first, so that a bad value is refused before features are computed
    SaimLinearProbe probe =
        SaimLinearProbe.builder()
            .epochs(epochs)
            .batchSize(batchSize)
            .blrs(parseRates(blr))
            .weightDecay(weightDecay)
            .warmupEpochs(warmupEpochs)
            .seed(seed)
            .heldOutFraction(heldOut)
            .build();
    if (saveClassifier != null) {
      if (source.weights.randomInit) {
        throw new IllegalArgumentException(
            "--save-classifier needs the encoder's weights: give --checkpoint or --zoo");
      }
      if (features.pooling() != SaimEncoder.Pooling.CLS) {
        throw new IllegalArgumentException(
            "--save-classifier needs --pooling cls (the reference's linear probe reads "
                + "the class token), not "
                + features.pooling);
      }
      Path parent = saveClassifier.toAbsolutePath().getParent();
      if (parent != null && !Files.isDirectory(parent)) {
        throw new IllegalArgumentException(
            "--save-classifier " + saveClassifier + ": the folder " + parent + " does not exist");
      }
    }
    LabelledData d = data.open();
    PrintWriter out = spec.commandLine().getOut();
    FrozenFeatures<float[][]> f =
        FrozenFeatures.extract(
            features.apply(source.builder(seed, threads.count)),
            d,
            "features",
            this::checkLayer,
            SaimEncoder::embed,
            out);
    SaimLinearProbe.Result r =
        probe.fit(f.trainX(), f.train().labels(), f.valX(), f.val().labels(), f.classes());
    JsonObject m = new JsonObject();
    m.addProperty("top1", r.top1());
    m.addProperty("top5", r.top5());
    m.addProperty("train_loss", r.trainLoss());
    f.addSizes(m);
    m.addProperty("feature_dim", f.trainX()[0].length);
    features.addTo(m);
    m.addProperty("precision", f.precision());
    m.addProperty("epochs", epochs);
    m.addProperty("batch_size", batchSize);
    m.addProperty("blr", r.blr());
    if (!r.sweep().isEmpty()) {
      JsonArray rates = new JsonArray();
      for (SaimLinearProbe.Rate rate : r.sweep()) {
        JsonObject o = new JsonObject();
        o.addProperty("blr", rate.blr());
        o.addProperty("held_out_top1", rate.heldOutTop1());
        o.addProperty("held_out_top5", rate.heldOutTop5());
        o.addProperty("top1", rate.top1());
        o.addProperty("top5", rate.top5());
        o.addProperty("train_loss", rate.trainLoss());
        rates.add(o);
      }
      m.add("blr_sweep", rates);
      m.addProperty("held_out_images", r.heldOutImages());
    }
    m.addProperty("source", source.describe(seed));
    Path metrics = output.write(m);
    for (SaimLinearProbe.Rate rate : r.sweep()) {
      out.printf(
          Locale.ROOT,
          "blr %s: held-out top-1 %.2f, top-1 %.2f top-5 %.2f, train loss %.4f%n",
          rate.blr(),
          rate.heldOutTop1(),
          rate.top1(),
          rate.top5(),
          rate.trainLoss());
    }
    if (!r.sweep().isEmpty()) {
      out.printf(
          Locale.ROOT,
          "selected blr %s: best top-1 on the %d held-out training images%n",
          r.blr(),
          r.heldOutImages());
    }
    out.printf(Locale.ROOT, "train loss %.4f, metrics in %s%n", r.trainLoss(), metrics);
    if (saveClassifier != null) {
      Path weights =
          source.weights.zoo != null
              ? ZooResolver.find(source.weights.zoo).weights()
              // with --save-classifier, no zoo name means a checkpoint (checked first)
              : Objects.requireNonNull(source.weights.checkpoint);
      Map<String, HostTensor> state =
          LinearProbe.classifierState(ModelCheckpoint.read(weights).weights(), r.head());
      Map<String, String> meta = new LinkedHashMap<>();
      meta.put("format", "saim-java-linprobe-classifier-1");
      meta.put("config", ReferenceConfig.toJson(f.config()).toString());
      meta.put("source", source.describe(seed));
      meta.put("top1", Double.toString(r.top1()));
      meta.put("top5", Double.toString(r.top5()));
      if (!r.sweep().isEmpty()) {
        meta.put("blr", Double.toString(r.blr()));
      }
      SafeTensors.write(saveClassifier, state, meta);
      out.printf(
          Locale.ROOT, "linear-probe classifier (%d classes) in %s%n", f.classes(), saveClassifier);
    }
    out.printf(Locale.ROOT, "top-1 %.2f top-5 %.2f%n", r.top1(), r.top5());
    out.flush();
    return 0;
  }

  /** With {@code --save-classifier}: refuses a {@code --layer} that is not the encoder's last. */
  private void checkLayer(SaimEncoder encoder) {
    int depth = encoder.config().depth();
    if (saveClassifier != null && features.layer != null && features.layer != depth) {
      throw new IllegalArgumentException(
          "--save-classifier needs the last block's features: --layer "
              + features.layer
              + " is not the depth "
              + depth);
    }
  }

  /**
   * The rates of {@code --blr}: a number, or a comma list of different positive numbers.
   *
   * @throws IllegalArgumentException naming the value at fault
   */
  static double[] parseRates(String list) {
    String[] parts = list.split(",", -1);
    double[] out = new double[parts.length];
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i].strip();
      double v;
      try {
        v = Double.parseDouble(p);
      } catch (NumberFormatException e) {
        v = Double.NaN;
      }
      if (!(v > 0 && Double.isFinite(v))) {
        throw new IllegalArgumentException(
            "--blr " + list + ": '" + p + "' is not a positive number");
      }
      for (int j = 0; j < i; j++) {
        if (out[j] == v) {
          throw new IllegalArgumentException("--blr " + list + ": " + p + " is listed twice");
        }
      }
      out[i] = v;
    }
    return out;
  }
}
