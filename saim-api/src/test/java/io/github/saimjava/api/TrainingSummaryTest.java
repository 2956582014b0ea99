package io.github.saimjava.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

/** A training summary holds no NaN: a figure that is not known is empty. */
class TrainingSummaryTest {
  @Test
  void aNaNLossIsRefusedAndAnUnknownOneIsEmpty() {
    Path w = Path.of("final.safetensors");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new TrainingSummary(
                    3,
                    24,
                    OptionalDouble.of(Double.NaN),
                    OptionalDouble.of(1),
                    OptionalDouble.of(24),
                    w,
                    0));
    assertEquals(
        "finalLoss is NaN: give an empty OptionalDouble for a loss that is not known",
        e.getMessage());
    TrainingSummary unknown =
        new TrainingSummary(
            3, 24, OptionalDouble.empty(), OptionalDouble.empty(), OptionalDouble.empty(), w, 3);
    assertTrue(unknown.alreadyFinished());
    assertTrue(unknown.finalLoss().isEmpty());
    TrainingSummary fresh =
        new TrainingSummary(
            3, 24, OptionalDouble.of(0.5), OptionalDouble.of(2), OptionalDouble.of(12), w, 0);
    assertFalse(fresh.alreadyFinished());
    assertEquals(0.5, fresh.finalLoss().orElseThrow(), 0);
  }
}
