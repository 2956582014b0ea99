package io.github.saimjava.model;

/**
 * The fixed 2-D sine-cosine position table, {@code (L + 1) x D}, row 0 (class token) all zeros.
 *
 * <p>For patch {@code k = r * g + c}: the first D/2 columns encode the column index {@code c}, the
 * last D/2 the row index {@code r} (the reference builds its grid width first). Each half of width
 * E is {@code [sin(pos * w_i), cos(pos * w_i)]}, {@code w_i = 10000^(-i / (E/2))}, computed in
 * double and rounded to float once, as the reference does with float64 numpy.
 */
public final class SinCosTable {
  private SinCosTable() {}

  /**
   * The table for a {@code grid x grid} patch grid, row-major, {@code (grid*grid + 1) * width}
   * floats.
   */
  public static float[] create(int width, int grid) {
    if (width % 4 != 0) {
      throw new IllegalArgumentException(
          "width (" + width + ") must be divisible by 4 for the 2-D sin-cos table");
    }
    int half = width / 2;
    int quarter = half / 2;
    double[] omega = new double[quarter];
    for (int i = 0; i < quarter; i++) {
      omega[i] = 1.0 / StrictMath.pow(10000.0, i / (double) quarter);
    }
    float[] table = new float[(grid * grid + 1) * width];
    for (int r = 0; r < grid; r++) {
      for (int c = 0; c < grid; c++) {
        int row = (r * grid + c + 1) * width;
        for (int i = 0; i < quarter; i++) {
          double ac = c * omega[i];
          double ar = r * omega[i];
          table[row + i] = (float) StrictMath.sin(ac);
          table[row + quarter + i] = (float) StrictMath.cos(ac);
          table[row + half + i] = (float) StrictMath.sin(ar);
          table[row + half + quarter + i] = (float) StrictMath.cos(ar);
        }
      }
    }
    return table;
  }
}
