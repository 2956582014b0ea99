package io.github.saimjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Scalar operands in native memory. DJL's {@code NDArray.mul(Number)} and its siblings wrap the
 * number in a tensor over a Java buffer and close it right after the call; autograd keeps that
 * tensor for the backward pass (the gradient of {@code x * s} needs {@code s}), so after a garbage
 * collection the backward pass would read freed memory. A scalar made by the engine itself owns its
 * memory and lives as long as autograd needs it.
 */
public final class Scalars {
  private Scalars() {}

  /**
   * A 0-dimensional tensor of {@code like}'s type and device holding {@code value}; float32 when
   * {@code like} is bfloat16 (which DJL reports as UNKNOWN and cannot create): a 0-dimensional
   * operand does not promote an array of its own kind, so the result stays bfloat16.
   */
  public static NDArray of(NDArray like, double value) {
    DataType type = like.getDataType() == DataType.UNKNOWN ? DataType.FLOAT32 : like.getDataType();
    return like.getManager().full(new Shape(), (float) value, type);
  }

  /** {@code x * value}, safe to differentiate. */
  public static NDArray mul(NDArray x, double value) {
    return x.mul(of(x, value));
  }

  /** {@code x / value}, safe to differentiate. */
  public static NDArray div(NDArray x, double value) {
    return x.div(of(x, value));
  }
}
