package io.github.saimjava.train;

import java.util.Locale;

/**
 * Where the time of a data-parallel run's gradient all-reduce goes ({@link
 * Ranks#averageGradients}), summed over the optimiser steps since the last {@link #take()}, which
 * reports the mean per step as the {@code allreduce_*} fields of a {@code metrics.jsonl} step line.
 * Timed with {@link System#nanoTime()} around each part, a few calls per step.
 */
final class AllReduceProfile {
  private long steps;
  private long total;
  private long copyOut;
  private long wait;
  private long wire;
  private long reduce;
  private long copyIn;

  /** Adds one step's nanoseconds: the whole exchange and its five parts. */
  void add(long total, long copyOut, long wait, long wire, long reduce, long copyIn) {
    steps++;
    this.total += Math.max(0, total);
    this.copyOut += Math.max(0, copyOut);
    this.wait += Math.max(0, wait);
    this.wire += Math.max(0, wire);
    this.reduce += Math.max(0, reduce);
    this.copyIn += Math.max(0, copyIn);
  }

  /**
   * The mean seconds per step of each part since the last call, as JSON members to append to a step
   * line (each with a leading comma), and starts counting afresh; empty when no step was added (one
   * rank alone).
   */
  String take() {
    if (steps == 0) {
      return "";
    }
    double n = steps * 1e9;
    String fields =
        String.format(
            Locale.ROOT,
            ",\"allreduce_s\":%.6f,\"allreduce_copy_out_s\":%.6f,\"allreduce_wait_s\":%.6f,"
                + "\"allreduce_wire_s\":%.6f,\"allreduce_reduce_s\":%.6f,"
                + "\"allreduce_copy_in_s\":%.6f",
            total / n,
            copyOut / n,
            wait / n,
            wire / n,
            reduce / n,
            copyIn / n);
    steps = 0;
    total = 0;
    copyOut = 0;
    wait = 0;
    wire = 0;
    reduce = 0;
    copyIn = 0;
    return fields;
  }
}
