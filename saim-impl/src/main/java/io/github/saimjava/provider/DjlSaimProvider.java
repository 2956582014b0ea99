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
    return LinearProbe.run(spec, trainX, trainY, valX, valY, classes);
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
    AttentiveProbe.Result r = AttentiveProbe.run(spec, trainX, trainY, valX, valY, classes);
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
