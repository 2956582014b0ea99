package io.github.saimjava.api;

/**
 * What a training step reports.
 *
 * @param step optimiser steps done so far (1 after the first)
 * @param totalSteps optimiser steps the run will take
 * @param epoch fractional epoch at the end of the step
 * @param loss the step's loss (mean over its accumulated micro-batches)
 * @param lr the learning rate the step used
 * @param imagesPerSecond throughput since the run (or resume) started
 * @param etaSeconds estimated seconds to the end of the run
 */
public record StepEvent(
    long step,
    long totalSteps,
    double epoch,
    double loss,
    double lr,
    double imagesPerSecond,
    double etaSeconds) {}
