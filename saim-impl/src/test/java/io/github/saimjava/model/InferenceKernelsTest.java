package io.github.saimjava.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.saimjava.api.Precision;
import io.github.saimjava.train.NoGrad;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link InferenceKernels}: the encoder's forward with the inference kernels computes what it
 * computes with the default ones, up to rounding, and only where no gradient is recorded.
 */
class InferenceKernelsTest {
  /** Float32 rounding differences of oneDNN's products and the fused attention; measured ~3e-7. */
  static final double FP32_BOUND = 1e-5;

  static NDManager manager;

  @BeforeAll
  static void open() {
    manager = NDManager.newBaseManager("PyTorch");
    manager.getEngine().setRandomSeed(11);
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  /** A model built with {@value InferenceKernels#PROPERTY} set to {@code kernels}. */
  private static SaimModel model(NDManager m, String kernels, Precision precision) {
    return withProperty(
        InferenceKernels.PROPERTY,
        kernels,
        () -> new SaimModel(FrozenEncoderTest.TINY, m, 5, precision));
  }

  private static <T> T withProperty(String key, String value, Supplier<T> body) {
    String before = System.getProperty(key);
    System.setProperty(key, value);
    try {
      return body.get();
    } finally {
      if (before == null) {
        System.clearProperty(key);
      } else {
        System.setProperty(key, before);
      }
    }
  }

  @Test
  void float32InferenceEqualsTheDefaultKernelsUpToRounding() {
    try (NDManager m = manager.newSubManager();
        SaimModel fast = model(m, "onednn", Precision.FP32);
        SaimModel plain = model(m, "default", Precision.FP32);
        NoGrad ng = NoGrad.enter()) {
      for (int n : new int[] {1, 3}) {
        NDArray x = m.randomNormal(new Shape(n, 3, 32, 32));
        List<NDArray> want = plain.encodeBlocks(x, 4, false);
        List<NDArray> got = fast.encodeBlocks(x, 4, false);
        double last = 0;
        for (int k = 0; k < 4; k++) {
          assertEquals(want.get(k).getShape(), got.get(k).getShape());
          double err = FrozenEncoderTest.relativeError(want.get(k), got.get(k));
          System.out.printf(Locale.ROOT, "fp32 n=%d block %d: %.2e%n", n, k + 1, err);
          assertTrue(err < FP32_BOUND, "block " + (k + 1) + ": " + err);
          last = err;
        }
        // the kernels did run: other kernels round differently
        assertTrue(last > 0, "the inference kernels were not used");
      }
    }
  }

  @Test
  void emulatedBfloat16InferenceEqualsTheDefaultKernelsUpToRounding() {
    withProperty(
        Bf16Support.PROPERTY,
        "emulated",
        () -> {
          try (NDManager m = manager.newSubManager();
              SaimModel fast = model(m, "onednn", Precision.BF16);
              SaimModel plain = model(m, "default", Precision.BF16);
              NoGrad ng = NoGrad.enter()) {
            NDArray x = m.randomNormal(new Shape(2, 3, 32, 32));
            NDArray want = plain.encode(x, false);
            NDArray got = fast.encode(x, false);
            double err = FrozenEncoderTest.relativeError(want, got);
            System.out.printf(Locale.ROOT, "emulated bf16: %.2e%n", err);
            // float32 rounding before bfloat16 rounding can move an operand by one bfloat16 step
            assertTrue(err < 1e-3, "emulated bf16: " + err);
          }
          return null;
        });
  }

  @Test
  void withGradientsRecordedTheDefaultKernelsRunExactly() {
    try (NDManager m = manager.newSubManager();
        SaimModel fast = model(m, "onednn", Precision.FP32);
        SaimModel plain = model(m, "default", Precision.FP32);
        GradientCollector gc = m.getEngine().newGradientCollector()) {
      NDArray x = m.randomNormal(new Shape(2, 3, 32, 32));
      float[] want = plain.encode(x, false).toFloatArray();
      float[] got = fast.encode(x, false).toFloatArray();
      assertEquals(want.length, got.length);
      for (int i = 0; i < want.length; i++) {
        assertEquals(want[i], got[i], 0f, "element " + i);
      }
    }
  }

  @Test
  void anUnknownChoiceIsRefusedNamingIt() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> withProperty(InferenceKernels.PROPERTY, "mkl", InferenceKernels::wanted));
    assertEquals("-Dsaim.inference.kernels=mkl is neither 'onednn' nor 'default'", e.getMessage());
  }
}
