package io.github.saimjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Scalar operands in native memory. DJL's {@code NDArray.mul(Number)} and its siblings wrap the
 * number in a tensor over a Java buffer and close it right after the call; autograd keeps that
 * tensor for the backward pass (the gradient of {@code x * s} needs {@code s}), so after a garbage
 * collection the backward pass would read freed memory. A scalar made by the engine itself owns
 * its memory and lives as long as autograd needs it.
 */
public final class Scalars {
  private Scalars() {}

  /** A 0-dimensional tensor of {@code like}'s type and device holding {@code value}. */
  public static NDArray of(NDArray like, double value) {
    return like.getManager().full(new Shape(), (float) value, like.getDataType());
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
