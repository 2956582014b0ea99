package io.github.saimjava.api;

/** The prediction head on top of the query stream. */
public enum HeadType {
  /** Linear(D, 4D), exact GELU, Linear(4D, p*p*C): the paper's recipe. */
  MLP,
  /** A single Linear(D, p*p*C). */
  LINEAR
}
