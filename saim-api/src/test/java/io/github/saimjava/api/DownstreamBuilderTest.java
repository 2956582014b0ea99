package io.github.saimjava.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The fine-tuner's and the probes' builders: immutable specs, the reference's defaults,
 * settings-worded errors, the trainer's rules for blr and lr and for a zoo name with a config.
 */
class DownstreamBuilderTest {
  private static SaimFineTuner.Builder fromCheckpoint() {
    return SaimFineTuner.builder().checkpoint(Path.of("final.safetensors"));
  }

  @Test
  void fineTunerDefaultsAreTheReferenceScripts() {
    SaimFineTuner.Spec s = fromCheckpoint().build().spec();
    assertEquals(100, s.epochs());
    assertEquals(64, s.batchSize());
    assertEquals(new OptimizerSettings(1e-3, null, 1e-6, 5, 0.05, 0.9, 0.999, null), s.optimizer());
    assertEquals(0.75, s.layerDecay(), 0);
    assertEquals(0.1, s.dropPath(), 0);
    assertEquals(0.1, s.smoothing(), 0);
    assertEquals(0.25, s.reprob(), 0);
    assertEquals("rand-m9-mstd0.5-inc1", s.autoAugment());
    assertTrue(s.globalPool());
    assertTrue(s.autoResume());
    assertEquals(List.of(), s.cutmixMinMax());
    assertEquals(1e-3 * 64 / 256, fromCheckpoint().build().peakLr(), 0);
  }

  @Test
  void fineTunerBlrAndLrTogetherAreRefusedNamingBoth() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> fromCheckpoint().lr(2e-3).blr(5e-4).build());
    assertEquals(
        "blr (5.0E-4) and lr (0.002) are both set: give one of them (lr replaces the blr rule)",
        e.getMessage());
    assertEquals(2e-3, fromCheckpoint().lr(2e-3).build().peakLr(), 0);
  }

  @Test
  void fineTunerRefusesAZooNameWithAConfigOrACheckpoint() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SaimFineTuner.builder().zoo("z").config(SaimConfig.vitTiny()).build());
    assertEquals("a zoo model (z) brings its own architecture: give no config", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> fromCheckpoint().zoo("z").build());
    assertEquals(
        "zoo (z) and checkpoint (final.safetensors): give one of them, not both", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> SaimFineTuner.builder().build());
    assertEquals(
        "fine-tuning needs a checkpoint, a zoo name or a config (for random initialisation)",
        e.getMessage());
  }

  @Test
  void fineTunerMessagesNameTheSettingAndItsValue() {
    assertEquals(
        "layerDecay (1.5) must be in (0, 1]",
        assertThrows(IllegalArgumentException.class, () -> fromCheckpoint().layerDecay(1.5).build())
            .getMessage());
    assertEquals(
        "warmupEpochs (5.0) must be in [0, epochs (2)]",
        assertThrows(
                IllegalArgumentException.class,
                () -> fromCheckpoint().epochs(2).warmupEpochs(5).build())
            .getMessage());
    // saim finetune's wording for the schedule's ranges, as the fine-tuner had it
    assertEquals(
        "minLr (-1.0) must be in [0, peak lr (2.5E-4)]",
        assertThrows(IllegalArgumentException.class, () -> fromCheckpoint().minLr(-1).build())
            .getMessage());
    assertEquals(
        "warmupEpochs (-1.0) must be in [0, epochs (100)]",
        assertThrows(
                IllegalArgumentException.class, () -> fromCheckpoint().warmupEpochs(-1).build())
            .getMessage());
    assertEquals(
        "evalOnly needs a fine-tuned checkpoint (with its head)",
        assertThrows(
                IllegalArgumentException.class,
                () -> SaimFineTuner.builder().zoo("z").evalOnly(true).build())
            .getMessage());
  }

  @Test
  void fineTunerDefaultWarmUpIsTheReferencesFiveEpochsOrTheWholeShorterRun() {
    assertEquals(5.0, fromCheckpoint().epochs(6).build().spec().optimizer().warmupEpochs(), 0);
    assertEquals(1.0, fromCheckpoint().epochs(1).build().spec().optimizer().warmupEpochs(), 0);
    assertEquals(3.0, fromCheckpoint().epochs(3).build().spec().optimizer().warmupEpochs(), 0);
    // a warm-up given explicitly is kept, and checked against the epochs
    assertEquals(
        0.5,
        fromCheckpoint().epochs(1).warmupEpochs(0.5).build().spec().optimizer().warmupEpochs(),
        0);
  }

  @Test
  void fineTunerToBuilderRebuildsAnEqualSpecAndLeavesTheOriginal() {
    SaimFineTuner ft =
        fromCheckpoint()
            .epochs(3)
            .lr(2e-3)
            .cutmixMinMax(0.2, 0.8)
            .device(ai.djl.Device.cpu())
            .onStep(e -> {})
            .build();
    SaimFineTuner.Spec again = ft.toBuilder().build().spec();
    assertEquals(ft.spec(), again);
    SaimFineTuner.Spec varied = ft.toBuilder().epochs(4).build().spec();
    assertEquals(4, varied.epochs());
    assertEquals(3, ft.spec().epochs());
    assertEquals(ai.djl.Device.cpu(), varied.device());
  }

  @Test
  void fineTunerValidationSplitMustLeaveTrainingImages() {
    SaimFineTuner.Spec s = fromCheckpoint().trainImages(128).validationSplit(32).build().spec();
    assertEquals(128, s.trainImages());
    assertEquals(32, s.validationSplit());
    assertEquals(0, fromCheckpoint().build().spec().trainImages());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> fromCheckpoint().trainImages(32).validationSplit(32).build());
    assertEquals(
        "validationSplit (32) must be 0 (none) or fewer than trainImages (32)", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> fromCheckpoint().trainImages(-1).build());
    assertEquals("trainImages (-1) must be 0 (all) or positive", e.getMessage());
  }

  @Test
  void fineTunerBuildLeavesTheBuilderAsItWas() {
    SaimFineTuner.Builder b = fromCheckpoint().epochs(3).warmupEpochs(1).onEvaluation(e -> {});
    SaimFineTuner first = b.build();
    SaimFineTuner second = b.epochs(4).onStep(e -> {}).build();
    assertEquals(3, first.spec().epochs());
    assertEquals(0, first.spec().stepListeners().size());
    assertEquals(4, second.spec().epochs());
    assertEquals(1, second.spec().stepListeners().size());
    assertEquals(1, second.spec().evaluationListeners().size());
    assertFalse(first.spec().evalOnly());
  }

  @Test
  void linearProbeDefaultsAreThePapersButTheBatch() {
    assertEquals(
        new SaimLinearProbe.Spec(90, 256, List.of(0.1), 0, 0, 0, 0.1, null),
        SaimLinearProbe.builder().build().spec());
  }

  @Test
  void linearProbeSweepMessagesNameTheRateAtFault() {
    assertEquals(
        "blr (NaN) must be positive",
        assertThrows(
                IllegalArgumentException.class,
                () -> SaimLinearProbe.builder().blrs(0.1, Double.NaN).build())
            .getMessage());
    assertEquals(
        "blr (0.4) is listed twice",
        assertThrows(
                IllegalArgumentException.class,
                () -> SaimLinearProbe.builder().blrs(0.4, 1.6, 0.4).build())
            .getMessage());
    assertEquals(
        "blrs must hold at least one base learning rate",
        assertThrows(IllegalArgumentException.class, () -> SaimLinearProbe.builder().blrs().build())
            .getMessage());
    assertEquals(
        "heldOutFraction (1.0) must be in (0, 1)",
        assertThrows(
                IllegalArgumentException.class,
                () -> SaimLinearProbe.builder().heldOutFraction(1).build())
            .getMessage());
  }

  @Test
  void linearProbeBlrReplacesASweep() {
    assertEquals(
        List.of(0.4), SaimLinearProbe.builder().blrs(0.1, 1.6).blr(0.4).build().spec().blrs());
  }

  @Test
  void linearProbeMessagesNameTheSettingAndItsValue() {
    assertEquals(
        "blr (-1.0) must be positive",
        assertThrows(
                IllegalArgumentException.class, () -> SaimLinearProbe.builder().blr(-1).build())
            .getMessage());
    assertEquals(
        "epochs (0) must be positive",
        assertThrows(
                IllegalArgumentException.class, () -> SaimLinearProbe.builder().epochs(0).build())
            .getMessage());
  }

  @Test
  void linearProbeToBuilderRebuildsAnEqualSpecWithItsDevice() {
    SaimLinearProbe p =
        SaimLinearProbe.builder()
            .epochs(7)
            .blrs(0.1, 1.6)
            .heldOutFraction(0.25)
            .seed(5)
            .device(Device.cpu())
            .build();
    assertEquals(Device.cpu(), p.spec().device());
    assertEquals(p.spec(), p.toBuilder().build().spec());
    SaimLinearProbe.Spec varied = p.toBuilder().seed(6).build().spec();
    assertEquals(6, varied.seed());
    assertEquals(5, p.spec().seed());
    assertEquals(List.of(0.1, 1.6), varied.blrs());
    assertEquals(Device.cpu(), varied.device());
  }

  @Test
  void linearProbeRefusesAGpuInOneLineNamingIt() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SaimLinearProbe.builder().device(Device.gpu(0)).build());
    assertEquals(
        "device (gpu(0)) must be the CPU: the linear probe computes on the host (give the GPU to"
            + " the encoder that extracts the features)",
        e.getMessage());
  }

  @Test
  void attentiveProbeAndKnnSpecsCarryTheirDeviceAndDefaultToNone() {
    assertEquals(null, SaimAttentiveProbe.builder().build().spec().device());
    assertEquals(
        Device.gpu(1), SaimAttentiveProbe.builder().device(Device.gpu(1)).build().spec().device());
    assertEquals(null, SaimKnn.builder().build().spec().device());
    assertEquals(Device.gpu(2), SaimKnn.builder().device(Device.gpu(2)).build().spec().device());
  }

  @Test
  void attentiveProbeToBuilderRebuildsAnEqualSpecAndLeavesTheOriginal() {
    // every setting away from its default, so that one the copy forgot shows as a difference
    SaimAttentiveProbe p =
        SaimAttentiveProbe.builder()
            .epochs(7)
            .batchSize(32)
            .blr(2e-3)
            .weightDecay(0.1)
            .warmupEpochs(2)
            .minLr(1e-5)
            .queries(4)
            .heads(2)
            .seed(5)
            .device(Device.gpu(1))
            .build();
    assertEquals(p.spec(), p.toBuilder().build().spec());
    SaimAttentiveProbe.Spec varied = p.toBuilder().queries(3).build().spec();
    assertEquals(3, varied.queries());
    assertEquals(4, p.spec().queries());
    assertEquals(
        new SaimAttentiveProbe.Spec(7, 32, 2e-3, 0.1, 2, 1e-5, 3, 2, 5, Device.gpu(1)), varied);
  }

  @Test
  void knnToBuilderRebuildsAnEqualSpecAndLeavesTheOriginal() {
    SaimKnn knn =
        SaimKnn.builder().k(5).temperature(0.1).batchSize(64).device(Device.gpu(2)).build();
    assertEquals(knn.spec(), knn.toBuilder().build().spec());
    SaimKnn.Spec varied = knn.toBuilder().k(9).build().spec();
    assertEquals(new SaimKnn.Spec(9, 0.1, 64, Device.gpu(2)), varied);
    assertEquals(new SaimKnn.Spec(5, 0.1, 64, Device.gpu(2)), knn.spec());
  }
}
