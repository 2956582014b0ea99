package io.github.saimjava.cli;

import io.github.saimjava.api.Augmentation;
import io.github.saimjava.api.Precision;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimFineTuner;
import io.github.saimjava.data.LabelledData;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code saim finetune}: the paper's fine-tuning protocol (the reference's main_finetune.py). */
@Command(
    name = "finetune",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Fine-tunes an encoder for classification with the paper's protocol; prints top-1 and top-5.",
      "Layer-wise lr decay, drop-path, label smoothing, mixup/cutmix, RandAugment, random erasing,"
          + " AdamW with",
      "warm-up + cosine; evaluation after every epoch. Defaults are the reference script's. Data:"
          + " --data",
      "DIR with train/ and val/ image folders, or an IDX pair (train-*, t10k-*); by default the"
          + " embedded",
      "Fashion-MNIST subset. Writes DIR/config.json, DIR/metrics.jsonl (one line per epoch),",
      "DIR/checkpoint.safetensors (resumed automatically), DIR/best.safetensors and"
          + " DIR/metrics.json;",
      "the last line printed is 'top-1 <percent> top-5 <percent>' of the best epoch."
    })
final class FinetuneCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin EncoderSource source = new EncoderSource();

  @Mixin LabelledDataOption data = new LabelledDataOption();

  @Option(
      names = "--train-images",
      paramLabel = "N",
      description = "Use the first N training images (default: all).")
  int trainImages;

  @Option(
      names = "--val-split",
      paramLabel = "N",
      description =
          "Hold out the last N of the training images and evaluate on them every epoch instead of"
              + " the test images, which are then not used (for choosing settings; default: 0,"
              + " evaluate on the test images).")
  int valSplit;

  @Option(names = "--nb-classes", description = "Number of classes (default: from the data).")
  int nbClasses;

  @Option(names = "--epochs", description = "Epochs (default: ${DEFAULT-VALUE}).")
  int epochs = 100;

  @Option(
      names = "--batch-size",
      description = "Images per micro-batch (default: ${DEFAULT-VALUE}).")
  int batchSize = 64;

  @Option(
      names = "--accum-iter",
      description = "Micro-batches per optimiser step (default: ${DEFAULT-VALUE}).")
  int accumIter = 1;

  @Option(
      names = "--blr",
      description =
          "Base learning rate: lr = blr * effective batch / 256 (default: ${DEFAULT-VALUE}; the"
              + " paper's ViT-B: 5e-4).")
  double blr = 1e-3;

  @Option(names = "--lr", description = "Absolute learning rate (overrides --blr).")
  Double lr;

  @Option(
      names = "--min-lr",
      description = "Learning rate at the end of the cosine (default: ${DEFAULT-VALUE}).")
  double minLr = 1e-6;

  @Option(
      names = "--warmup-epochs",
      description = "Linear warm-up epochs (default: 5, or --epochs when fewer).")
  Double warmupEpochs;

  @Option(names = "--weight-decay", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
  double weightDecay = 0.05;

  @Option(
      names = "--layer-decay",
      description = "Layer-wise lr decay (default: ${DEFAULT-VALUE}; the paper's ViT-B: 0.65).")
  double layerDecay = 0.75;

  @Option(names = "--drop-path", description = "Stochastic-depth rate (default: ${DEFAULT-VALUE}).")
  double dropPath = 0.1;

  @Option(
      names = "--clip-grad",
      description = "Clip the gradient norm to this value (default: off).")
  Double clipGrad;

  @Option(names = "--smoothing", description = "Label smoothing (default: ${DEFAULT-VALUE}).")
  double smoothing = 0.1;

  @Option(
      names = "--mixup",
      description = "Mixup alpha, 0 = off (default: ${DEFAULT-VALUE}; the paper: 0.8).")
  double mixup = 0;

  @Option(
      names = "--cutmix",
      description = "CutMix alpha, 0 = off (default: ${DEFAULT-VALUE}; the paper: 1.0).")
  double cutmix = 0;

  @Option(
      names = "--cutmix-minmax",
      arity = "2",
      paramLabel = "F",
      description = "CutMix box side fractions MIN MAX (overrides --cutmix).")
  List<Double> cutmixMinMax;

  @Option(
      names = "--mixup-prob",
      description = "Probability of mixing a batch (default: ${DEFAULT-VALUE}).")
  double mixupProb = 1.0;

  @Option(
      names = "--mixup-switch-prob",
      description =
          "Probability of CutMix instead of mixup when both are on (default: ${DEFAULT-VALUE}).")
  double mixupSwitchProb = 0.5;

  @Option(
      names = "--aa",
      paramLabel = "POLICY",
      description =
          "RandAugment rand-m<M>[-n<N>][-mstd<S>][-inc<0|1>] or none (default: ${DEFAULT-VALUE}).")
  String aa = "rand-m9-mstd0.5-inc1";

  @Option(
      names = "--reprob",
      description = "Random-erasing probability (default: ${DEFAULT-VALUE}).")
  double reprob = 0.25;

  @Option(
      names = "--augment",
      paramLabel = "rrc|flip",
      description =
          "rrc: RandomResizedCrop(0.08-1) + flip (the reference); flip: pad/resize + flip (default:"
              + " rrc).")
  String augment = "rrc";

  @Option(
      names = "--global-pool",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "Mean of patch tokens + fc_norm (default); --no-global-pool or --cls-token: class token +"
              + " norm.")
  boolean globalPool = true;

  @Option(
      names = "--cls-token",
      description = "Classify from the class token (same as --no-global-pool).")
  boolean clsToken;

  @Option(names = "--seed", description = "Seed of everything random (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  @Mixin ThreadsOption threads = new ThreadsOption();

  @Option(
      names = "--precision",
      paramLabel = "fp32|bf16",
      description =
          "The encoder's matrix multiplies in float32 or bfloat16 (faster on CPUs with AVX-512"
              + " BF16 or AMX; weights, optimiser, head and loss stay float32, and the saved models"
              + " are float32; default: ${DEFAULT-VALUE}).")
  String precision = "fp32";

  @Option(
      names = "--loader-threads",
      description = "Threads decoding and augmenting images (default: ${DEFAULT-VALUE}).")
  int loaderThreads = 1;

  @Option(
      names = "--output",
      paramLabel = "DIR",
      description = "Output folder (default: ${DEFAULT-VALUE}).")
  Path output = Path.of("finetune-output");

  @Option(
      names = "--resume",
      paramLabel = "PATH",
      description = "Resume from this checkpoint (default: DIR's own, if any).")
  Path resume;

  @Option(names = "--no-auto-resume", description = "Start afresh even if DIR holds a checkpoint.")
  boolean noAutoResume;

  @Option(
      names = "--eval",
      description = "Only evaluate --checkpoint (a fine-tuned model, e.g. best.safetensors).")
  boolean evalOnly;

  @Option(
      names = "--log-every",
      description =
          "Steps between progress lines when not on a terminal (default: ${DEFAULT-VALUE}).")
  int logEvery = 10;

  @Override
  public Integer call() throws Exception {
    LabelledData d = data.open().select(trainImages, valSplit);
    String evalSet = valSplit > 0 ? "val" : "test";
    PrintWriter out = spec.commandLine().getOut();
    EncoderSource.Weights w = source.weights;
    SaimConfig config =
        source.model.given() || w.randomInit ? source.model.builder().build() : null;
    Augmentation aug = EnumOption.augmentation(augment);
    ProgressBar bar = new ProgressBar(System.err, System.console() != null, logEvery);
    SaimFineTuner.Builder b =
        SaimFineTuner.builder()
            .checkpoint(w.checkpoint)
            .zoo(w.zoo)
            .config(config)
            .data(data.dir)
            .trainImages(trainImages)
            .validationSplit(valSplit)
            .dataName(
                (data.dir == null ? "embedded:fashion-mnist" : data.dir.toString())
                    + (trainImages > 0 ? ", first " + trainImages + " training images" : "")
                    + (valSplit > 0
                        ? ", evaluated on the last " + valSplit + " of them (validation)"
                        : ""))
            .numClasses(nbClasses)
            .epochs(epochs)
            .batchSize(batchSize)
            .accumIter(accumIter)
            .minLr(minLr)
            .weightDecay(weightDecay)
            .layerDecay(layerDecay)
            .dropPath(dropPath)
            .clipGrad(clipGrad)
            .smoothing(smoothing)
            .mixup(mixup)
            .cutmix(cutmix)
            .mixupProb(mixupProb)
            .mixupSwitchProb(mixupSwitchProb)
            .autoAugment(aa)
            .reprob(reprob)
            .augmentation(aug)
            .globalPool(globalPool && !clsToken)
            .seed(seed)
            .precision(EnumOption.parse(Precision.class, precision, "--precision"))
            .loaderThreads(loaderThreads)
            .outputDir(output)
            .resume(resume)
            .autoResume(!noAutoResume)
            .evalOnly(evalOnly)
            .onStep(bar::onStep)
            .onEvaluation(
                e -> {
                  out.printf(
                      Locale.ROOT,
                      "epoch %d: train loss %.4f, lr %.3e, %s top-1 %.2f top-5 %.2f loss %.4f,"
                          + " %.1f s%s%n",
                      e.epoch(),
                      e.trainLoss(),
                      e.lr(),
                      evalSet,
                      e.top1(),
                      e.top5(),
                      e.testLoss(),
                      e.seconds(),
                      e.best() ? " (best)" : "");
                  out.flush();
                });
    // --lr overrides --blr; the builder takes one of the two
    if (lr != null) {
      b.lr(lr);
    } else {
      b.blr(blr);
    }
    if (threads.count != null) {
      b.threads(threads.count);
    }
    // unset, the API's default holds for any epoch count: 5 epochs, or all of them when fewer
    if (warmupEpochs != null) {
      b.warmupEpochs(warmupEpochs.doubleValue());
    }
    if (cutmixMinMax != null) {
      b.cutmixMinMax(cutmixMinMax.get(0), cutmixMinMax.get(1));
    }
    SaimFineTuner tuner = b.build();
    out.printf(
        Locale.ROOT,
        "data %s (%d images) / %s (%d images), batch %d x %d, lr %.3e, output %s%n",
        d.train().describe(),
        d.train().size(),
        d.val().describe(),
        d.val().size(),
        batchSize,
        accumIter,
        tuner.peakLr(),
        output);
    out.flush();
    SaimFineTuner.Result r = tuner.fit();
    r.notes().forEach(n -> out.println("note: " + n));
    if (evalOnly) {
      out.printf(
          Locale.ROOT,
          "evaluated %s, metrics in %s%n",
          w.checkpoint,
          output.resolve(SaimFineTuner.SUMMARY));
    } else {
      out.printf(
          Locale.ROOT,
          "done: %d epochs%s, best epoch %d, final top-1 %.2f top-5 %.2f, %.1f s; best weights"
              + " %s%n",
          r.epochs(),
          r.resumedFromEpoch() > 0 ? " (resumed at epoch " + r.resumedFromEpoch() + ")" : "",
          r.bestEpoch(),
          r.finalTop1(),
          r.finalTop5(),
          r.seconds(),
          r.bestWeights().map(Path::toString).orElse("none"));
    }
    out.printf(Locale.ROOT, "top-1 %.2f top-5 %.2f%n", r.bestTop1(), r.bestTop5());
    out.flush();
    return 0;
  }
}
