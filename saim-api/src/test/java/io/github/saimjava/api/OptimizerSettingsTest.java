package io.github.saimjava.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Scale;
import org.junit.jupiter.api.Test;

/** The linear scaling rule, written once ({@link OptimizerSettings#peakLr(double, int)}). */
class OptimizerSettingsTest {
  /**
   * The probes computed {@code blr * batch / 256.0} inline before they called the helper: the
   * helper must give the same bits, so their results do not move.
   */
  @Property
  void theRuleIsBlrTimesBatchOver256InThatOrder(
      @ForAll @DoubleRange(min = 1e-8, max = 10) @Scale(12) double blr,
      @ForAll @IntRange(min = 1, max = 1 << 16) int batch) {
    double inline = blr * batch / 256.0;
    assertEquals(
        Double.doubleToRawLongBits(inline),
        Double.doubleToRawLongBits(OptimizerSettings.peakLr(blr, batch)));
  }

  @Property
  void theSettingsUseTheRuleUnlessLrIsGiven(
      @ForAll @DoubleRange(min = 1e-8, max = 10) @Scale(12) double blr,
      @ForAll @IntRange(min = 1, max = 1 << 16) int batch) {
    OptimizerSettings rule = new OptimizerSettings(blr, null, 0, 0, 0.05, 0.9, 0.95, null);
    OptimizerSettings absolute = new OptimizerSettings(blr, 3e-4, 0, 0, 0.05, 0.9, 0.95, null);
    assertEquals(OptimizerSettings.peakLr(blr, batch), rule.peakLr(batch), 0);
    assertEquals(3e-4, absolute.peakLr(batch), 0);
  }

  @Test
  void aViTBaseFineTuneBatchGivesTheReferencePeak() {
    // the paper's ViT-B fine-tune: blr 5e-4, effective batch 1024 -> 2e-3
    assertEquals(2e-3, OptimizerSettings.peakLr(5e-4, 1024), 1e-18);
  }
}
