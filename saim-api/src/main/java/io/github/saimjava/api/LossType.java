package io.github.saimjava.api;

/** The per-element loss between prediction and target, averaged over all elements. */
public enum LossType {
  /** Mean absolute error. */
  L1,
  /** Mean squared error: the paper's recipe. */
  L2
}
