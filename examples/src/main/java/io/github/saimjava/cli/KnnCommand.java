package io.github.saimjava.cli;

import com.google.gson.JsonObject;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.api.SaimKnn;
import io.github.saimjava.data.LabelledData;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code saim knn}: DINO's weighted k-nearest-neighbour classifier on an encoder's frozen features
 * ({@link SaimKnn}), with the same feature and data options as {@code linprobe}.
 */
@Command(
    name = "knn",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "k-nearest-neighbour classification of an encoder's frozen features; prints top-1 and top-5.",
      "No training: each validation image's features (L2-normalised) vote by their k most similar"
          + " training images, weighted by exp(cosine / T), as DINO evaluates encoders.",
      "Features and data as for linprobe: class token of the last block unless --layer /"
          + " --pooling say otherwise; --data DIR with train/ and val/ image folders, or an IDX"
          + " pair, or by default the embedded Fashion-MNIST subset.",
      "Writes DIR/metrics.json; the last line printed is 'top-1 <percent> top-5 <percent>'."
    })
final class KnnCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin EncoderSource source = new EncoderSource();

  @Mixin LabelledDataOption data = new LabelledDataOption();

  @Mixin FeatureOptions features = new FeatureOptions();

  @Option(names = "--k", description = "Neighbours that vote (default: ${DEFAULT-VALUE}).")
  int k = 20;

  @Option(
      names = "--temperature",
      paramLabel = "T",
      description = "Vote weights exp(cosine / T) (default: ${DEFAULT-VALUE}).")
  double temperature = 0.07;

  @Option(
      names = "--batch-size",
      description =
          "Validation images compared with the whole training set at once (default:"
              + " ${DEFAULT-VALUE}).")
  int batchSize = 256;

  @Option(
      names = "--seed",
      description = "Seed of a random-init encoder (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  @Mixin ThreadsOption threads = new ThreadsOption();

  @Mixin MetricsOutput output = new MetricsOutput("knn-output");

  @Override
  public Integer call() throws Exception {
    // the settings first, so that a bad value is refused before features are computed
    SaimKnn knn = SaimKnn.builder().k(k).temperature(temperature).batchSize(batchSize).build();
    LabelledData d = data.open();
    PrintWriter out = spec.commandLine().getOut();
    FrozenFeatures<float[][]> f =
        FrozenFeatures.extract(
            features.apply(source.builder(seed, threads.count)),
            d,
            "features",
            encoder -> {},
            SaimEncoder::embed,
            out);
    SaimKnn.Result r =
        knn.evaluate(f.trainX(), f.train().labels(), f.valX(), f.val().labels(), f.classes());
    JsonObject m = new JsonObject();
    m.addProperty("top1", r.top1());
    m.addProperty("top5", r.top5());
    m.addProperty("k", r.k());
    m.addProperty("temperature", temperature);
    f.addSizes(m);
    m.addProperty("feature_dim", f.trainX()[0].length);
    features.addTo(m);
    m.addProperty("precision", f.precision());
    m.addProperty("source", source.describe(seed));
    out.printf(Locale.ROOT, "metrics in %s%n", output.write(m));
    out.printf(Locale.ROOT, "top-1 %.2f top-5 %.2f%n", r.top1(), r.top5());
    out.flush();
    return 0;
  }
}
