package io.github.saimjava.cli;

import com.google.gson.JsonObject;
import io.github.saimjava.api.Precision;
import io.github.saimjava.api.SaimAttentiveProbe;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.api.spi.ZooResolver;
import io.github.saimjava.data.LabelledData;
import io.github.saimjava.downstream.AttentiveProbe;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import io.github.saimjava.model.ModelCheckpoint;
import io.github.saimjava.model.ReferenceConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * {@code saim attnprobe}: AIM's attentive probe of an encoder's frozen patch tokens ({@link
 * SaimAttentiveProbe}), with the data options of {@code linprobe}.
 */
@Command(
    name = "attnprobe",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "AIM's attentive probe of an encoder; prints top-1 and top-5 accuracy.",
      "Frozen encoder, patch tokens of the last block (--last-blocks K: the average of the last K"
          + " blocks' outputs), BatchNorm without affine, learned queries attending over the"
          + " tokens (multi-head cross-attention), linear head; AdamW, cosine schedule.",
      "Data as for linprobe: --data DIR with train/ and val/ image folders, or an IDX pair, or by"
          + " default the embedded Fashion-MNIST subset. The tokens of every image are held in"
          + " memory (images x patches x width floats).",
      "Writes DIR/metrics.json; the last line printed is 'top-1 <percent> top-5 <percent>'."
          + " --save-classifier FILE.safetensors also writes the encoder and the trained probe"
          + " (with --last-blocks and --probe-heads), which saim classify, saim evaluate and"
          + " SaimClassifier load."
    })
final class AttnprobeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin EncoderSource source = new EncoderSource();

  @Mixin LabelledDataOption data = new LabelledDataOption();

  @Option(
      names = "--last-blocks",
      paramLabel = "K",
      description =
          "Average the outputs of the last K blocks, as AIM does (default: ${DEFAULT-VALUE}, the"
              + " last block's).")
  int lastBlocks = 1;

  @Option(
      names = "--precision",
      paramLabel = "fp32|bf16",
      description =
          "The encoder's matrix multiplies in float32 or bfloat16 (the probe trains in float32;"
              + " default: ${DEFAULT-VALUE}).")
  String precision = "fp32";

  @Option(names = "--queries", description = "Learned queries (default: ${DEFAULT-VALUE}).")
  int queries = 1;

  @Option(
      names = "--probe-heads",
      description =
          "The probe's attention heads, dividing the encoder's width (default: ${DEFAULT-VALUE}).")
  int heads = 8;

  @Option(names = "--epochs", description = "Probe epochs (default: ${DEFAULT-VALUE}).")
  int epochs = 90;

  @Option(names = "--batch-size", description = "Probe batch (default: ${DEFAULT-VALUE}).")
  int batchSize = 256;

  @Option(
      names = "--blr",
      description = "Base learning rate, lr = blr * batch / 256 (default: ${DEFAULT-VALUE}).")
  double blr = 1e-3;

  @Option(names = "--weight-decay", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
  double weightDecay = 0.05;

  @Option(names = "--warmup-epochs", description = "Warm-up epochs (default: ${DEFAULT-VALUE}).")
  double warmupEpochs = 0;

  @Option(names = "--min-lr", description = "The cosine's floor (default: ${DEFAULT-VALUE}).")
  double minLr = 0;

  @Option(
      names = "--seed",
      description = "Seed of random init, shuffling and probe (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  @Mixin ThreadsOption threads = new ThreadsOption();

  @Mixin MetricsOutput output = new MetricsOutput("attnprobe-output");

  @Option(
      names = "--save-classifier",
      paramLabel = "FILE.safetensors",
      description =
          "Also write encoder + probe as an attentive-probe classifier (written whole or not at"
              + " all).")
  Path saveClassifier;

  @Override
  public Integer call() throws Exception {
    // the settings first, so that a bad value is refused before tokens are computed
    SaimAttentiveProbe probe =
        SaimAttentiveProbe.builder()
            .epochs(epochs)
            .batchSize(batchSize)
            .blr(blr)
            .weightDecay(weightDecay)
            .warmupEpochs(warmupEpochs)
            .minLr(minLr)
            .queries(queries)
            .heads(heads)
            .seed(seed)
            .build();
    if (lastBlocks < 1) {
      throw new IllegalArgumentException("--last-blocks must be 1 or more, got " + lastBlocks);
    }
    Precision p = EnumOption.parse(Precision.class, precision, "--precision");
    if (saveClassifier != null) {
      if (source.weights.randomInit) {
        throw new IllegalArgumentException(
            "--save-classifier needs the encoder's weights: give --checkpoint or --zoo");
      }
      Path parent = saveClassifier.toAbsolutePath().getParent();
      if (parent != null && !Files.isDirectory(parent)) {
        throw new IllegalArgumentException(
            "--save-classifier " + saveClassifier + ": the folder " + parent + " does not exist");
      }
    }
    LabelledData d = data.open();
    PrintWriter out = spec.commandLine().getOut();
    FrozenFeatures<float[][][]> f =
        FrozenFeatures.extract(
            source.builder(seed, threads.count).precision(p),
            d,
            "tokens",
            this::checkEncoder,
            (encoder, images) -> encoder.patchTokens(images, lastBlocks),
            out);
    SaimAttentiveProbe.Result r =
        probe.fit(f.trainX(), f.train().labels(), f.valX(), f.val().labels(), f.classes());
    JsonObject m = new JsonObject();
    m.addProperty("top1", r.top1());
    m.addProperty("top5", r.top5());
    m.addProperty("train_loss", r.trainLoss());
    f.addSizes(m);
    m.addProperty("tokens", f.trainX()[0].length);
    m.addProperty("feature_dim", f.trainX()[0][0].length);
    m.addProperty("last_blocks", lastBlocks);
    m.addProperty("queries", queries);
    m.addProperty("heads", heads);
    m.addProperty("precision", f.precision());
    m.addProperty("epochs", epochs);
    m.addProperty("batch_size", batchSize);
    m.addProperty("blr", blr);
    m.addProperty("weight_decay", weightDecay);
    m.addProperty("source", source.describe(seed));
    out.printf(Locale.ROOT, "train loss %.4f, metrics in %s%n", r.trainLoss(), output.write(m));
    if (saveClassifier != null) {
      Path weights =
          source.weights.zoo != null
              ? ZooResolver.find(source.weights.zoo).weights()
              // with --save-classifier, no zoo name means a checkpoint (checked first)
              : Objects.requireNonNull(source.weights.checkpoint);
      Map<String, HostTensor> state =
          AttentiveProbe.classifierState(ModelCheckpoint.read(weights).weights(), r.head());
      Map<String, String> meta = AttentiveProbe.classifierMetadata(r.head(), lastBlocks);
      meta.put("config", ReferenceConfig.toJson(f.config()).toString());
      meta.put("source", source.describe(seed));
      meta.put("precision", f.precision());
      meta.put("top1", Double.toString(r.top1()));
      meta.put("top5", Double.toString(r.top5()));
      SafeTensors.write(saveClassifier, state, meta);
      out.printf(
          Locale.ROOT,
          "attentive-probe classifier (%d classes) in %s%n",
          f.classes(),
          saveClassifier);
    }
    out.printf(Locale.ROOT, "top-1 %.2f top-5 %.2f%n", r.top1(), r.top5());
    out.flush();
    return 0;
  }

  /** Refuses a {@code --last-blocks} or {@code --probe-heads} that the encoder cannot serve. */
  private void checkEncoder(SaimEncoder encoder) {
    int depth = encoder.config().depth();
    if (lastBlocks > depth) {
      throw new IllegalArgumentException(
          "--last-blocks " + lastBlocks + " is more than the encoder's " + depth + " blocks");
    }
    if (encoder.config().width() % heads != 0) {
      throw new IllegalArgumentException(
          "--probe-heads "
              + heads
              + " does not divide the encoder's width "
              + encoder.config().width());
    }
  }
}
