package io.github.saimjava.downstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.github.saimjava.api.EvaluationEvent;
import io.github.saimjava.api.SaimFineTuner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fine-tuner's settings, from the API's spec: named as the builder names them, the zoo rule of
 * every builder, the checks that need the data, the device.
 */
class FineTunerSettingsTest {
  @Test
  void aSettingOutOfRangeIsNamedWithItsValue(@TempDir Path dir) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> FineTunerTest.tiny(dir).layerDecay(1.5).build());
    assertEquals("layerDecay (1.5) must be in (0, 1]", e.getMessage());
    IllegalArgumentException odd =
        assertThrows(
            IllegalArgumentException.class,
            () -> FineTunerTest.run(FineTunerTest.tiny(dir).mixup(0.8).batchSize(15)));
    assertEquals("mixup and cutmix need an even batchSize, got 15", odd.getMessage());
    IllegalArgumentException both =
        assertThrows(
            IllegalArgumentException.class, () -> FineTunerTest.tiny(dir).blr(1e-3).build());
    assertEquals(
        "blr (0.001) and lr (0.005) are both set: give one of them (lr replaces the blr rule)",
        both.getMessage());
  }

  @Test
  void aZooNameWithAConfigIsRefused(@TempDir Path dir) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> FineTunerTest.tiny(dir).zoo("some_model").build());
    assertEquals(
        "a zoo model (some_model) brings its own architecture: give no config", e.getMessage());
  }

  @Test
  void aDeviceTheEngineDoesNotHaveIsRefusedNamingIt(@TempDir Path dir) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> FineTunerTest.run(FineTunerTest.tiny(dir).device(Device.gpu(64))));
    assertTrue(
        e.getMessage().startsWith("device gpu(64) is not there: the engine sees "), e.getMessage());
  }

  @Test
  void everyEpochsEvaluationReachesTheApisListenerAndTheResultHasNoNaN(@TempDir Path dir)
      throws Exception {
    List<EvaluationEvent> events = new ArrayList<>();
    SaimFineTuner.Result r =
        FineTunerTest.run(
            FineTunerTest.tiny(dir)
                .epochs(1)
                .lr(null)
                .blr(0.1)
                .clipGrad(1.0)
                .device(Device.cpu())
                .onEvaluation(events::add));
    assertEquals(1, events.size());
    EvaluationEvent e = events.get(0);
    assertEquals(0, e.epoch());
    assertTrue(e.best());
    assertEquals(r.bestTop1(), e.top1(), 0);
    assertEquals(r.finalTrainLoss().getAsDouble(), e.trainLoss(), 0);
  }
}
