package io.github.saimjava.data;

import io.github.saimjava.api.RawImage;
import java.util.ArrayList;
import java.util.List;

/**
 * Images addressed by index {@code 0 .. size() - 1}, with optional class labels (unused by
 * pre-training). Implementations must be safe to read from several threads at once.
 */
public interface ImageDataset {
  /** Number of images. */
  int size();

  /**
   * Decodes image {@code index}, 8-bit, with one (grayscale) or three (RGB) channels.
   *
   * @throws IllegalArgumentException naming the file when it cannot be decoded
   * @throws IndexOutOfBoundsException when {@code index} is outside {@code 0 .. size() - 1}
   */
  DecodedImage image(int index);

  /** Class label of image {@code index}, or -1 when unlabelled. */
  int label(int index);

  /**
   * Image {@code index} with its label. A dataset that skips undecodable images answers with the
   * next decodable image (in index order, wrapping) and that image's label.
   *
   * @throws IllegalArgumentException naming the file when it cannot be decoded and is not skipped
   */
  default LabeledImage load(int index) {
    return new LabeledImage(image(index), label(index));
  }

  /** Number of classes, 0 when unlabelled. */
  int numClasses();

  /** A short name: the file, folder or resource the images come from. */
  String name();

  /** What the data is, with its size, for logs and error messages. */
  String describe();

  /** The label of every image in index order (-1 where unlabelled). */
  default int[] labels() {
    int[] y = new int[size()];
    for (int i = 0; i < y.length; i++) {
      y[i] = label(i);
    }
    return y;
  }

  /**
   * Every image decoded, in index order, as the public API's {@link
   * io.github.saimjava.api.RawImage} (what {@code SaimEncoder} embeds).
   */
  default List<RawImage> rawImages() {
    List<RawImage> out = new ArrayList<>(size());
    for (int i = 0; i < size(); i++) {
      out.add(image(i).toRawImage());
    }
    return out;
  }

  /** Distinct undecodable images skipped so far; 0 for a dataset that does not skip. */
  default long skippedImages() {
    return 0;
  }
}
