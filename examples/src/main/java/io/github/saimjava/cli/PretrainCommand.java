package io.github.saimjava.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.github.saimjava.api.Distributed;
import io.github.saimjava.api.HeadType;
import io.github.saimjava.api.LossType;
import io.github.saimjava.api.PermutationSampler;
import io.github.saimjava.api.Precision;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimTrainer;
import io.github.saimjava.api.TrainingSummary;
import io.github.saimjava.distributed.Collectives;
import io.github.saimjava.train.EngineThreads;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code saim pretrain}: SAIM pre-training with the paper's recipe. */
@Command(
    name = "pretrain",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Pre-trains a ViT with SAIM (without --data: the embedded Fashion-MNIST subset).",
      "Writes DIR/config.json, DIR/metrics.jsonl, DIR/checkpoint.safetensors and"
          + " DIR/final.safetensors;",
      "a checkpoint found in DIR is resumed automatically."
    })
final class PretrainCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--data",
      paramLabel = "PATH",
      description =
          "Image folder (JPEG/PNG at any depth; class sub-folders optional) or IDX images file.")
  Path data;

  @picocli.CommandLine.Mixin ModelOptions modelOptions = new ModelOptions();

  @Option(
      names = "--in-chans",
      description = "Input channels (default: 3; grayscale images are replicated).")
  Integer channels;

  @Option(
      names = "--query-depth",
      description = "Query (decoder) blocks; must divide depth (default: the preset's).")
  Integer queryDepth;

  @Option(names = "--share-weight", description = "Query blocks share the encoder blocks' weights.")
  boolean shareWeight;

  @Option(
      names = "--head",
      paramLabel = "mlp|linear",
      description = "Prediction head (default: mlp).")
  String head = "mlp";

  @Option(names = "--loss", paramLabel = "l1|l2", description = "Loss (default: l2).")
  String loss = "l2";

  @Option(
      names = "--norm-pix-loss",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description = "Normalise each target patch (default: on; --no-norm-pix-loss turns it off).")
  boolean normPixLoss = true;

  @Option(
      names = "--blur-kernel",
      description = "Target blur kernel size, 0 for none (default: 9).")
  Integer blurKernel;

  @Option(names = "--blur-sigma", description = "Target blur sigma (default: 1).")
  Double blurSigma;

  @Option(
      names = "--order",
      paramLabel = "stochastic|raster",
      description = "Prediction order (default: stochastic).")
  String order = "stochastic";

  @Option(
      names = "--augment",
      paramLabel = "rrc|flip",
      description =
          "rrc: RandomResizedCrop + flip (the paper); flip: pad/resize + flip (default: rrc).")
  String augment = "rrc";

  @Option(names = "--epochs", description = "Epochs (default: ${DEFAULT-VALUE}).")
  int epochs = 1;

  @Option(
      names = "--max-steps",
      description = "Stop after this many optimiser steps (default: no limit).")
  long maxSteps;

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
          "Base learning rate: lr = blr * effective batch / 256 (default: ${DEFAULT-VALUE}).")
  double blr = 2e-4;

  @Option(names = "--lr", description = "Absolute learning rate (overrides --blr).")
  Double lr;

  @Option(
      names = "--warmup-epochs",
      description = "Linear warm-up epochs (default: ${DEFAULT-VALUE}).")
  double warmupEpochs = 0;

  @Option(
      names = "--min-lr",
      description = "Learning rate at the end of the cosine (default: ${DEFAULT-VALUE}).")
  double minLr = 0;

  @Option(names = "--weight-decay", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
  double weightDecay = 0.05;

  @Option(
      names = "--clip-grad",
      description = "Clip the gradient norm to this value (default: off).")
  Double clipGrad;

  @Option(
      names = "--seed",
      description =
          "Seed of initialisation, data order, augmentation and permutations (default:"
              + " ${DEFAULT-VALUE}).")
  long seed = 0;

  @Option(names = "--threads", description = "Engine threads (default: all cores).")
  Integer threads;

  @Option(
      names = "--devices",
      paramLabel = "cpu|gpu0,gpu1,...|all-gpus",
      description =
          "Devices each micro-batch is split over (data-parallel; --batch-size must be a multiple"
              + " of their number; default: the engine's default device).")
  String devices;

  @Option(
      names = "--world-size",
      paramLabel = "N",
      description =
          "Processes training together, data-parallel across JVMs or machines; --batch-size is then"
              + " the batch over all of them, and rank 0 writes --output (default: 1; with"
              + " --rendezvous env: $WORLD_SIZE).")
  Integer worldSize;

  @Option(
      names = "--rank",
      paramLabel = "R",
      description = "This process's rank, 0 .. N-1 (default: 0; with --rendezvous env: $RANK).")
  Integer rank;

  @Option(
      names = "--rendezvous",
      paramLabel = "file:DIR|redis://HOST:PORT/RUN|tcp://HOST:PORT|env",
      description =
          "Where the ranks find each other (needed with --world-size > 1): a folder all of them"
              + " see, a Redis server, a store rank 0 serves on HOST:PORT, or env: RANK, WORLD_SIZE"
              + " and tcp://MASTER_ADDR:MASTER_PORT as launchers set them.")
  String rendezvous;

  @Option(
      names = "--bind",
      paramLabel = "HOST",
      description =
          "Address the other ranks reach this one at (default: this machine's host name).")
  String bind = "";

  @Option(
      names = "--rank-timeout",
      paramLabel = "SECONDS",
      description =
          "How long a rank waits for the others before the run stops naming the one missing"
              + " (default: ${DEFAULT-VALUE}).")
  long rankTimeout = Distributed.DEFAULT_TIMEOUT.toSeconds();

  @Option(
      names = "--collective",
      paramLabel = "java|gloo",
      description =
          "How the ranks all-reduce: java (plain Java, nothing to install) or gloo (Gloo through"
              + " JNI; needs libgloo0 on every node); every rank must use the same (default: java,"
              + " or what -D"
              + Collectives.PROPERTY
              + " says).")
  String collective;

  @Option(
      names = "--loader-threads",
      description = "Threads decoding and augmenting images (default: ${DEFAULT-VALUE}).")
  int loaderThreads = 1;

  @Option(
      names = "--precision",
      paramLabel = "fp32|bf16",
      description =
          "Matrix multiplies in float32 or bfloat16 (float32 master weights, optimiser and loss"
              + " either way; default: fp32).")
  String precision = "fp32";

  @Option(
      names = "--output",
      paramLabel = "DIR",
      description = "Output folder (default: ${DEFAULT-VALUE}).")
  Path output = Path.of("saim-output");

  @Option(
      names = "--checkpoint-every",
      paramLabel = "STEPS",
      description = "Steps between checkpoints (default: ${DEFAULT-VALUE}).")
  long checkpointEvery = 500;

  @Option(
      names = "--keep-weights-every",
      paramLabel = "STEPS",
      description =
          "Also keep the weights every STEPS steps as DIR/weights-step<N>.safetensors, never"
              + " overwritten (default: ${DEFAULT-VALUE}, none).")
  long keepWeightsEvery = 0;

  @Option(
      names = "--knn-every",
      paramLabel = "STEPS",
      description =
          "Evaluate the encoder by k-NN (saim knn's defaults) on --knn-data every STEPS steps,"
              + " logged in metrics.jsonl with the seconds it took; training is unchanged (default:"
              + " ${DEFAULT-VALUE}, never).")
  long knnEvery = 0;

  @Option(
      names = "--knn-data",
      paramLabel = "DIR",
      description =
          "Labelled data of the k-NN monitor: train/ + val/ folders or an IDX pair (default:"
              + " the embedded Fashion-MNIST subset).")
  Path knnData;

  @Option(
      names = "--knn-images",
      paramLabel = "N",
      description =
          "Labelled images each k-NN evaluation embeds: four fifths neighbours, one fifth"
              + " classified, a fixed seeded choice; 0 for all (default: "
              + SaimTrainer.DEFAULT_KNN_IMAGES
              + "; all 12,000 of the embedded subset cost 37% of the quick-start run at"
              + " --knn-every 50).")
  int knnImages = SaimTrainer.DEFAULT_KNN_IMAGES;

  @Option(
      names = "--resume",
      paramLabel = "PATH",
      description = "Resume from this checkpoint (default: DIR's own, if any).")
  Path resume;

  @Option(names = "--no-auto-resume", description = "Start afresh even if DIR holds a checkpoint.")
  boolean noAutoResume;

  @Option(
      names = "--skip-bad-images",
      description = "Skip undecodable images (counted) instead of failing.")
  boolean skipBadImages;

  @Option(
      names = "--log-every",
      description =
          "Steps between progress lines when not on a terminal (default: ${DEFAULT-VALUE}).")
  int logEvery = 10;

  @Override
  public Integer call() throws Exception {
    if (collective != null) {
      Collectives.choose(collective, "--collective");
    }
    SaimConfig.Builder cb = modelOptions.builder();
    if (channels != null) {
      cb.channels(channels);
    }
    if (queryDepth != null) {
      cb.queryDepth(queryDepth);
    }
    SaimConfig base = cb.build();
    int kernel = blurKernel != null ? blurKernel : base.blurKernel();
    double sigma = blurSigma != null ? blurSigma : base.blurSigma();
    cb.shareWeight(shareWeight)
        .headType(EnumOption.parse(HeadType.class, head, "--head"))
        .loss(EnumOption.parse(LossType.class, loss, "--loss"))
        .normPixLoss(normPixLoss);
    if (kernel == 0) {
      cb.noBlur();
    } else {
      cb.blur(kernel, sigma);
    }
    SaimConfig config = cb.build();
    PrintWriter out = spec.commandLine().getOut();
    ProgressBar bar = new ProgressBar(System.err, System.console() != null, logEvery);
    SaimTrainer.Builder tb =
        SaimTrainer.builder()
            .config(config)
            .data(data)
            .epochs(epochs)
            .maxSteps(maxSteps)
            .batchSize(batchSize)
            .accumIter(accumIter)
            .warmupEpochs(warmupEpochs)
            .minLr(minLr)
            .weightDecay(weightDecay)
            .clipGrad(clipGrad)
            .seed(seed)
            .order(EnumOption.parse(PermutationSampler.Kind.class, order, "--order"))
            .augmentation(EnumOption.augmentation(augment))
            .outputDir(output)
            .checkpointEvery(checkpointEvery)
            .keepWeightsEvery(keepWeightsEvery)
            .knnEvery(knnEvery)
            .knnData(knnData)
            .knnImages(knnImages)
            .resume(resume)
            .autoResume(!noAutoResume)
            .loaderThreads(loaderThreads)
            .precision(EnumOption.parse(Precision.class, precision, "--precision"))
            .skipBadImages(skipBadImages)
            .onStep(bar::onStep)
            .onEpoch(bar::onEpoch);
    // --lr overrides --blr; the builder takes one of the two
    if (lr != null) {
      tb.lr(lr);
    } else {
      tb.blr(blr);
    }
    if (threads != null) {
      tb.threads(threads);
    }
    // the engine is first loaded here, so with the thread count the trainer will use
    Engine engine =
        EngineThreads.pytorch(
            threads != null ? threads : Runtime.getRuntime().availableProcessors());
    List<Device> deviceList =
        devices == null ? List.of() : DeviceList.parse(devices, engine.getGpuCount());
    tb.devices(deviceList);
    Distributed dist = distributed();
    tb.distributed(dist);
    SaimTrainer trainer = tb.build();
    out.printf(Locale.ROOT, "model %s%n", config);
    out.printf(
        Locale.ROOT,
        "data %s, batch %d x %d, lr %.3e, output %s%n",
        data == null ? "embedded Fashion-MNIST (10,000 images)" : data,
        batchSize,
        accumIter,
        trainer.peakLr(),
        output);
    out.printf(
        Locale.ROOT,
        "devices %s%n",
        deviceList.isEmpty()
            ? engine.defaultDevice() + " (the engine's default)"
            : deviceList.size()
                + " ("
                + deviceList
                + "), "
                + batchSize / deviceList.size()
                + " images each per micro-batch");
    boolean writes = dist == null || dist.rank() == 0;
    if (dist != null) {
      out.printf(
          Locale.ROOT,
          "rank %d of %d (rendezvous %s), %d images each per micro-batch%s%n",
          dist.rank(),
          dist.worldSize(),
          dist.rendezvous(),
          batchSize / dist.worldSize(),
          writes ? ", writing " + output : ", rank 0 writes the output");
    }
    out.flush();
    TrainingSummary s = trainer.fit();
    if (s.alreadyFinished()) {
      out.printf(
          Locale.ROOT,
          "nothing left to do: %s already holds a finished run of %d steps "
              + "(use another --output, or --no-auto-resume to train again); its figures:%n",
          output,
          s.steps());
    }
    out.printf(
        Locale.ROOT,
        "done: %d steps, %d images, final loss %.4f, %.1f s, %.2f images/s%s%n",
        s.steps(),
        s.images(),
        // NaN only for a finished run whose metrics log is gone, as the command always printed it
        s.finalLoss().orElse(Double.NaN),
        s.seconds().orElse(Double.NaN),
        s.imagesPerSecond().orElse(Double.NaN),
        s.resumedFromStep() > 0 ? " (resumed from step " + s.resumedFromStep() + ")" : "");
    if (writes) {
      out.printf(Locale.ROOT, "final weights %s%n", s.finalWeights());
    }
    out.flush();
    return 0;
  }

  /**
   * The ranks of a data-parallel run from the options (or the environment), or null for one
   * process.
   */
  private @Nullable Distributed distributed() {
    if (rendezvous == null) {
      if (worldSize != null && worldSize > 1) {
        throw new IllegalArgumentException(
            "--world-size "
                + worldSize
                + " needs --rendezvous file:DIR, redis://HOST:PORT/RUN, tcp://HOST:PORT or env");
      }
      return null;
    }
    if (rankTimeout <= 0) {
      throw new IllegalArgumentException("--rank-timeout must be positive, got " + rankTimeout);
    }
    Distributed d;
    if (rendezvous.equals("env")) {
      d = Distributed.fromEnvironment(System.getenv());
      if (worldSize != null && worldSize != d.worldSize() || rank != null && rank != d.rank()) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "--world-size %s --rank %s disagree with the environment's WORLD_SIZE %d, RANK %d:"
                    + " give one or the other",
                worldSize,
                rank,
                d.worldSize(),
                d.rank()));
      }
    } else {
      d =
          new Distributed(
              worldSize == null ? 1 : worldSize,
              rank == null ? 0 : rank,
              rendezvous,
              "",
              Distributed.DEFAULT_TIMEOUT);
    }
    return d.withHost(bind).withTimeout(Duration.ofSeconds(rankTimeout));
  }
}
