package io.github.saimjava.io;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * A PyTorch checkpoint ({@code torch.save} output) read in pure Java, without Python and without
 * executing anything from the file.
 *
 * <p>Both formats are read: the zip format of PyTorch 1.6 and later, and the legacy format written
 * with {@code _use_new_zipfile_serialization=False}. The pickle inside is interpreted by a
 * restricted unpickler that accepts only a whitelist of globals: plain containers ({@code
 * collections.OrderedDict}, {@code builtins.dict/list/tuple}, {@code _codecs.encode}), the tensor
 * rebuild functions of {@code torch._utils}, the storage classes ({@code torch.FloatStorage} and
 * friends), dtype objects ({@code torch.float32} and friends), {@code torch.Size} and {@code
 * argparse.Namespace}. Any other global (such as {@code posix.system} or {@code builtins.eval})
 * makes the read fail with an {@link UnsafePickleException} naming it.
 *
 * <p>The result is an inert, unmodifiable tree whose values are: {@code Map<Object, Object>} for
 * dicts (keys are {@code String}, {@code Long}, {@code Double}, {@code Boolean} or {@code
 * BigInteger}, in file order), {@code List<Object>} for lists and tuples, {@code String}, {@code
 * Long} (or {@code BigInteger} beyond 64 bits), {@code Double}, {@code Boolean}, {@code byte[]},
 * null for None, {@link HostTensor} for tensors (always contiguous, little-endian), {@link DType}
 * for dtype objects and {@link InertObject} for objects such as {@code argparse.Namespace}.
 * Attributes that a pickle sets on a dict subclass (for example a state dict's {@code _metadata})
 * are not kept.
 *
 * <p>Every malformed, truncated or hostile file gives a {@link TensorFileException} (an {@link
 * IllegalArgumentException}) naming the file and, where it applies, the record, offset, storage key
 * or global at fault; {@link IOException} is reserved for failures of the file system. Sizes,
 * strides, offsets and lengths are checked before any allocation they drive, and the work is
 * bounded by the file size. Storages and tensors are limited to 2 GiB each.
 */
public final class TorchCheckpoint {
  /** The key {@link #stateDict()} looks under when the root is not itself a state dict. */
  public static final String DEFAULT_STATE_DICT_KEY = "model";

  /** The container format of a checkpoint file. */
  public enum Format {
    /** The zip archive of PyTorch 1.6 and later. */
    ZIP,
    /** The older sequence of pickles followed by raw storages. */
    LEGACY
  }

  private final Path file;
  private final Format format;
  private final @Nullable Object root;

  private TorchCheckpoint(Path file, Format format, @Nullable Object root) {
    this.file = file;
    this.format = format;
    this.root = root;
  }

  /**
   * Reads a whole checkpoint into memory.
   *
   * @param file a {@code .pth}/{@code .pt}/{@code .ckpt} file written by {@code torch.save}
   * @return the checkpoint
   * @throws UnsafePickleException when the pickle names a global outside the whitelist
   * @throws TensorFileException when the file is not a well-formed checkpoint
   * @throws IOException when the file cannot be read
   */
  public static TorchCheckpoint read(Path file) throws IOException {
    long size = Files.size(file);
    byte[] head = new byte[(int) Math.min(4, size)];
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.wrap(head);
      while (b.hasRemaining() && ch.read(b) >= 0) {
        // fill the header
      }
    }
    if (head.length >= 4
        && head[0] == 'P'
        && head[1] == 'K'
        && ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6))) {
      return new TorchCheckpoint(file, Format.ZIP, ZipCheckpoint.read(file, size));
    }
    if (head.length >= 2 && (head[0] & 0xff) == 0x80) {
      return new TorchCheckpoint(file, Format.LEGACY, LegacyCheckpoint.read(file, size));
    }
    throw new TensorFileException(
        file,
        "not a PyTorch checkpoint: neither a zip archive nor a" + " pickle (" + size + " bytes)");
  }

  /**
   * Reads the state dict of a checkpoint file; see {@link #stateDict(String)}.
   *
   * @param file the checkpoint
   * @param key where the state dict is when the root is not itself one
   * @return the tensors by name, in file order
   * @throws TensorFileException when the file is malformed or holds no such state dict
   * @throws IOException when the file cannot be read
   */
  public static Map<String, HostTensor> readStateDict(Path file, String key) throws IOException {
    return read(file).stateDict(key);
  }

  /** The file this checkpoint was read from. */
  public Path file() {
    return file;
  }

  /** The container format the file used. */
  public Format format() {
    return format;
  }

  /** The unpickled object: usually a map; see the class comment for the value types. */
  public @Nullable Object root() {
    return root;
  }

  /**
   * The value under {@code key} when the root is a dict, such as {@code "epoch"}, {@code "args"} or
   * {@code "optimizer"}.
   *
   * @return the value, or null when the root is not a dict, lacks the key or maps it to None
   */
  public @Nullable Object get(String key) {
    return root instanceof Map<?, ?> m ? m.get(key) : null;
  }

  /** {@link #stateDict(String)} with {@link #DEFAULT_STATE_DICT_KEY}. */
  public Map<String, HostTensor> stateDict() {
    return stateDict(DEFAULT_STATE_DICT_KEY);
  }

  /**
   * The state dict: the root itself when it is a non-empty dict of tensors, otherwise the dict
   * under {@code key} (such as {@code model}, {@code state_dict} or {@code model_ema}).
   *
   * @param key where the state dict is when the root is not itself one
   * @return the tensors by name, in file order (an unmodifiable map)
   * @throws TensorFileException naming the key and the keys that exist when there is no such dict,
   *     or naming the entry when the dict holds something other than a tensor
   */
  public Map<String, HostTensor> stateDict(String key) {
    return collect(key, null);
  }

  /**
   * Like {@link #stateDict(String)}, but entries that are not tensors are skipped and reported to
   * {@code skipped} (one message each, naming the entry) instead of failing.
   *
   * @param key where the state dict is when the root is not itself one
   * @param skipped receives a message for each non-tensor entry left out
   * @return the tensors by name, in file order (an unmodifiable map)
   * @throws TensorFileException naming the key and the keys that exist when there is no such dict
   */
  public Map<String, HostTensor> stateDict(String key, Consumer<String> skipped) {
    return collect(key, skipped);
  }

  private Map<String, HostTensor> collect(String key, @Nullable Consumer<String> skipped) {
    Map<?, ?> dict = stateDictSource(key);
    String where = dict == root ? "the root state dict" : "state dict '" + key + "'";
    LinkedHashMap<String, HostTensor> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : dict.entrySet()) {
      if (!(e.getKey() instanceof String name)) {
        throw new TensorFileException(file, where + " has a non-string key " + e.getKey());
      }
      if (e.getValue() instanceof HostTensor t) {
        out.put(name, t);
      } else {
        String problem =
            where + ": entry '" + name + "' is " + describe(e.getValue()) + ", not a tensor";
        if (skipped == null) {
          throw new TensorFileException(file, problem);
        }
        skipped.accept(problem + "; skipped");
      }
    }
    return Collections.unmodifiableMap(out);
  }

  private Map<?, ?> stateDictSource(String key) {
    if (!(root instanceof Map<?, ?> m)) {
      throw new TensorFileException(
          file, "checkpoint root is " + describe(root) + ", not a dict that holds a state dict");
    }
    if (!m.isEmpty() && m.values().stream().allMatch(v -> v instanceof HostTensor)) {
      return m;
    }
    if (!m.containsKey(key)) {
      String keys =
          m.keySet().stream()
              .limit(50)
              .map(String::valueOf)
              .collect(Collectors.joining(", ", "[", m.size() > 50 ? ", ...]" : "]"));
      throw new TensorFileException(
          file,
          "no state dict under key '" + key + "'; the checkpoint's top-level keys are " + keys);
    }
    Object v = m.get(key);
    if (!(v instanceof Map<?, ?> sd)) {
      throw new TensorFileException(
          file, "key '" + key + "' holds " + describe(v) + ", not a state dict");
    }
    return sd;
  }

  /** A short description of an inert-tree value, for messages. */
  static String describe(@Nullable Object v) {
    if (v == null) {
      return "None";
    } else if (v instanceof HostTensor t) {
      return "a tensor " + t;
    } else if (v instanceof Map<?, ?> m) {
      return "a dict of " + m.size() + " entries";
    } else if (v instanceof List<?> l) {
      return "a list of " + l.size() + " items";
    } else if (v instanceof InertObject o) {
      return "an object of class " + o.className();
    } else if (v instanceof String) {
      return "a str";
    } else if (v instanceof Long || v instanceof BigInteger) {
      return "an int (" + v + ")";
    } else if (v instanceof Double) {
      return "a float (" + v + ")";
    } else if (v instanceof Boolean) {
      return "a bool (" + v + ")";
    } else if (v instanceof byte[] b) {
      return "bytes (" + b.length + ")";
    } else if (v instanceof DType d) {
      return "the dtype " + d;
    }
    return "a " + v.getClass().getSimpleName();
  }
}
