package io.github.saimjava.downstream;

/**
 * L2 normalisation of feature vectors held on the host, as the encoder's {@code l2Normalize} option
 * and the k-NN classifier's cosine similarity need it: one rule, {@code v / max(|v|, 1e-12)}, as
 * {@code torch.nn.functional.normalize} (a zero vector stays zero).
 */
public final class FeatureRows {
  private FeatureRows() {}

  /** Divides {@code a[offset .. offset + length)} by its L2 norm, in place. */
  public static void normalise(float[] a, int offset, int length) {
    double norm = 0;
    for (int k = offset; k < offset + length; k++) {
      norm += (double) a[k] * a[k];
    }
    float inv = (float) (1 / Math.max(Math.sqrt(norm), 1e-12));
    for (int k = offset; k < offset + length; k++) {
      a[k] *= inv;
    }
  }
}
