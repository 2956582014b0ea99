package io.github.saimjava.provider;

import io.github.saimjava.api.Distributed;
import io.github.saimjava.api.SaimAttentiveProbe;
import io.github.saimjava.api.SaimClassifier;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.api.SaimFineTuner;
import io.github.saimjava.api.SaimKnn;
import io.github.saimjava.api.SaimLinearProbe;
import io.github.saimjava.api.SaimTrainer;
import io.github.saimjava.api.TrainingSummary;
import io.github.saimjava.api.spi.SaimProvider;
import io.github.saimjava.data.BatchLoader;
import io.github.saimjava.data.Datasets;
import io.github.saimjava.data.ImageDataset;
import io.github.saimjava.downstream.AttentiveProbe;
import io.github.saimjava.downstream.FineTuner;
import io.github.saimjava.downstream.Knn;
import io.github.saimjava.downstream.LinearProbe;
import io.github.saimjava.train.Pretrainer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Found by {@link java.util.ServiceLoader}: the API on DJL's PyTorch engine. */
public final class DjlSaimProvider implements SaimProvider {
  @Override
  public TrainingSummary fit(SaimTrainer.Spec trainer) throws IOException {
    ImageDataset data = Datasets.openUnlabelled(trainer.data());
    BatchLoader loader =
        new BatchLoader(
            data,
            trainer.batchSize(),
            trainer.config().imageSize(),
            trainer.config().channels(),
            trainer.augmentation(),
            trainer.seed(),
            trainer.loaderThreads(),
            trainer.skipBadImages());
    Distributed ranks = trainer.distributed();
    if (ranks != null) {
      // each rank decodes only its part of every global batch
      loader = loader.shard(ranks.rank(), ranks.worldSize());
    }
    return new Pretrainer(trainer, loader).run();
  }

  @Override
  public Classifier newClassifier(SaimClassifier.Spec spec) throws IOException {
    return new DjlClassifier(spec);
  }

  @Override
  public Encoder newEncoder(SaimEncoder.Spec spec) throws IOException {
    return new DjlEncoder(spec);
  }

  @Override
  public SaimFineTuner.Result fineTune(SaimFineTuner.Spec spec) throws IOException {
    return FineTuner.run(spec);
  }

  @Override
  public SaimLinearProbe.Result linearProbe(
      SaimLinearProbe.Spec spec,
      float[][] trainX,
      int[] trainY,
      float[][] valX,
      int[] valY,
      int classes) {
    LinearProbe.Settings settings =
        new LinearProbe.Settings(
            spec.epochs(),
            spec.batchSize(),
            spec.blrs().get(0),
            spec.weightDecay(),
            spec.warmupEpochs(),
            spec.seed());
    if (spec.blrs().size() == 1) {
      LinearProbe.Result r = LinearProbe.run(trainX, trainY, valX, valY, classes, settings);
      return probeResult(r, settings.blr(), List.of(), 0);
    }
    double[] blrs = spec.blrs().stream().mapToDouble(Double::doubleValue).toArray();
    LinearProbe.Sweep sw =
        LinearProbe.sweep(
            trainX, trainY, valX, valY, classes, settings, blrs, spec.heldOutFraction());
    List<SaimLinearProbe.Rate> rates = new ArrayList<>();
    for (LinearProbe.Rate r : sw.rates()) {
      rates.add(
          new SaimLinearProbe.Rate(
              r.blr(), r.validationTop1(), r.validationTop5(), r.top1(), r.top5(), r.trainLoss()));
    }
    return probeResult(sw.result(), blrs[sw.selected()], rates, sw.validationImages());
  }

  private static SaimLinearProbe.Result probeResult(
      LinearProbe.Result r, double blr, List<SaimLinearProbe.Rate> sweep, int heldOut) {
    LinearProbe.Head h = r.head();
    return new SaimLinearProbe.Result(
        r.top1(),
        r.top5(),
        r.trainLoss(),
        new SaimLinearProbe.Head(
            h.weight(), h.bias(), h.runningMean(), h.runningVar(), h.batchesTracked()),
        blr,
        sweep,
        heldOut);
  }

  @Override
  public SaimKnn.Result knn(
      SaimKnn.Spec spec,
      float[][] trainX,
      int[] trainY,
      float[][] testX,
      int[] testY,
      int classes) {
    return Knn.run(spec, trainX, trainY, testX, testY, classes);
  }

  @Override
  public SaimAttentiveProbe.Result attentiveProbe(
      SaimAttentiveProbe.Spec spec,
      float[][][] trainX,
      int[] trainY,
      float[][][] valX,
      int[] valY,
      int classes) {
    AttentiveProbe.Result r =
        AttentiveProbe.run(
            trainX,
            trainY,
            valX,
            valY,
            classes,
            new AttentiveProbe.Settings(
                spec.epochs(),
                spec.batchSize(),
                spec.blr(),
                spec.weightDecay(),
                spec.warmupEpochs(),
                spec.minLr(),
                spec.queries(),
                spec.heads(),
                spec.seed()));
    AttentiveProbe.Head h = r.head();
    return new SaimAttentiveProbe.Result(
        r.top1(),
        r.top5(),
        r.trainLoss(),
        new SaimAttentiveProbe.Head(
            h.runningMean(),
            h.runningVar(),
            h.batchesTracked(),
            h.queries(),
            h.wq(),
            h.wk(),
            h.wv(),
            h.weight(),
            h.bias(),
            h.heads()));
  }
}
