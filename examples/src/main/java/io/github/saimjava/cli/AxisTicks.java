package io.github.saimjava.cli;

import java.util.Locale;

/**
 * Round tick marks for a chart axis: a step of 1, 2 or 5 times a power of ten, ticks at its
 * multiples, the first at or below the data's smallest value and the last at or above its largest,
 * so the axis runs from the first tick to the last. Between 3 and {@link #MAX} ticks.
 *
 * @param step the distance between two ticks
 * @param first the first tick's multiple of {@code step}
 * @param count the number of ticks
 */
record AxisTicks(double step, long first, int count) {
  /** The most ticks an axis gets: the smallest round step that keeps within it is taken. */
  static final int MAX = 6;

  /**
   * The ticks of an axis over {@code [lo, hi]}.
   *
   * @param integers whether the values are counts (steps of a run): then no step is below 1
   * @throws IllegalArgumentException when a bound is not finite or {@code lo > hi}
   */
  static AxisTicks of(double lo, double hi, boolean integers) {
    if (!Double.isFinite(lo) || !Double.isFinite(hi) || lo > hi) {
      throw new IllegalArgumentException("no axis over [" + lo + ", " + hi + "]");
    }
    double from = lo;
    double to = hi;
    if (to - from < Math.max(Math.abs(from), Math.abs(to)) * 1e-9 || to == from) {
      // one value: an axis of about a tenth of it (or of 1 at zero) around it
      double half = from == 0 ? 1 : Math.abs(from) * 0.1;
      from -= integers ? Math.max(1, half) : half;
      to += integers ? Math.max(1, half) : half;
    }
    // from a step too small to keep within MAX ticks, up through 1, 2, 5 x 10^k
    for (int k = (int) Math.floor(Math.log10((to - from) / MAX)) - 1; ; k++) {
      for (int d : new int[] {1, 2, 5}) {
        double step = d * Math.pow(10, k);
        if (integers && step < 1) {
          continue;
        }
        long first = (long) Math.floor(from / step + 1e-9);
        long last = (long) Math.ceil(to / step - 1e-9);
        int count = (int) (last - first + 1);
        if (count <= MAX) {
          return new AxisTicks(step, first, Math.max(3, count));
        }
      }
    }
  }

  /** Tick {@code i}, 0 to {@code count - 1}. */
  double value(int i) {
    double v = (first + i) * step;
    // multiples of a decimal step printed and compared as decimals: 0.30000000000000004 is 0.3
    return Double.parseDouble(String.format(Locale.ROOT, "%.12g", v));
  }

  /** The axis's lower end: the first tick. */
  double lo() {
    return value(0);
  }

  /** The axis's upper end: the last tick. */
  double hi() {
    return value(count - 1);
  }

  /** Tick {@code i} as a label: just the digits the step needs. */
  String label(int i) {
    double v = value(i);
    int stepExp = (int) Math.floor(Math.log10(step) + 1e-9);
    double largest = Math.max(Math.abs(lo()), Math.abs(hi()));
    if (v == 0) {
      return "0";
    }
    if (stepExp >= -3 && largest < 1e5) {
      return String.format(Locale.ROOT, "%." + Math.max(0, -stepExp) + "f", v);
    }
    int valueExp = (int) Math.floor(Math.log10(Math.abs(v)) + 1e-9);
    return String.format(Locale.ROOT, "%." + Math.max(0, valueExp - stepExp) + "e", v);
  }
}
