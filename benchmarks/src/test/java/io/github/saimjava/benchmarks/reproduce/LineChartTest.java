package io.github.saimjava.benchmarks.reproduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Axis ticks at round numbers: 1, 2 or 5 times a power of ten. */
class LineChartTest {
  @Test
  void stepsAreRoundAndGiveAtMostEightIntervals() {
    assertEquals(2, LineChart.tickStep(12), 0); // 12 pre-training epochs: 0, 2, ..., 12
    assertEquals(5, LineChart.tickStep(30), 0); // 30 fine-tuning epochs: 0, 5, ..., 30
    assertEquals(10, LineChart.tickStep(63), 0); // 64 prediction positions
    assertEquals(0.05, LineChart.tickStep(0.31), 1e-15);
    assertEquals(1, LineChart.tickStep(8), 0); // exactly eight intervals of 1
    Random random = new Random(7);
    for (int i = 0; i < 1000; i++) {
      double span = Math.pow(10, random.nextDouble() * 12 - 6);
      double step = LineChart.tickStep(span);
      assertTrue(span / step <= 8 + 1e-9, span + " / " + step);
      assertTrue(span / step > 8 / 2.5 - 1e-9, span + " / " + step);
      double mantissa = step / Math.pow(10, Math.floor(Math.log10(step) + 1e-9));
      assertTrue(
          List.of(1L, 2L, 5L).contains(Math.round(mantissa))
              && Math.abs(mantissa - Math.round(mantissa)) < 1e-9,
          "step " + step);
    }
  }

  @Test
  void aSpanThatIsNotPositiveIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> LineChart.tickStep(0));
    assertThrows(IllegalArgumentException.class, () -> LineChart.tickStep(Double.NaN));
  }

  @Test
  void ticksRunFromEndToEndAndLabelsShowWhatTheStepNeeds() {
    assertArrayEquals(new double[] {72, 74, 76, 78}, LineChart.ticks(72, 78, 2), 1e-12);
    assertEquals(11, LineChart.ticks(0.1, 0.6, 0.05).length);
    assertEquals("12", LineChart.format(12, 2));
    assertEquals("0.15", LineChart.format(0.15000000000000002, 0.05));
    assertEquals("0", LineChart.format(-1e-18, 0.05));
    assertEquals("2.5", LineChart.format(2.5, 0.5));
    assertEquals("1.0e+06", LineChart.format(1e6, 2e5));
  }
}
