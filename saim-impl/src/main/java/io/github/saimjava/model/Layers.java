package io.github.saimjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;

/** The small layers SAIM is built from, as named parameter holders with functional forwards. */
final class Layers {
  private Layers() {}

  /**
   * An {@code out x in} weight of Xavier-uniform values, U(-a, a) with a = sqrt(6 / (in + out)),
   * drawn in row-major order, shaped {@code shape} (whose size is {@code out * in}).
   *
   * <p>The values are written straight into a native-order direct buffer that the engine adopts as
   * the array's memory: no float[] per weight on the Java heap, whose garbage (one model's worth of
   * values at initialisation) would otherwise grow the heap and stay resident for the process.
   */
  static NDArray xavierUniform(NDManager m, SplittableRandom rng, long out, long in, Shape shape) {
    double a = Math.sqrt(6.0 / (in + out));
    int n = Math.toIntExact(out * in);
    if (shape.size() != n) {
      throw new IllegalArgumentException(
          "shape " + shape + " does not hold " + out + " x " + in + " values");
    }
    ByteBuffer buf = m.allocateDirect(Math.multiplyExact(n, Float.BYTES));
    for (int i = 0; i < n; i++) {
      buf.putFloat((float) ((rng.nextDouble() * 2 - 1) * a));
    }
    buf.rewind();
    return m.create(buf, shape, DataType.FLOAT32);
  }

  /**
   * y = x W^T + b; weight {@code out x in} as PyTorch stores it. Under bfloat16 autocast, x, W and
   * b are rounded to bfloat16 and so is y.
   */
  static final class Linear {
    final NDArray weight;
    final NDArray bias;
    private final Autocast autocast;
    private final @Nullable InferenceKernels kernels;
    private final boolean fusedBias = TrainingKernels.fusedBias();

    Linear(
        ParameterSet ps,
        NDManager m,
        SplittableRandom rng,
        String name,
        int in,
        int out,
        Autocast autocast,
        @Nullable InferenceKernels kernels) {
      weight = ps.add(name + ".weight", xavierUniform(m, rng, out, in, new Shape(out, in)), true);
      bias = ps.add(name + ".bias", m.zeros(new Shape(out)), true);
      this.autocast = autocast;
      this.kernels = kernels;
    }

    /** x: [..., in] -> [..., out]. */
    NDArray forward(NDArray x) {
      return forward(x, false);
    }

    /**
     * x: [..., in] -> [..., out], followed by the exact (erf) GELU when {@code gelu}; at inference
     * in float32 one engine call ({@link InferenceKernels}).
     */
    NDArray forward(NDArray x, boolean gelu) {
      return forwardLowered(autocast.lower(x, x), gelu);
    }

    /**
     * {@link #forward(NDArray, boolean)} of an input that {@link Autocast#lower} already gave: a
     * second lowering would round already rounded values again (the identity, but each one a cast
     * forward and backward where bfloat16 is emulated).
     */
    NDArray forwardLowered(NDArray lx, boolean gelu) {
      NDArray w = autocast.enabled() ? autocast.lower(weight, lx) : weight;
      NDArray b = autocast.enabled() ? autocast.lower(bias, lx) : bias;
      InferenceKernels k = kernels;
      if (k != null && InferenceKernels.appliesTo(lx)) {
        return gelu ? k.linearGelu(lx, w, b) : k.linear(lx, w, b);
      }
      NDArray y;
      Shape s = lx.getShape();
      if (fusedBias && s.dimension() > 2) {
        // DJL's linear of a 3-D input is a matmul and a separate bias addition; of a 2-D one, a
        // single addmm
        NDArray rows = lx.reshape(-1, s.get(s.dimension() - 1));
        NDArray y2 = ai.djl.nn.core.Linear.linear(rows, w, b).singletonOrThrow();
        y = y2.reshape(s.slice(0, s.dimension() - 1).add(y2.getShape().get(1)));
      } else {
        y = ai.djl.nn.core.Linear.linear(lx, w, b).singletonOrThrow();
      }
      return gelu ? Activation.gelu(y) : y;
    }
  }

  /** LayerNorm over the last axis with learned scale and shift. */
  static final class LayerNorm {
    final NDArray weight;
    final NDArray bias;
    final float eps;

    LayerNorm(ParameterSet ps, NDManager m, String name, int width, double eps) {
      weight = ps.add(name + ".weight", m.ones(new Shape(width)), true);
      bias = ps.add(name + ".bias", m.zeros(new Shape(width)), true);
      this.eps = (float) eps;
    }

    /** x: [..., D] -> [..., D]. */
    NDArray forward(NDArray x) {
      return ai.djl.nn.norm.LayerNorm.layerNorm(
              x, new Shape(weight.getShape().get(0)), weight, bias, eps)
          .singletonOrThrow();
    }
  }

  /** Linear(D, hidden) -> exact (erf) GELU -> Linear(hidden, out). */
  static final class Mlp {
    final Linear fc1;
    final Linear fc2;

    Mlp(
        ParameterSet ps,
        NDManager m,
        SplittableRandom rng,
        String name,
        int in,
        int hidden,
        int out,
        Autocast autocast,
        @Nullable InferenceKernels kernels) {
      fc1 = new Linear(ps, m, rng, name + ".fc1", in, hidden, autocast, kernels);
      fc2 = new Linear(ps, m, rng, name + ".fc2", hidden, out, autocast, kernels);
    }

    NDArray forward(NDArray x) {
      return fc2.forward(fc1.forward(x, true));
    }
  }
}
