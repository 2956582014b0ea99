package io.github.saimjava.api;

import java.nio.file.Path;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * The outcome of {@link SaimTrainer#fit()}.
 *
 * <p>When the output folder already holds a finished run of the same settings (a program run
 * twice), {@code fit()} trains nothing and returns that run's figures: {@link #alreadyFinished()}
 * is true, and the loss, seconds and images per second are those of the session that finished it
 * (read from its {@code metrics.jsonl}); when that log is gone, they are empty.
 *
 * @param steps optimiser steps taken in total (including those before a resume)
 * @param images images processed in total
 * @param finalLoss loss of the last step; empty only for a finished run whose log is gone
 * @param seconds wall-clock seconds of this run (since start or resume); empty as {@code finalLoss}
 * @param imagesPerSecond images per second of this run; empty as {@code finalLoss}
 * @param finalWeights the safetensors file holding the final weights (reference names)
 * @param resumedFromStep the step the run resumed from, 0 for a fresh run
 */
public record TrainingSummary(
    long steps,
    long images,
    OptionalDouble finalLoss,
    OptionalDouble seconds,
    OptionalDouble imagesPerSecond,
    Path finalWeights,
    long resumedFromStep) {
  /**
   * Checks the values.
   *
   * @param steps see {@link #steps()}
   * @param images see {@link #images()}
   * @param finalLoss see {@link #finalLoss()}
   * @param seconds see {@link #seconds()}
   * @param imagesPerSecond see {@link #imagesPerSecond()}
   * @param finalWeights see {@link #finalWeights()}
   * @param resumedFromStep see {@link #resumedFromStep()}
   */
  public TrainingSummary {
    Objects.requireNonNull(finalLoss, "finalLoss");
    Objects.requireNonNull(seconds, "seconds");
    Objects.requireNonNull(imagesPerSecond, "imagesPerSecond");
    Objects.requireNonNull(finalWeights, "finalWeights");
    Checks.check(
        !(finalLoss.isPresent() && Double.isNaN(finalLoss.getAsDouble())),
        "finalLoss is NaN: give an empty OptionalDouble for a loss that is not known");
  }

  /** {@return whether the run was already finished, so that this call trained nothing} */
  public boolean alreadyFinished() {
    return steps > 0 && resumedFromStep == steps;
  }
}
