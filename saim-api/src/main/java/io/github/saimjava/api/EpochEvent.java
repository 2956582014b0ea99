package io.github.saimjava.api;

/**
 * What the end of an epoch reports.
 *
 * @param epoch the epoch that ended (0-based)
 * @param meanLoss mean loss over its steps
 * @param steps optimiser steps done so far
 * @param seconds wall-clock seconds the epoch took
 */
public record EpochEvent(int epoch, double meanLoss, long steps, double seconds) {}
