package io.github.saimjava.train;

/**
 * The reference's per-iteration schedule: linear warm-up from 0 to the peak over {@code
 * warmupEpochs}, then a half-cycle cosine down to {@code minLr} at {@code epochs}. Epochs are
 * fractional: {@code epoch + iteration / iterationsPerEpoch}.
 */
// StrictMath: java.lang.Math may differ by an ulp between interpreted and compiled code, and a
// one-ulp change of the learning rate is enough to make a resumed run differ from an uninterrupted
// one
public record LrSchedule(double peakLr, double minLr, double warmupEpochs, double epochs) {
  /** The learning rate at fractional epoch {@code e}. */
  public double at(double e) {
    if (e < warmupEpochs) {
      return peakLr * e / warmupEpochs;
    }
    if (epochs <= warmupEpochs) {
      return peakLr;
    }
    double progress = (e - warmupEpochs) / (epochs - warmupEpochs);
    return minLr + (peakLr - minLr) * 0.5 * (1 + StrictMath.cos(Math.PI * progress));
  }
}
