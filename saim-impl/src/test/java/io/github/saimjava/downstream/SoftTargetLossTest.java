package io.github.saimjava.downstream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.saimjava.data.Mixup;
import org.junit.jupiter.api.Test;

class SoftTargetLossTest {
  /**
   * Label smoothing 0.1 over 3 classes: target 0.9333.. on the label, 0.0333.. elsewhere. Logits
   * (1, 2, 0), label 1: log-softmax = z - ln(e + e^2 + 1) = z - 2.40760596; loss = -(0.0333 *
   * (-1.40760596) + 0.9333 * (-0.40760596) + 0.0333 * (-2.40760596)) = 0.50760596.
   */
  @Test
  void labelSmoothingLossEqualsTheHandComputedValue() {
    Mixup none = new Mixup(0, 0, null, 1, 0.5, 0.1, 3);
    float[] t = none.targets(new int[] {1}, 1.0);
    assertEquals(0.1 / 3, t[0], 1e-7);
    assertEquals(0.9 + 0.1 / 3, t[1], 1e-7);
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      float loss =
          FineTuneLoop.softTargetCrossEntropy(
                  m.create(new float[] {1, 2, 0}, new Shape(1, 3)), m.create(t, new Shape(1, 3)))
              .getFloat();
      assertEquals(0.50760596, loss, 1e-6);
    }
  }

  /**
   * Without smoothing, the soft-target loss is the ordinary cross-entropy: ln(1 + e^-1 + e^-2) for
   * the top logit.
   */
  @Test
  void withoutSmoothingItIsTheOrdinaryCrossEntropy() {
    Mixup none = new Mixup(0, 0, null, 1, 0.5, 0, 3);
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      float loss =
          FineTuneLoop.softTargetCrossEntropy(
                  m.create(new float[] {1, 2, 0, 1, 2, 0}, new Shape(2, 3)),
                  m.create(none.targets(new int[] {1, 2}, 1.0), new Shape(2, 3)))
              .getFloat();
      double l1 = Math.log(1 + Math.exp(-1) + Math.exp(-2));
      double l2 = Math.log(Math.exp(1) + Math.exp(2) + 1);
      assertEquals((l1 + l2) / 2, loss, 1e-6);
    }
  }
}
