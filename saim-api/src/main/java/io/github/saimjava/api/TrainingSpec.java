package io.github.saimjava.api;

import java.nio.file.Path;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What {@link SaimTrainer.Spec} and {@link SaimFineTuner.Spec} hold of {@link TrainingBuilder}'s
 * settings, read back by {@link TrainingBuilder#copy} for {@code toBuilder()}.
 */
interface TrainingSpec {
  int epochs();

  int batchSize();

  int accumIter();

  OptimizerSettings optimizer();

  long seed();

  int threads();

  Precision precision();

  int loaderThreads();

  Path outputDir();

  @Nullable Path resume();

  boolean autoResume();

  List<StepListener> stepListeners();
}
