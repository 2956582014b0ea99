package io.github.saimjava.data;

import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Remembers undecodable images and stands the next decodable one (in index order, wrapping) in for
 * each, so a batch keeps its size and stays a pure function of its position. Thread-safe.
 */
final class BadImages {
  private static final Logger LOG = LoggerFactory.getLogger(BadImages.class);

  private final ConcurrentSkipListMap<Integer, String> bad = new ConcurrentSkipListMap<>();

  /**
   * Image {@code index} from {@code loader}, or its stand-in when it (or a later one) cannot be
   * decoded.
   */
  LabeledImage load(int index, int size, IntFunction<LabeledImage> loader, String what) {
    for (int k = 0; k < size; k++) {
      int i = (int) ((index + (long) k) % size);
      if (bad.containsKey(i)) {
        continue;
      }
      try {
        return loader.apply(i);
      } catch (IllegalArgumentException e) {
        if (bad.putIfAbsent(i, String.valueOf(e.getMessage())) == null) {
          LOG.warn("skipping undecodable image {} of {}: {}", i, what, e.getMessage());
        }
      }
    }
    throw new IllegalArgumentException(
        what
            + ": none of its "
            + size
            + " images can be decoded (first: "
            + (bad.isEmpty() ? "?" : bad.firstEntry().getValue())
            + ")");
  }

  long count() {
    return bad.size();
  }

  /** The error of each skipped image, in index order. */
  List<String> messages() {
    return List.copyOf(bad.values());
  }
}
