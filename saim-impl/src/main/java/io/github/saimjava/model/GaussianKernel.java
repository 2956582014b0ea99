package io.github.saimjava.model;

/**
 * The target's Gaussian blur kernel, {@code k x k}: {@code exp(-((x-m)^2 + (y-m)^2) / (2 sigma^2))}
 * with {@code m = (k-1)/2} (integer division), normalised to sum 1. Evaluated in float32 like the
 * reference, which builds it with float tensors.
 */
public final class GaussianKernel {
  private GaussianKernel() {}

  /** The kernel, row-major, {@code k * k} floats. */
  public static float[] create(int k, double sigma) {
    if (k <= 0 || !(sigma > 0)) {
      throw new IllegalArgumentException(
          "blur kernel (" + k + ") and sigma (" + sigma + ") must be positive");
    }
    int m = (k - 1) / 2;
    float s2 = (float) sigma * (float) sigma;
    float norm = (float) (1.0 / (2 * Math.PI * (float) sigma * (float) sigma));
    float[] w = new float[k * k];
    float sum = 0f;
    for (int y = 0; y < k; y++) {
      for (int x = 0; x < k; x++) {
        float e = ((x - m) * (x - m) / s2 + (y - m) * (y - m) / s2) / 2f;
        w[y * k + x] = norm * (float) StrictMath.pow(Math.E, -e);
        sum += w[y * k + x];
      }
    }
    for (int i = 0; i < w.length; i++) {
      w[i] /= sum;
    }
    return w;
  }
}
