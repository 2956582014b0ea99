package io.github.saimjava.downstream;

/**
 * Checks of the host features and labels that the probes and the k-NN classifier take: every
 * message names the array, the row or the label at fault.
 */
final class LabelledFeatures {
  private LabelledFeatures() {}

  /**
   * @throws IllegalArgumentException when a set is empty, rows and labels differ in number, a row
   *     differs in length from {@code trainX[0]}, a label is outside {@code [0, classes)}, or there
   *     are fewer than 2 classes
   */
  static void check(
      String what, float[][] trainX, int[] trainY, float[][] testX, int[] testY, int classes) {
    if (classes < 2) {
      throw new IllegalArgumentException("classes (" + classes + ") must be at least 2");
    }
    if (trainX.length == 0 || testX.length == 0) {
      throw new IllegalArgumentException(
          what
              + " needs training and evaluation features: got "
              + trainX.length
              + " training and "
              + testX.length
              + " evaluation rows");
    }
    rows("trainX", trainX, trainY, "trainY", trainX[0].length, classes);
    rows("testX", testX, testY, "testY", trainX[0].length, classes);
  }

  private static void rows(
      String xName, float[][] x, int[] y, String yName, int width, int classes) {
    if (x.length != y.length) {
      throw new IllegalArgumentException(
          xName + " has " + x.length + " rows but " + yName + " " + y.length + " labels");
    }
    for (int i = 0; i < x.length; i++) {
      if (x[i].length != width) {
        throw new IllegalArgumentException(
            xName + "[" + i + "] has " + x[i].length + " values, trainX[0] " + width);
      }
      if (y[i] < 0 || y[i] >= classes) {
        throw new IllegalArgumentException(
            yName
                + "["
                + i
                + "] = "
                + y[i]
                + " is not in [0, "
                + classes
                + "): a label outside the classes");
      }
    }
  }
}
