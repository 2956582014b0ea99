package io.github.saimjava.data;

/** Images addressed by index, with class labels (unused by pre-training). Must be safe to read from several threads. */
public interface ImageDataset {
  /** Number of images. */
  int size();

  /**
   * Decodes image {@code index}.
   *
   * @throws IllegalArgumentException naming the file when it cannot be decoded
   */
  DecodedImage image(int index);

  /** Class label of image {@code index}, or -1 when unlabelled. */
  int label(int index);

  /** Number of classes, 0 when unlabelled. */
  int numClasses();

  /** What the data is, for logs and error messages. */
  String describe();
}
