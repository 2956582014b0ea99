package io.github.saimjava.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The trainer's builder hands off an immutable value and refuses conflicting settings. */
class SaimTrainerBuilderTest {
  @Test
  void blrAndLrTogetherAreRefusedNamingBoth() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> SaimTrainer.builder().blr(1e-3).lr(2e-3).build());
    assertEquals(
        "blr (0.001) and lr (0.002) are both set: give one of them (lr replaces the blr rule)",
        e.getMessage());
    // the order they are given in does not matter: no setter silently clears the other
    assertThrows(
        IllegalArgumentException.class, () -> SaimTrainer.builder().lr(2e-3).blr(1e-3).build());
  }

  @Test
  void eitherLearningRateAloneSetsThePeak() {
    assertEquals(
        1e-3 * 128 / 256, SaimTrainer.builder().batchSize(128).blr(1e-3).build().peakLr(), 0);
    assertEquals(2e-3, SaimTrainer.builder().batchSize(128).lr(2e-3).build().peakLr(), 0);
    assertEquals(2e-4 * 64 / 256, SaimTrainer.builder().build().peakLr(), 0);
  }

  @Test
  void toBuilderVariesACopyAndLeavesTheTrainerAsItWas() {
    SaimTrainer a =
        SaimTrainer.builder()
            .epochs(3)
            .batchSize(32)
            .accumIter(2)
            .lr(1e-3)
            .clipGrad(1.0)
            .seed(7)
            .outputDir(Path.of("runs/a"))
            .onStep(e -> {})
            .build();
    SaimTrainer b = a.toBuilder().epochs(5).outputDir(Path.of("runs/b")).build();
    assertEquals(3, a.spec().epochs());
    assertEquals(Path.of("runs/a"), a.spec().outputDir());
    assertEquals(5, b.spec().epochs());
    assertEquals(Path.of("runs/b"), b.spec().outputDir());
    assertEquals(a.spec().batchSize(), b.spec().batchSize());
    assertEquals(a.spec().effectiveBatchSize(), b.spec().effectiveBatchSize());
    assertEquals(a.peakLr(), b.peakLr(), 0);
    assertEquals(a.spec().optimizer().clipGrad(), b.spec().optimizer().clipGrad());
    assertEquals(a.spec().seed(), b.spec().seed());
    assertEquals(1, b.spec().stepListeners().size());
    // the copy keeps the absolute lr, so adding a blr to it is the same conflict
    assertThrows(IllegalArgumentException.class, () -> a.toBuilder().blr(1e-3).build());
    assertEquals(1e-3 * 64 / 256, a.toBuilder().lr(null).blr(1e-3).build().peakLr(), 0);
  }

  @Test
  void theSpecRoundTripsThroughToBuilderAndCannotBeChanged() {
    SaimTrainer a =
        SaimTrainer.builder()
            .epochs(4)
            .warmupEpochs(1)
            .batchSize(8)
            .blr(1e-3)
            .minLr(1e-6)
            .betas(0.8, 0.9)
            .clipGrad(3.0)
            .data(Path.of("images"))
            .resume(Path.of("runs/old"))
            .devices(Device.cpu(), Device.cpu())
            .precision(Precision.BF16)
            .onEpoch(e -> {})
            .build();
    assertEquals(a.spec(), a.toBuilder().build().spec());
    assertEquals(a.spec().hashCode(), a.toBuilder().build().spec().hashCode());
    assertThrows(UnsupportedOperationException.class, () -> a.spec().devices().add(Device.cpu()));
    assertThrows(UnsupportedOperationException.class, () -> a.spec().epochListeners().add(e -> {}));
    // a Spec built directly is checked as the builder's is
    SaimTrainer.Spec s = a.spec();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new SaimTrainer.Spec(
                    s.config(),
                    s.data(),
                    0,
                    s.maxSteps(),
                    s.batchSize(),
                    s.accumIter(),
                    s.optimizer(),
                    s.seed(),
                    s.order(),
                    s.augmentation(),
                    s.outputDir(),
                    s.checkpointEvery(),
                    s.keepWeightsEvery(),
                    s.knnEvery(),
                    s.knnData(),
                    s.knnImages(),
                    s.resume(),
                    s.autoResume(),
                    s.threads(),
                    s.devices(),
                    s.distributed(),
                    s.loaderThreads(),
                    s.precision(),
                    s.skipBadImages(),
                    s.logEvery(),
                    s.stepListeners(),
                    s.epochListeners()));
    assertEquals("epochs (0) must be positive", e.getMessage());
  }

  @Test
  void settingsOutOfRangeAreNamedAsTheBuilderNamesThem() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> SaimTrainer.builder().accumIter(0).build());
    assertEquals("accumIter (0) must be positive", e.getMessage());
  }

  @Test
  void theKnnMonitorIsOffByDefaultAndItsSettingsAreChecked() {
    assertEquals(0, SaimTrainer.builder().build().spec().knnEvery());
    SaimTrainer t = SaimTrainer.builder().knnEvery(50).knnData(Path.of("labelled")).build();
    assertEquals(50, t.toBuilder().build().spec().knnEvery());
    assertEquals(Path.of("labelled"), t.toBuilder().build().spec().knnData());
    assertEquals(
        "knnEvery (-1) must be 0 (none) or positive",
        assertThrows(
                IllegalArgumentException.class, () -> SaimTrainer.builder().knnEvery(-1).build())
            .getMessage());
    assertEquals(
        "knnData is set but knnEvery is 0: the monitor would never run",
        assertThrows(
                IllegalArgumentException.class,
                () -> SaimTrainer.builder().knnData(Path.of("labelled")).build())
            .getMessage());
    assertEquals(SaimTrainer.DEFAULT_KNN_IMAGES, t.spec().knnImages());
    assertEquals(300, t.toBuilder().knnImages(300).build().spec().knnImages());
    assertEquals(SaimTrainer.DEFAULT_KNN_IMAGES, t.spec().knnImages(), "the original changed");
    assertEquals(
        "knnImages (-5) must be 0 (all) or positive",
        assertThrows(IllegalArgumentException.class, () -> t.toBuilder().knnImages(-5).build())
            .getMessage());
    assertEquals(
        "knnImages is set but knnEvery is 0: the monitor would never run",
        assertThrows(
                IllegalArgumentException.class, () -> SaimTrainer.builder().knnImages(0).build())
            .getMessage());
  }

  @Test
  void theOptimiserSettingsAreOneValue() {
    SaimTrainer t =
        SaimTrainer.builder()
            .batchSize(128)
            .blr(1e-3)
            .minLr(1e-6)
            .warmupEpochs(0.5)
            .clipGrad(2.0)
            .epochs(2)
            .build();
    assertEquals(
        new OptimizerSettings(1e-3, null, 1e-6, 0.5, 0.05, 0.9, 0.95, 2.0), t.spec().optimizer());
    assertEquals(t.peakLr(), t.spec().optimizer().peakLr(t.spec().effectiveBatchSize()), 0);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new OptimizerSettings(1e-3, null, 0, 0, 0.05, 0.9, 1.0, null));
    assertEquals("beta1 (0.9) and beta2 (1.0) must be in [0, 1)", e.getMessage());
  }
}
