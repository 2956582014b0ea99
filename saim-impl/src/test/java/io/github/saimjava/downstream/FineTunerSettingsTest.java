package io.github.saimjava.downstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fine-tuner's builder: settings named as the builder names them, the zoo rule of every builder. */
class FineTunerSettingsTest {
  @Test
  void aSettingOutOfRangeIsNamedWithItsValue(@TempDir Path dir) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FineTunerTest.tiny(dir).layerDecay(1.5).build());
    assertEquals("layerDecay (1.5) must be in (0, 1]", e.getMessage());
    IllegalArgumentException odd = assertThrows(IllegalArgumentException.class,
        () -> FineTunerTest.tiny(dir).mixup(0.8).batchSize(15).build());
    assertEquals("mixup and cutmix need an even batchSize, got 15", odd.getMessage());
  }

  @Test
  void aZooNameWithAConfigIsRefused(@TempDir Path dir) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FineTunerTest.tiny(dir).zoo("some_model").build());
    assertEquals("a zoo model (some_model) brings its own architecture: give no config", e.getMessage());
  }
}
