package io.github.saimjava.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.saimjava.api.Precision;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.train.NoGrad;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link FrozenEncoder}: the one-call inference encoder computes what {@link
 * SaimModel#encodeBlocks} computes, block by block, in both precisions and with either attention.
 */
class FrozenEncoderTest {
  /** Float32 reordering noise (fused q/k/v, the fused attention kernel); measured about 3e-7. */
  static final double FP32_BOUND = 1e-5;

  /**
   * Bfloat16 against the model's own bfloat16 path: identical with the explicit attention (checked
   * exactly), about as far as float32 is where the fused kernel keeps its softmax in float32 or
   * where the float32 emulation rounds only the products' operands; measured up to 6.8e-3.
   */
  static final double BF16_SAME_PATH = 1.5e-2;

  /** Bfloat16 against float32: below this, bfloat16 did not run (measured above 3e-3). */
  static final double RAN_BF16 = 1e-3;

  static final SaimConfig TINY =
      SaimConfig.builder()
          .imageSize(32)
          .patchSize(8)
          .width(64)
          .depth(4)
          .heads(4)
          .queryDepth(2)
          .build();

  static NDManager manager;

  @BeforeAll
  static void open() {
    manager = NDManager.newBaseManager("PyTorch");
    manager.getEngine().setRandomSeed(7);
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  static double relativeError(NDArray a, NDArray b) {
    float[] x = a.toFloatArray();
    float[] y = b.toFloatArray();
    assertEquals(x.length, y.length);
    double num = 0;
    double den = 0;
    for (int i = 0; i < x.length; i++) {
      num += Math.pow((double) x[i] - y[i], 2);
      den += Math.pow(x[i], 2);
    }
    return Math.sqrt(num / den);
  }

  private static NDArray images(int n) {
    return manager.randomNormal(new Shape(n, 3, 32, 32));
  }

  @Test
  void float32BlocksEqualTheModelsWithEitherAttention() {
    try (NDManager m = manager.newSubManager();
        SaimModel model = new SaimModel(TINY, m, 3);
        NoGrad ng = NoGrad.enter()) {
      for (int n : new int[] {1, 3}) {
        NDArray x = images(n);
        List<NDArray> want = model.encodeBlocks(x, 4, false);
        for (boolean fused : new boolean[] {false, true}) {
          try (FrozenEncoder frozen = model.freeze(fused)) {
            List<NDArray> got = frozen.encodeBlocks(x, 1, 4);
            assertEquals(4, got.size());
            for (int k = 0; k < 4; k++) {
              assertEquals(new Shape(n, 17, 64), got.get(k).getShape());
              double err = relativeError(want.get(k), got.get(k));
              System.out.printf(
                  Locale.ROOT, "fp32 n=%d fused=%s block %d: %.2e%n", n, fused, k + 1, err);
              assertTrue(err < FP32_BOUND, "block " + (k + 1) + ": " + err);
            }
          }
        }
      }
    }
  }

  /** Runs {@code body} with {@link Bf16Support#PROPERTY} set to {@code value}, then restores it. */
  private static void withBf16Matmul(String value, Runnable body) {
    String before = System.getProperty(Bf16Support.PROPERTY);
    System.setProperty(Bf16Support.PROPERTY, value);
    try {
      body.run();
    } finally {
      if (before == null) {
        System.clearProperty(Bf16Support.PROPERTY);
      } else {
        System.setProperty(Bf16Support.PROPERTY, before);
      }
    }
  }

  @Test
  void nativeBfloat16BlocksFollowTheModelsBfloat16PathNotFloat32() {
    withBf16Matmul("native", () -> compareBf16(false));
  }

  @Test
  void emulatedBfloat16BlocksStayFloat32ButCarryBfloat16Rounding() {
    withBf16Matmul("emulated", () -> compareBf16(true));
  }

  /**
   * The frozen bfloat16 encoder against the model's own bfloat16 path and against float32: close to
   * both, equal to neither float32 (so bfloat16 ran) nor, when emulating, far from bfloat16.
   */
  private static void compareBf16(boolean emulated) {
    try (NDManager m = manager.newSubManager();
        SaimModel fp32 = new SaimModel(TINY, m, 3);
        SaimModel bf16 = new SaimModel(TINY, m, 3, Precision.BF16);
        NoGrad ng = NoGrad.enter()) {
      NDArray x = images(5);
      List<NDArray> wantBf16 = bf16.encodeBlocks(x, 4, false);
      List<NDArray> wantFp32 = fp32.encodeBlocks(x, 4, false);
      for (boolean fused : new boolean[] {false, true}) {
        try (FrozenEncoder frozen = bf16.freeze(fused)) {
          assertEquals(emulated, frozen.emulatesBf16());
          List<NDArray> got = frozen.encodeBlocks(x, 1, 4);
          for (int k = 0; k < 4; k++) {
            double same = relativeError(wantBf16.get(k), got.get(k));
            double vsFp32 = relativeError(wantFp32.get(k), got.get(k));
            System.out.printf(
                Locale.ROOT,
                "bf16 emulated=%s fused=%s block %d: vs bf16 path %.2e, vs fp32 %.2e%n",
                emulated,
                fused,
                k + 1,
                same,
                vsFp32);
            if (!emulated && !fused) {
              // the same operators in the same precision: the same numbers
              assertEquals(0, same, "block " + (k + 1));
            }
            assertTrue(same < BF16_SAME_PATH, "block " + (k + 1) + " vs bf16 path: " + same);
            assertTrue(vsFp32 > RAN_BF16, "block " + (k + 1) + " stayed float32: " + vsFp32);
          }
        }
      }
    }
  }

  @Test
  void avx512CoreFlagsDecideTheBfloat16Matmul() {
    assertTrue(
        Bf16Support.hasAvx512Core(
            List.of("processor : 0", "flags : fpu avx2 avx512f avx512dq avx512bw avx512vl")));
    assertFalse(Bf16Support.hasAvx512Core(List.of("processor : 0", "flags : fpu sse avx2 fma")));
    withBf16Matmul("emulated", () -> assertFalse(Bf16Support.nativeMatmul()));
    withBf16Matmul("native", () -> assertTrue(Bf16Support.nativeMatmul()));
    withBf16Matmul(
        "fast",
        () ->
            assertEquals(
                "-Dsaim.bf16.matmul=fast is neither 'native' nor 'emulated'",
                assertThrows(IllegalArgumentException.class, Bf16Support::nativeMatmul)
                    .getMessage()));
  }

  /**
   * Runs {@code body} with {@link InferenceKernels#PROPERTY} set to {@code value}, then restores
   * it.
   */
  private static void withKernels(String value, Runnable body) {
    String before = System.getProperty(InferenceKernels.PROPERTY);
    System.setProperty(InferenceKernels.PROPERTY, value);
    try {
      body.run();
    } finally {
      if (before == null) {
        System.clearProperty(InferenceKernels.PROPERTY);
      } else {
        System.setProperty(InferenceKernels.PROPERTY, before);
      }
    }
  }

  @Test
  void oneDnnLinearFollowsTheInferenceKernelsChoice() {
    try (NDManager m = manager.newSubManager();
        NoGrad ng = NoGrad.enter()) {
      NDArray x = images(3);
      withKernels(
          "default",
          () -> {
            try (SaimModel model = new SaimModel(TINY, m, 3);
                FrozenEncoder frozen = model.freeze(false)) {
              assertFalse(frozen.onednnLinear());
              List<NDArray> want = model.encodeBlocks(x, 4, false);
              List<NDArray> got = frozen.encodeBlocks(x, 1, 4);
              for (int k = 0; k < 4; k++) {
                // the same default kernels, explicit attention: the same numbers
                assertEquals(0, relativeError(want.get(k), got.get(k)), "block " + (k + 1));
              }
            }
          });
      withKernels(
          "onednn",
          () -> {
            try (SaimModel model = new SaimModel(TINY, m, 3);
                FrozenEncoder frozen = model.freeze(true)) {
              assertTrue(frozen.onednnLinear());
              List<NDArray> want = model.encodeBlocks(x, 4, false);
              List<NDArray> got = frozen.encodeBlocks(x, 1, 4);
              for (int k = 0; k < 4; k++) {
                double err = relativeError(want.get(k), got.get(k));
                assertTrue(err < FP32_BOUND, "block " + (k + 1) + ": " + err);
              }
            }
          });
    }
  }

  @Test
  void freezingIsTheDefaultWhereTheOneDnnKernelsAreAndThePropertyDecidesOtherwise() {
    String before = System.getProperty(FrozenEncoder.PROPERTY);
    try {
      System.clearProperty(FrozenEncoder.PROPERTY);
      assertEquals(InferenceKernels.wanted(), FrozenEncoder.wanted(manager));
      assertEquals(InferenceKernels.wanted(), FrozenEncoder.fusedAttentionByDefault());
      withKernels("default", () -> assertFalse(FrozenEncoder.wanted(manager)));
      withKernels("onednn", () -> assertTrue(FrozenEncoder.wanted(manager)));
      System.setProperty(FrozenEncoder.PROPERTY, "false");
      withKernels("onednn", () -> assertFalse(FrozenEncoder.wanted(manager)));
      System.setProperty(FrozenEncoder.PROPERTY, "true");
      withKernels("default", () -> assertTrue(FrozenEncoder.wanted(manager)));
      System.setProperty(FrozenEncoder.PROPERTY, "yes");
      assertEquals(
          "-Dsaim.inference.frozen=yes is neither 'true' nor 'false'",
          assertThrows(IllegalArgumentException.class, () -> FrozenEncoder.wanted(manager))
              .getMessage());
    } finally {
      if (before == null) {
        System.clearProperty(FrozenEncoder.PROPERTY);
      } else {
        System.setProperty(FrozenEncoder.PROPERTY, before);
      }
    }
  }

  @Test
  void aRangeOfBlocksIsTheTailOfTheFullPass() {
    try (NDManager m = manager.newSubManager();
        SaimModel model = new SaimModel(TINY, m, 5);
        NoGrad ng = NoGrad.enter();
        FrozenEncoder frozen = model.freeze(false)) {
      NDArray x = images(2);
      List<NDArray> all = frozen.encodeBlocks(x, 1, 4);
      List<NDArray> two = frozen.encodeBlocks(x, 2, 3);
      assertEquals(2, two.size());
      assertEquals(0, relativeError(all.get(1), two.get(0)));
      assertEquals(0, relativeError(all.get(2), two.get(1)));
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> frozen.encodeBlocks(x, 1, 5));
      assertEquals("blocks 1..5 are not within 1..4 (the encoder's depth)", e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> frozen.encodeBlocks(x, 3, 2));
    }
  }
}
