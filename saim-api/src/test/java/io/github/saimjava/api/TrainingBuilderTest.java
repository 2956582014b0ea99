package io.github.saimjava.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The settings pre-training and fine-tuning share are set, copied and checked the same way. */
class TrainingBuilderTest {
  static <B extends TrainingBuilder<B>> B shared(B b) {
    return b.epochs(4)
        .batchSize(8)
        .accumIter(2)
        .lr(1e-3)
        .minLr(1e-6)
        .warmupEpochs(1)
        .weightDecay(0.1)
        .clipGrad(1.5)
        .seed(9)
        .threads(2)
        .precision(Precision.BF16)
        .loaderThreads(1)
        .outputDir(Path.of("out"))
        .resume(Path.of("old"))
        .autoResume(false)
        .onStep(e -> {});
  }

  @Test
  void bothBuildersTakeTheSharedSettingsAlike() {
    SaimTrainer.Spec t = shared(SaimTrainer.builder()).build().spec();
    SaimFineTuner.Spec f =
        shared(SaimFineTuner.builder().config(SaimConfig.vitTiny())).build().spec();
    assertEquals(4, t.epochs());
    assertEquals(t.epochs(), f.epochs());
    assertEquals(8, f.batchSize());
    assertEquals(t.batchSize(), f.batchSize());
    assertEquals(t.accumIter(), f.accumIter());
    assertEquals(t.seed(), f.seed());
    assertEquals(2, f.threads());
    assertEquals(t.threads(), f.threads());
    assertEquals(Precision.BF16, f.precision());
    assertEquals(t.precision(), f.precision());
    assertEquals(t.loaderThreads(), f.loaderThreads());
    assertEquals(Path.of("out"), f.outputDir());
    assertEquals(t.outputDir(), f.outputDir());
    assertEquals(t.resume(), f.resume());
    assertEquals(false, f.autoResume());
    assertEquals(1, f.stepListeners().size());
    assertEquals(t.stepListeners().size(), f.stepListeners().size());
    // the optimiser's settings differ only in each recipe's default blr (unused: lr is set) and
    // betas
    assertEquals(new OptimizerSettings(2e-4, 1e-3, 1e-6, 1, 0.1, 0.9, 0.95, 1.5), t.optimizer());
    assertEquals(new OptimizerSettings(1e-3, 1e-3, 1e-6, 1, 0.1, 0.9, 0.999, 1.5), f.optimizer());
    assertEquals(t.optimizer().peakLr(16), f.optimizer().peakLr(16), 0);
    assertEquals(1e-3, f.optimizer().peakLr(f.batchSize() * f.accumIter()), 0);
  }

  @Test
  void eachBuilderKeepsItsOwnDefaults() {
    SaimTrainer.Spec t = SaimTrainer.builder().build().spec();
    SaimFineTuner.Spec f = SaimFineTuner.builder().config(SaimConfig.vitTiny()).build().spec();
    assertEquals(1, t.epochs());
    assertEquals(100, f.epochs());
    assertEquals(2e-4, t.optimizer().blr(), 0);
    assertEquals(1e-3, f.optimizer().blr(), 0);
    assertEquals(0, t.optimizer().minLr(), 0);
    assertEquals(1e-6, f.optimizer().minLr(), 0);
    assertEquals(0, t.optimizer().warmupEpochs(), 0);
    assertEquals(5, f.optimizer().warmupEpochs(), 0);
    assertEquals(1, t.loaderThreads());
    assertEquals(2, f.loaderThreads());
    assertEquals(Path.of("saim-output"), t.outputDir());
    assertEquals(Path.of("finetune-output"), f.outputDir());
    assertEquals(64, t.batchSize());
    assertEquals(t.batchSize(), f.batchSize());
  }

  @Test
  void theBlrLrPairIsRefusedByBothWithOneMessage() {
    String want =
        "blr (0.001) and lr (0.002) are both set: give one of them (lr replaces the blr rule)";
    assertEquals(
        want,
        assertThrows(
                IllegalArgumentException.class,
                () -> SaimTrainer.builder().lr(2e-3).blr(1e-3).build())
            .getMessage());
    assertEquals(
        want,
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    SaimFineTuner.builder().config(SaimConfig.vitTiny()).lr(2e-3).blr(1e-3).build())
            .getMessage());
  }

  @Test
  void toBuilderCopiesTheSharedSettingsOfBoth() {
    SaimTrainer t = shared(SaimTrainer.builder()).build();
    SaimFineTuner f = shared(SaimFineTuner.builder().config(SaimConfig.vitTiny())).build();
    assertEquals(t.spec(), t.toBuilder().build().spec());
    assertEquals(f.spec(), f.toBuilder().build().spec());
    assertEquals(3, t.toBuilder().epochs(3).build().spec().epochs());
    assertEquals(4, t.spec().epochs());
  }
}
