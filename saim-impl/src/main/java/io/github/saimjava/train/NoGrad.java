package io.github.saimjava.train;

import ai.djl.pytorch.jni.JniUtils;

/**
 * Turns autograd recording off on this thread until closed (PyTorch's grad mode is per thread), so
 * parameters can be updated in place and inference builds no graph.
 */
public final class NoGrad implements AutoCloseable {
  private final boolean previous;

  private NoGrad() {
    previous = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
  }

  /** Enters no-grad mode; restore with {@link #close()}. */
  public static NoGrad enter() {
    return new NoGrad();
  }

  @Override
  public void close() {
    JniUtils.setGradMode(previous);
  }
}
