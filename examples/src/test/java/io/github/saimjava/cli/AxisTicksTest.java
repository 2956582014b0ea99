package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** curves.png's axes: round ticks that cover the data, 3 to 10 of them. */
class AxisTicksTest {
  /** The step is 1, 2 or 5 times a power of ten, and every tick a whole multiple of it. */
  private static void assertRound(AxisTicks t) {
    int e = (int) Math.floor(Math.log10(t.step()) + 1e-9);
    double mantissa = t.step() / Math.pow(10, e);
    assertTrue(
        Math.abs(mantissa - 1) < 1e-9
            || Math.abs(mantissa - 2) < 1e-9
            || Math.abs(mantissa - 5) < 1e-9,
        "step " + t.step());
    for (int i = 0; i < t.count(); i++) {
      double k = t.value(i) / t.step();
      assertEquals(Math.rint(k), k, 1e-6 * Math.max(1, Math.abs(k)), "tick " + t.value(i));
    }
  }

  private static void assertCovers(AxisTicks t, double lo, double hi) {
    double tol = 1e-9 * Math.max(Math.abs(lo), Math.abs(hi));
    assertTrue(t.lo() <= lo + tol, t.lo() + " above " + lo);
    assertTrue(t.hi() >= hi - tol, t.hi() + " below " + hi);
    assertTrue(t.count() >= 3 && t.count() <= 10, t.count() + " ticks");
  }

  @Property
  void ticksAreRoundCoverTheRangeAndNumberThreeToTen(
      @ForAll @DoubleRange(min = -1e6, max = 1e6) double a,
      @ForAll @DoubleRange(min = 0, max = 1) double spread,
      @ForAll @IntRange(min = -9, max = 6) int scale) {
    double lo = a * Math.pow(10, scale - 6);
    double hi = lo + spread * Math.pow(10, scale);
    AxisTicks t = AxisTicks.of(lo, hi, false);
    assertRound(t);
    assertCovers(t, lo, hi);
  }

  @Property
  void stepCountsGetWholeSteps(
      @ForAll @IntRange(min = 0, max = 1_000_000) int first,
      @ForAll @IntRange(min = 0, max = 1_000_000) int length) {
    AxisTicks t = AxisTicks.of(first, (double) first + length, true);
    assertRound(t);
    assertTrue(t.step() >= 1, "step " + t.step());
    assertCovers(t, first, (double) first + length);
  }

  @Test
  void theOldUnevenAxisOfOneToEightBecomesWholeSteps() {
    // steps 1..8 were labelled 1.00, 2.75, 4.50, 6.25, 8.00
    AxisTicks t = AxisTicks.of(1, 8, true);
    assertEquals(2, t.step());
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < t.count(); i++) {
      labels.add(t.label(i));
    }
    assertEquals(List.of("0", "2", "4", "6", "8"), labels);
  }

  @Test
  void labelsCarryTheDigitsOfTheStep() {
    AxisTicks loss = AxisTicks.of(1.1, 1.5, false);
    assertEquals(0.1, loss.step(), 1e-15);
    assertEquals("1.1", loss.label(0));
    assertEquals("1.5", loss.label(loss.count() - 1));
    AxisTicks lr = AxisTicks.of(1e-4, 2e-4, false);
    assertEquals(2e-5, lr.step(), 1e-20);
    assertEquals("1.0e-04", lr.label(0));
    assertEquals("1.2e-04", lr.label(1));
  }
}
