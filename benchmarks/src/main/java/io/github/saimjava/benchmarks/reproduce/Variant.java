package io.github.saimjava.benchmarks.reproduce;

import io.github.saimjava.api.PermutationSampler;
import io.github.saimjava.api.SaimConfig;
import java.util.Locale;

/** One encoder of the comparison: how (and whether) it is pre-trained. */
public enum Variant {
  /** No pre-training: the seeded random initialisation of the same network. */
  RANDOM("random init (no pre-training)"),
  /** Autoregressive pre-training in raster order, the iGPT-style baseline. */
  RASTER("raster order (iGPT-style)"),
  /** SAIM: a stochastic order per image (the paper's method). */
  STOCHASTIC("stochastic order (SAIM)"),
  /** The paper's ablation: SAIM predicting the unblurred target. */
  NOBLUR("SAIM without blurred target"),
  /** The paper's ablation: SAIM whose query stream shares the encoder's weights. */
  SHARED("SAIM with shared weights");

  private final String label;

  Variant(String label) {
    this.label = label;
  }

  /** The name used on the command line and in file names. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The row label of the table. */
  public String label() {
    return label;
  }

  /** Whether this encoder is pre-trained at all. */
  public boolean pretrained() {
    return this != RANDOM;
  }

  /** The prediction order of its pre-training. */
  public PermutationSampler.Kind order() {
    return this == RASTER ? PermutationSampler.Kind.RASTER : PermutationSampler.Kind.STOCHASTIC;
  }

  /**
   * {@code base} changed as this variant's ablation asks (the architecture is the same for all).
   */
  public SaimConfig config(SaimConfig base) {
    return switch (this) {
      case NOBLUR -> base.toBuilder().noBlur().build();
      case SHARED -> base.toBuilder().shareWeight(true).build();
      default -> base;
    };
  }

  /**
   * The variant called {@code id}.
   *
   * @throws IllegalArgumentException naming the value when it is none of them
   */
  public static Variant parse(String id) {
    for (Variant v : values()) {
      if (v.id().equalsIgnoreCase(id.strip())) {
        return v;
      }
    }
    throw new IllegalArgumentException(
        "unknown variant '" + id + "' (expected random, raster, stochastic, noblur or shared)");
  }
}
