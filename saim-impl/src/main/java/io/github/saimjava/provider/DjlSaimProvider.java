package io.github.saimjava.provider;

import io.github.saimjava.api.SaimClassifier;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.api.SaimTrainer;
import io.github.saimjava.api.TrainingSummary;
import io.github.saimjava.api.spi.SaimProvider;
import io.github.saimjava.data.BatchLoader;
import io.github.saimjava.data.Datasets;
import io.github.saimjava.data.ImageDataset;
import io.github.saimjava.train.Pretrainer;
import java.io.IOException;

/** Found by {@link java.util.ServiceLoader}: the API on DJL's PyTorch engine. */
public final class DjlSaimProvider implements SaimProvider {
  @Override
  public TrainingSummary fit(SaimTrainer trainer) throws IOException {
    ImageDataset data = Datasets.openUnlabelled(trainer.data().orElse(null));
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
    if (trainer.distributed().isPresent()) {
      // each rank decodes only its part of every global batch
      loader =
          loader.shard(trainer.distributed().get().rank(), trainer.distributed().get().worldSize());
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
}
