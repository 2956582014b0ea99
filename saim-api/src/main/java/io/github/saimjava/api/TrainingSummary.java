package io.github.saimjava.api;

import java.nio.file.Path;

/**
 * The outcome of {@link SaimTrainer#fit()}.
 *
 * <p>When the output folder already holds a finished run of the same settings (a program run
 * twice), {@code fit()} trains nothing and returns that run's figures: {@link #alreadyFinished()}
 * is true, and the loss, seconds and images per second are those of the session that finished it
 * (read from its {@code metrics.jsonl}).
 *
 * @param steps optimiser steps taken in total (including those before a resume)
 * @param images images processed in total
 * @param finalLoss loss of the last step
 * @param seconds wall-clock seconds of this run (since start or resume)
 * @param imagesPerSecond images per second of this run
 * @param finalWeights the safetensors file holding the final weights (reference names)
 * @param resumedFromStep the step the run resumed from, 0 for a fresh run
 */
public record TrainingSummary(
    long steps,
    long images,
    double finalLoss,
    double seconds,
    double imagesPerSecond,
    Path finalWeights,
    long resumedFromStep) {

  /** {@return whether the run was already finished, so that this call trained nothing} */
  public boolean alreadyFinished() {
    return steps > 0 && resumedFromStep == steps;
  }
}
