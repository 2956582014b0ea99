package io.github.saimjava.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.saimjava.api.Permutation;
import io.github.saimjava.api.PermutationSampler;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The training step's switchable kernels compute what the default ones do. */
class TrainingKernelsTest {
  @Test
  void switchesAreOffWhenUnsetAndRefuseOtherValuesInOneLine() {
    withPropertiesDo(
        null,
        null,
        () -> {
          assertFalse(TrainingKernels.fusedAttention());
          assertFalse(TrainingKernels.fusedBias());
        });
    withPropertiesDo(
        "yes",
        null,
        () -> {
          IllegalArgumentException e =
              assertThrows(IllegalArgumentException.class, TrainingKernels::fusedAttention);
          assertEquals(
              "-Dsaim.train.fusedAttention=yes is neither 'true' nor 'false'", e.getMessage());
        });
    withPropertiesDo(
        null,
        "TRUE",
        () ->
            assertThrows(
                IllegalArgumentException.class,
                TrainingKernels::fusedBias,
                "only the exact words true and false"));
  }

  /**
   * Fused attention (with both streams' masks) and the bias fused into the multiply: the same loss
   * and the same gradients of every parameter as the explicit operators, to float32 rounding
   * (relative error of the loss below 1e-5, of each gradient's values below 1e-4 of its norm).
   */
  @Test
  void fusedKernelsGiveTheSameLossAndGradients() {
    Map<String, float[]> plain = new LinkedHashMap<>();
    double plainLoss = withProperties(null, null, () -> lossAndGradients(plain));
    Map<String, float[]> fused = new LinkedHashMap<>();
    double fusedLoss = withProperties("true", "true", () -> lossAndGradients(fused));
    assertEquals(plainLoss, fusedLoss, 1e-5 * Math.abs(plainLoss));
    assertEquals(plain.keySet(), fused.keySet());
    for (String name : plain.keySet()) {
      float[] a = plain.get(name);
      float[] b = fused.get(name);
      double diff = 0;
      for (int i = 0; i < a.length; i++) {
        diff += (a[i] - b[i]) * (double) (a[i] - b[i]);
      }
      // the key bias's gradient is zero in exact arithmetic (softmax ignores a shift shared by a
      // row's logits), so both sides are rounding noise: measured against the query bias's
      String scale = name.endsWith(".attn.k.bias") ? name.replace(".k.", ".q.") : name;
      double norm = norm(plain.get(scale));
      assertTrue(norm > 0, name + " has a gradient");
      assertTrue(
          Math.sqrt(diff) <= 1e-4 * norm,
          name + ": relative gradient error " + Math.sqrt(diff) / norm);
    }
  }

  private static double norm(float[] a) {
    double sq = 0;
    for (float v : a) {
      sq += v * (double) v;
    }
    return Math.sqrt(sq);
  }

  private static double lossAndGradients(Map<String, float[]> gradients) {
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        SaimModel model = new SaimModel(SaimModelTest.SMALL, m, 5)) {
      m.getEngine().setRandomSeed(3);
      NDArray images = m.randomNormal(new Shape(2, 3, 32, 32));
      double loss;
      try (Permutation p = PermutationSampler.builder(16).stochastic(1).build().sample(m, 2);
          GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray l = model.forwardLoss(images, p, false).loss();
        loss = l.getFloat();
        gc.backward(l);
      }
      model
          .parameters()
          .trainable()
          .forEach((name, a) -> gradients.put(name, a.getGradient().toFloatArray()));
      return loss;
    }
  }

  private interface Body<T> {
    T run();
  }

  private static void withPropertiesDo(String attention, String bias, Runnable body) {
    withProperties(
        attention,
        bias,
        () -> {
          body.run();
          return 0;
        });
  }

  private static <T> T withProperties(String attention, String bias, Body<T> body) {
    String a = System.getProperty(TrainingKernels.PROPERTY);
    String b = System.getProperty(TrainingKernels.FUSED_BIAS);
    set(TrainingKernels.PROPERTY, attention);
    set(TrainingKernels.FUSED_BIAS, bias);
    try {
      return body.run();
    } finally {
      set(TrainingKernels.PROPERTY, a);
      set(TrainingKernels.FUSED_BIAS, b);
    }
  }

  private static void set(String key, String value) {
    if (value == null) {
      System.clearProperty(key);
    } else {
      System.setProperty(key, value);
    }
  }
}
