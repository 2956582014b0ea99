package io.github.saimjava.api.spi;

import io.github.saimjava.api.SaimTrainer;
import io.github.saimjava.api.TrainingSummary;
import java.io.IOException;
import java.util.ServiceLoader;

/**
 * Implements the API on an engine. Registered with {@link ServiceLoader}; the first provider found
 * is used.
 */
public interface SaimProvider {
  /** Runs the pre-training {@code trainer} describes. */
  TrainingSummary fit(SaimTrainer trainer) throws IOException;

  /**
   * The provider on the class path.
   *
   * @throws IllegalStateException when none is, saying which artifact to add
   */
  static SaimProvider load() {
    return ServiceLoader.load(SaimProvider.class)
        .findFirst()
        .orElseThrow(() -> new IllegalStateException(
            "no saim-java implementation found: add io.github.saimjava:saim-impl to the class path"));
  }
}
