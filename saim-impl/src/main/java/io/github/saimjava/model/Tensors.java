package io.github.saimjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.github.saimjava.io.HostTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** Moves tensors between host memory ({@link HostTensor}) and the engine. */
public final class Tensors {
  private Tensors() {}

  /** A float32 host copy of {@code array}. */
  public static HostTensor toHost(NDArray array) {
    float[] v = array.toType(DataType.FLOAT32, false).toFloatArray();
    return HostTensor.ofFloats(array.getShape().getShape(), v);
  }

  /** A float32 engine array on {@code manager} holding {@code value}. */
  public static NDArray toEngine(NDManager manager, HostTensor value) {
    return manager.create(value.toFloatArray(), new Shape(value.shape()));
  }

  /**
   * Overwrites {@code target}'s values in place with {@code value} converted to float32.
   *
   * @throws IllegalArgumentException naming {@code name} when the shapes differ
   */
  public static void copyInto(NDArray target, HostTensor value, String name) {
    long[] want = target.getShape().getShape();
    if (!Arrays.equals(want, value.shape())) {
      throw new IllegalArgumentException(
          String.format(
              "'%s' has shape %s, expected %s",
              name, Arrays.toString(value.shape()), Arrays.toString(want)));
    }
    HostTensor f = value.toF32();
    ByteBuffer b = ByteBuffer.allocateDirect(f.data().remaining()).order(ByteOrder.nativeOrder());
    b.asFloatBuffer().put(f.data().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer());
    b.rewind();
    // Not target.set(b): DJL runs that under libtorch's deprecated AutoNonVariableTypeMode, which
    // prints a deprecation warning on stderr (once per process, at every user's first load). An
    // indexed put of the whole array writes the same bits (-0.0 and NaN included) silently; it runs
    // outside autograd, as any copy into a parameter must.
    boolean gradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (NDArray source = target.getManager().create(b, target.getShape(), DataType.FLOAT32)) {
      target.set(new NDIndex("..."), source);
    } finally {
      JniUtils.setGradMode(gradMode);
    }
  }
}
