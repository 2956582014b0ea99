package io.github.saimjava.benchmarks.reproduce;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a reproduction measured so far: one outcome per encoder and seed, and the raw-pixel floor.
 *
 * @param plan what was run
 * @param trainData the pre-training and probe-training images
 * @param testData the evaluation images
 * @param pixels the probe on raw pixels, one per seed (absent where not yet run)
 * @param encoders one per variant and seed, in the plan's order
 */
public record Report(
    Plan plan, String trainData, String testData, List<Probe> pixels, List<Encoder> encoders) {
  /** Copies the lists. */
  public Report {
    pixels = List.copyOf(pixels);
    encoders = List.copyOf(encoders);
  }

  /**
   * A linear probe's result.
   *
   * @param seed the probe's seed (shuffling and head initialisation)
   * @param top1 test top-1 accuracy in percent
   * @param top5 test top-5 accuracy in percent
   * @param trainLoss mean cross-entropy of the last probe epoch
   * @param seconds time the probe (and, for encoders, the feature extraction) took when it ran
   */
  public record Probe(long seed, double top1, double top5, double trainLoss, double seconds) {}

  /**
   * One pre-training run as its log records it.
   *
   * @param steps optimiser steps done
   * @param totalSteps optimiser steps of the whole budget
   * @param finalLoss loss of the last logged step
   * @param seconds sum of the finished epochs' times (over every process that worked on it)
   */
  public record Pretraining(long steps, long totalSteps, double finalLoss, double seconds) {
    /** Whether the whole budget was trained. */
    public boolean finished() {
      return steps >= totalSteps;
    }
  }

  /**
   * A short fine-tune's result.
   *
   * @param top1 test top-1 accuracy in percent after the last epoch
   * @param top5 test top-5 accuracy in percent after the last epoch
   * @param bestTop1 the best epoch's test top-1 (reported in the JSON only: choosing by test
   *     accuracy flatters)
   * @param epochs epochs done
   * @param seconds sum of the epochs' times
   */
  public record FineTune(double top1, double top5, double bestTop1, int epochs, double seconds) {}

  /**
   * One encoder of the table.
   *
   * @param variant how it was (or was not) pre-trained
   * @param seed its seed
   * @param pretraining its pre-training so far (null for random init, or when none started)
   * @param probe its linear probe (null until run)
   * @param fineTune its short fine-tune (null until run)
   */
  public record Encoder(
      Variant variant,
      long seed,
      @Nullable Pretraining pretraining,
      @Nullable Probe probe,
      @Nullable FineTune fineTune) {}
}
