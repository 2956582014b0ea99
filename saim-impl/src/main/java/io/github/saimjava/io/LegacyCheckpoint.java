package io.github.saimjava.io;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The legacy (non-zip) format of {@code torch.save}: five pickles in a row (a magic number, the
 * protocol version 1001, a dict of system information, the object, and the list of storage keys),
 * then each storage in that list's order as an 8-byte element count followed by its raw elements.
 * Persistent ids are {@code ('storage', type, key, location, numel, view)} where {@code view} is
 * None or {@code (view_key, offset, size)}, a slice of the root storage.
 */
final class LegacyCheckpoint {
  /** The magic number the format starts with. */
  static final BigInteger MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);

  static final long PROTOCOL_VERSION = 1001;

  /** A root storage as the object pickle declares it, and where its bytes are. */
  private static final class Root {
    final Pickled.Storage storage;
    long dataOffset = -1;

    Root(Pickled.Storage storage) {
      this.storage = storage;
    }
  }

  private final Path file;
  private final long fileSize;
  private final Map<String, Root> roots = new HashMap<>();

  private LegacyCheckpoint(Path file, long fileSize) {
    this.file = file;
    this.fileSize = fileSize;
  }

  /** The inert tree of the checkpoint in {@code file}. */
  static @Nullable Object read(Path file, long fileSize) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return new LegacyCheckpoint(file, fileSize).read(ch);
    }
  }

  private @Nullable Object read(FileChannel ch) throws IOException {
    PickleInput in = PickleInput.ofChannel(ch, 0, fileSize);
    Object magic = new Unpickler(in, file, "magic-number pickle", null).load();
    if (!(magic instanceof BigInteger m) || !m.equals(MAGIC)) {
      throw new TensorFileException(
          file, "not a PyTorch checkpoint: the legacy format's magic" + " number is missing");
    }
    Object version = new Unpickler(in, file, "protocol-version pickle", null).load();
    if (!(version instanceof Long v) || v != PROTOCOL_VERSION) {
      throw new TensorFileException(
          file, "unsupported legacy checkpoint protocol version " + version);
    }
    Object sysInfo = new Unpickler(in, file, "system-info pickle", null).load();
    ByteOrder order = ByteOrder.LITTLE_ENDIAN;
    if (!(sysInfo instanceof Map<?, ?> info)) {
      throw new TensorFileException(file, "system-info pickle is not a dict");
    }
    if (Boolean.FALSE.equals(info.get("little_endian"))) {
      order = ByteOrder.BIG_ENDIAN;
    }
    Object root = new Unpickler(in, file, "object pickle", this::storage).load();
    long keysAt = in.position();
    Object keys = new Unpickler(in, file, "storage-key pickle", null).load();
    List<?> keyList;
    if (keys instanceof List<?> l) {
      keyList = l;
    } else if (keys instanceof Pickled.Tuple t) {
      keyList = t.items;
    } else {
      throw new TensorFileException(
          file,
          "storage-key pickle at byte "
              + keysAt
              + " is a "
              + Unpickler.typeName(keys)
              + ", not a list");
    }
    locateStorages(in, keyList, order);
    return InertTree.build(root, file, (key, bytes) -> readAt(ch, key, bytes), order, fileSize);
  }

  /** Walks the storages after the pickles, checking each count and length before moving on. */
  private void locateStorages(PickleInput in, List<?> keys, ByteOrder order) throws IOException {
    Set<String> seen = new HashSet<>();
    for (Object k : keys) {
      if (!(k instanceof String key)) {
        throw new TensorFileException(file, "storage key list holds a " + Unpickler.typeName(k));
      }
      Root r = roots.get(key);
      if (r == null) {
        throw new TensorFileException(
            file, "storage '" + key + "' is listed after the pickle but no tensor refers to it");
      }
      if (!seen.add(key)) {
        throw new TensorFileException(file, "storage '" + key + "' is listed twice");
      }
      long at = in.position();
      if (in.remaining() < 8) {
        throw new TensorFileException(
            file,
            "file ends at byte " + fileSize + " before the element count of storage '" + key + "'");
      }
      byte[] countBytes = new byte[8];
      in.readFully(countBytes);
      long count = ByteBuffer.wrap(countBytes).order(order).getLong();
      Pickled.Storage s = r.storage;
      if (count != s.rootNumel) {
        throw new TensorFileException(
            file,
            String.format(
                Locale.ROOT,
                "storage '%s' at byte %d holds %d elements but the pickle declared %d",
                key,
                at,
                count,
                s.rootNumel));
      }
      long bytes = s.rootBytes();
      if (bytes > in.remaining()) {
        throw new TensorFileException(
            file,
            String.format(
                Locale.ROOT,
                "storage '%s' needs %d bytes at byte %d but only %d remain (truncated file)",
                key,
                bytes,
                at + 8,
                in.remaining()));
      }
      r.dataOffset = in.position();
      in.skip(bytes);
    }
    for (Map.Entry<String, Root> e : roots.entrySet()) {
      if (e.getValue().dataOffset < 0) {
        throw new TensorFileException(
            file,
            "storage '" + e.getKey() + "' is used by a tensor but missing from the storage list");
      }
    }
  }

  /** Checks a persistent id; views become storages that cover a slice of their root. */
  private Pickled.Storage storage(@Nullable Object pid, Unpickler u) {
    if (!(pid instanceof Pickled.Tuple t) || t.size() != 6 || !"storage".equals(t.get(0))) {
      throw u.fail(
          "persistent id must be ('storage', type, key, location, numel, view), got a "
              + Unpickler.typeName(pid)
              + (pid instanceof Pickled.Tuple t2 ? " of " + t2.size() : ""));
    }
    if (!(t.get(1) instanceof SafeGlobal g) || g.storageDtype == null) {
      throw u.fail("persistent id names " + Unpickler.typeName(t.get(1)) + ", not a storage type");
    }
    DType dtype = g.storageDtype;
    if (!(t.get(2) instanceof String key) || key.length() > 1024) {
      throw u.fail("storage key must be a short str, got " + Unpickler.typeName(t.get(2)));
    }
    if (!(t.get(4) instanceof Long numel) || numel < 0) {
      throw u.fail("storage '" + key + "' has invalid element count " + t.get(4));
    }
    if (numel > fileSize / dtype.byteSize()) {
      throw u.fail(
          String.format(
              Locale.ROOT,
              "storage '%s' declares %d elements of %s, more than the file's %d bytes can hold",
              key,
              numel,
              dtype,
              fileSize));
    }
    Root root = roots.get(key);
    if (root == null) {
      root = new Root(new Pickled.Storage(key, dtype, numel, 0, numel));
      roots.put(key, root);
    } else if (root.storage.dtype != dtype || root.storage.rootNumel != numel) {
      throw u.fail("storage '" + key + "' is declared twice with different types or sizes");
    }
    Object view = t.get(5);
    if (view == null) {
      return root.storage;
    }
    if (!(view instanceof Pickled.Tuple v)
        || v.size() != 3
        || !(v.get(1) instanceof Long offset)
        || !(v.get(2) instanceof Long size)) {
      throw u.fail("storage view of '" + key + "' must be (key, offset, size)");
    }
    if (offset < 0 || size < 0 || offset > numel || size > numel - offset) {
      throw u.fail(
          String.format(
              Locale.ROOT,
              "storage view [%d, %d + %d) lies outside storage '%s' of %d elements",
              offset,
              offset,
              size,
              key,
              numel));
    }
    return new Pickled.Storage(key, dtype, numel, offset, size);
  }

  private ByteBuffer readAt(FileChannel ch, String key, long bytes) throws IOException {
    Root r = roots.get(key);
    if (r == null) {
      throw new IllegalStateException("storage checked at load time vanished: " + key);
    }
    ByteBuffer b = ByteBuffer.allocate((int) bytes);
    long at = r.dataOffset;
    while (b.hasRemaining()) {
      int n = ch.read(b, at);
      if (n < 0) {
        throw new TensorFileException(file, "file ended while reading storage '" + key + "'");
      }
      at += n;
    }
    b.flip();
    return b;
  }
}
