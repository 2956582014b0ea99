package io.github.saimjava.api;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** Argument checks whose messages name the value at fault. */
final class Checks {
  private Checks() {}

  static void check(boolean ok, String template, @Nullable Object... args) {
    if (!ok) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, template, args));
    }
  }

  /** {@return value} when it is present; else throws with the message, as {@link #check} does. */
  static <T> T present(@Nullable T value, String template, @Nullable Object... args) {
    if (value == null) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, template, args));
    }
    return value;
  }

  /**
   * Checks a run's warm-up against its length, as pre-training and fine-tuning both do.
   *
   * @param optimizer the run's optimiser settings
   * @param epochs the run's epochs
   */
  static void warmupWithin(OptimizerSettings optimizer, int epochs) {
    check(
        optimizer.warmupEpochs() >= 0 && optimizer.warmupEpochs() <= epochs,
        "warmupEpochs (%s) must be in [0, epochs (%s)]",
        optimizer.warmupEpochs(),
        epochs);
  }
}
