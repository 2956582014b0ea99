package io.github.saimjava.api;

import java.nio.file.Path;

/**
 * The outcome of {@link SaimTrainer#fit()}.
 *
 * @param steps optimiser steps taken in total (including those before a resume)
 * @param images images processed in total
 * @param finalLoss loss of the last step
 * @param seconds wall-clock seconds of this run (since start or resume)
 * @param imagesPerSecond images per second of this run
 * @param finalWeights the safetensors file holding the final weights (reference names)
 * @param resumedFromStep the step the run resumed from, 0 for a fresh run
 */
public record TrainingSummary(long steps, long images, double finalLoss, double seconds,
    double imagesPerSecond, Path finalWeights, long resumedFromStep) {}
