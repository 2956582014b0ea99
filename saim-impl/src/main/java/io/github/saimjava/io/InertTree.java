package io.github.saimjava.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Turns the unpickler's value graph into the public inert tree: unmodifiable maps and lists, {@link
 * InertObject}s and contiguous {@link HostTensor}s. Shared values stay shared; cycles and nesting
 * deeper than {@link #MAX_NESTING} are refused. Before any tensor byte is read, the total storage
 * bytes are checked against what the file can hold and the total tensor bytes against a budget, so
 * a file cannot make the reader allocate or copy much more than its own size.
 */
final class InertTree {
  /** Deepest nesting of containers. */
  static final int MAX_NESTING = 256;

  /**
   * Most nodes of the tree unfolded (a value shared n times counts n times), so that consumers that
   * walk it recursively (equals, toString, serializers) cannot be made to do exponential work.
   */
  static final long MAX_UNFOLDED = 16_000_000;

  /** Tensor bytes allowed beyond four times the storage bytes (views may overlap or repeat). */
  static final long TENSOR_BYTES_SLACK = 16L << 20;

  /** Reads the bytes of a root storage. */
  @FunctionalInterface
  interface StorageReader {
    /**
     * The {@code bytes} bytes of root storage {@code key}, in the file's byte order, in a heap
     * buffer at position 0.
     */
    ByteBuffer read(String key, long bytes) throws IOException;
  }

  private final Path file;
  private final StorageReader reader;
  private final ByteOrder order;

  /** Unfolded size of each container or tensor already scanned. */
  private final IdentityHashMap<Object, Long> visited = new IdentityHashMap<>();

  private final Set<Object> onPath = Collections.newSetFromMap(new IdentityHashMap<>());
  private final List<Pickled.Tensor> tensors = new ArrayList<>();
  private final IdentityHashMap<Pickled.Storage, Pickled.Tensor> bareStorages =
      new IdentityHashMap<>();
  private final Map<String, Integer> uses = new HashMap<>();
  private final Map<String, ByteBuffer> cache = new HashMap<>();
  private final IdentityHashMap<Object, Object> built = new IdentityHashMap<>();

  private InertTree(Path file, StorageReader reader, ByteOrder order) {
    this.file = file;
    this.reader = reader;
    this.order = order;
  }

  /**
   * The inert tree of {@code root}.
   *
   * @param storageBytesLimit the most storage bytes the file can hold (its size)
   */
  static @Nullable Object build(
      @Nullable Object root,
      Path file,
      StorageReader reader,
      ByteOrder order,
      long storageBytesLimit)
      throws IOException {
    InertTree t = new InertTree(file, reader, order);
    t.scan(root, 0);
    t.plan(storageBytesLimit);
    return t.freeze(root);
  }

  /**
   * Checks nesting, cycles and the unfolded size, and collects the reachable tensors.
   *
   * @return the number of nodes of {@code o} unfolded
   */
  private long scan(@Nullable Object o, int depth) {
    if (o == null
        || (!isContainer(o) && !(o instanceof Pickled.Tensor) && !(o instanceof Pickled.Storage))) {
      return 1;
    }
    if (depth > MAX_NESTING) {
      throw new TensorFileException(
          file, "values are nested deeper than " + MAX_NESTING + " levels");
    }
    if (onPath.contains(o)) {
      throw new TensorFileException(
          file,
          "a "
              + Unpickler.typeName(o)
              + " contains itself; recursive structures are not supported");
    }
    Long known = visited.get(o);
    if (known != null) {
      return known;
    }
    long size = 1;
    if (o instanceof Pickled.Tensor t) {
      tensors.add(t);
    } else if (o instanceof Pickled.Storage s) {
      Pickled.Tensor whole =
          new Pickled.Tensor(s, 0, new long[] {s.viewNumel}, new long[] {1}, s.viewNumel);
      bareStorages.put(s, whole);
      tensors.add(whole);
    } else {
      onPath.add(o);
      for (Object child : children(o)) {
        size += scan(child, depth + 1);
        if (size > MAX_UNFOLDED) {
          throw new TensorFileException(
              file,
              "the object tree, with shared values repeated, has"
                  + " more than "
                  + MAX_UNFOLDED
                  + " nodes");
        }
      }
      onPath.remove(o);
    }
    visited.put(o, size);
    return size;
  }

  private static boolean isContainer(@Nullable Object o) {
    return o instanceof Pickled.Tuple
        || o instanceof List<?>
        || o instanceof Map<?, ?>
        || o instanceof Pickled.Obj;
  }

  private static Iterable<?> children(Object o) {
    if (o instanceof Pickled.Tuple t) {
      return t.items;
    } else if (o instanceof List<?> l) {
      return l;
    } else if (o instanceof Map<?, ?> m) {
      return m.values(); // keys are scalars
    } else {
      return ((Pickled.Obj) o).state.values();
    }
  }

  /** Checks the byte budgets and counts the uses of each storage, before reading anything. */
  private void plan(long storageBytesLimit) {
    Map<String, Long> storageBytes = new HashMap<>();
    long tensorBytes = 0;
    for (Pickled.Tensor t : tensors) {
      storageBytes.put(t.storage.key, t.storage.rootBytes());
      uses.merge(t.storage.key, 1, Integer::sum);
      tensorBytes += t.bytes(); // each below 2 GiB, fewer than 2^31 of them: no overflow
    }
    long total = 0;
    for (Map.Entry<String, Long> e : storageBytes.entrySet()) {
      if (e.getValue() > Unpickler.MAX_BYTES) {
        throw new TensorFileException(
            file,
            "storage '"
                + e.getKey()
                + "' is larger than 2 GiB,"
                + " which this reader does not support");
      }
      total += e.getValue();
    }
    if (total > storageBytesLimit) {
      throw new TensorFileException(
          file,
          String.format(
              Locale.ROOT,
              "tensors refer to %d bytes of storages but the file holds only %d bytes",
              total,
              storageBytesLimit));
    }
    long budget = 4 * total + TENSOR_BYTES_SLACK;
    if (tensorBytes > budget) {
      throw new TensorFileException(
          file,
          String.format(
              Locale.ROOT,
              "tensors would take %d bytes, more than the %d allowed for %d bytes of storages",
              tensorBytes,
              budget,
              total));
    }
  }

  private @Nullable Object freeze(@Nullable Object o) throws IOException {
    if (o == null) {
      return null;
    }
    if (o instanceof SafeGlobal g) {
      return new InertObject(g.qualifiedName(), Map.of());
    }
    boolean shared = isContainer(o) || o instanceof Pickled.Tensor || o instanceof Pickled.Storage;
    if (!shared) {
      return o; // String, Long, BigInteger, Double, Boolean, byte[], DType
    }
    Object done = built.get(o);
    if (done != null) {
      return done;
    }
    Object result;
    if (o instanceof Pickled.Tensor t) {
      result = materialize(t);
    } else if (o instanceof Pickled.Storage s) {
      // scan() registered every reachable bare storage
      result = materialize(Objects.requireNonNull(bareStorages.get(s)));
    } else if (o instanceof Pickled.Tuple t) {
      result = freezeList(t.items);
    } else if (o instanceof List<?> l) {
      result = freezeList(l);
    } else if (o instanceof Map<?, ?> m) {
      LinkedHashMap<Object, @Nullable Object> copy = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        copy.put(e.getKey(), freeze(e.getValue()));
      }
      result = Collections.unmodifiableMap(copy);
    } else {
      Pickled.Obj obj = (Pickled.Obj) o;
      LinkedHashMap<String, @Nullable Object> state = new LinkedHashMap<>();
      for (Map.Entry<String, @Nullable Object> e : obj.state.entrySet()) {
        state.put(e.getKey(), freeze(e.getValue()));
      }
      result = new InertObject(obj.className, state);
    }
    built.put(o, result);
    return result;
  }

  private List<@Nullable Object> freezeList(List<?> items) throws IOException {
    List<@Nullable Object> copy = new ArrayList<>(items.size());
    for (Object item : items) {
      copy.add(freeze(item));
    }
    return Collections.unmodifiableList(copy);
  }

  /** The contiguous little-endian copy of a (possibly strided) view. */
  private HostTensor materialize(Pickled.Tensor t) throws IOException {
    Pickled.Storage s = t.storage;
    DType dtype = s.dtype;
    int es = dtype.byteSize();
    int left = uses.merge(s.key, -1, Integer::sum);
    ByteBuffer storage = cache.get(s.key);
    if (storage == null) {
      storage = reader.read(s.key, s.rootBytes());
      toLittleEndian(storage, es);
      if (left > 0) {
        cache.put(s.key, storage);
      }
    }
    if (left == 0) {
      cache.remove(s.key);
    }
    long base = s.viewOffset + t.offset;
    int bytes = (int) t.bytes();
    if (isContiguous(t.size, t.stride)) {
      int from = (int) (base * es);
      if (left == 0 && from == 0 && bytes == storage.capacity()) {
        storage.clear();
        return HostTensor.wrapOwned(dtype, t.size, storage);
      }
      ByteBuffer slice = storage.duplicate();
      slice.limit(from + bytes).position(from);
      return HostTensor.of(dtype, t.size, slice);
    }
    return HostTensor.wrapOwned(dtype, t.size, gather(storage, t, base, es));
  }

  /** True when the view is row-major contiguous (or empty), so its bytes are one slice. */
  private static boolean isContiguous(long[] size, long[] stride) {
    for (long d : size) {
      if (d == 0) {
        return true;
      }
    }
    long expected = 1;
    for (int i = size.length - 1; i >= 0; i--) {
      if (size[i] != 1 && stride[i] != expected) {
        return false;
      }
      expected *= size[i];
    }
    return true;
  }

  /** Copies the elements of a strided view in row-major order. */
  private static ByteBuffer gather(ByteBuffer storage, Pickled.Tensor t, long base, int es) {
    byte[] src = storage.array();
    int srcOff = storage.arrayOffset();
    byte[] out = new byte[(int) t.bytes()];
    int rank = t.size.length;
    long[] idx = new long[rank];
    long innerSize = t.size[rank - 1];
    long innerStride = t.stride[rank - 1];
    long pos = base;
    int o = 0;
    for (long n = 0; n < t.numel; n += innerSize) {
      long p = pos;
      for (long i = 0; i < innerSize; i++) {
        System.arraycopy(src, srcOff + (int) (p * es), out, o, es);
        o += es;
        p += innerStride;
      }
      for (int d = rank - 2; d >= 0; d--) {
        idx[d]++;
        pos += t.stride[d];
        if (idx[d] < t.size[d]) {
          break;
        }
        pos -= t.stride[d] * t.size[d];
        idx[d] = 0;
      }
    }
    return ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Swaps each element's bytes in place when the file is big-endian. */
  private void toLittleEndian(ByteBuffer b, int es) {
    if (order == ByteOrder.LITTLE_ENDIAN || es == 1) {
      return;
    }
    byte[] a = b.array();
    int off = b.arrayOffset();
    for (int i = off; i + es <= off + b.capacity(); i += es) {
      for (int j = 0; j < es / 2; j++) {
        byte tmp = a[i + j];
        a[i + j] = a[i + es - 1 - j];
        a[i + es - 1 - j] = tmp;
      }
    }
  }
}
