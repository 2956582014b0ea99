package io.github.saimjava.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The unpickler's intermediate values that have no public counterpart yet. {@link InertTree} turns
 * them into the public inert tree. Identity matters (memo sharing), so none of them overrides
 * {@code equals}.
 */
final class Pickled {
  private Pickled() {}

  /** A Python tuple: immutable once built. */
  static final class Tuple {
    final List<@Nullable Object> items;

    Tuple(List<@Nullable Object> items) {
      this.items = Collections.unmodifiableList(items);
    }

    int size() {
      return items.size();
    }

    @Nullable Object get(int i) {
      return items.get(i);
    }
  }

  /**
   * A storage named by a persistent id: the root storage {@code key} of {@code rootNumel} elements,
   * of which this view covers elements {@code [viewOffset, viewOffset + viewNumel)} (legacy files
   * only; otherwise the whole root).
   */
  static final class Storage {
    final String key;
    final DType dtype;
    final long rootNumel;
    final long viewOffset;
    final long viewNumel;

    Storage(String key, DType dtype, long rootNumel, long viewOffset, long viewNumel) {
      this.key = key;
      this.dtype = dtype;
      this.rootNumel = rootNumel;
      this.viewOffset = viewOffset;
      this.viewNumel = viewNumel;
    }

    /** Bytes of the root storage; its element count was overflow-checked when it was created. */
    long rootBytes() {
      return rootNumel * dtype.byteSize();
    }
  }

  /** A tensor view over a storage, already bounds-checked against the storage's declared size. */
  static final class Tensor {
    final Storage storage;
    final long offset;
    final long[] size;
    final long[] stride;
    final long numel;

    Tensor(Storage storage, long offset, long[] size, long[] stride, long numel) {
      this.storage = storage;
      this.offset = offset;
      this.size = size;
      this.stride = stride;
      this.numel = numel;
    }

    long bytes() {
      return numel * storage.dtype.byteSize();
    }
  }

  /** An instance of a class kept as inert data (argparse.Namespace) while it is being built. */
  static final class Obj {
    final String className;
    final LinkedHashMap<String, @Nullable Object> state = new LinkedHashMap<>();

    Obj(String className) {
      this.className = className;
    }
  }
}
