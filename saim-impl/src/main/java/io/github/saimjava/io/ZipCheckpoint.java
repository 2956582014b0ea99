package io.github.saimjava.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.jspecify.annotations.Nullable;

/**
 * The zip checkpoint format of {@code torch.save} (PyTorch 1.6 and later): {@code <name>/data.pkl}
 * holds the object pickle, whose persistent ids {@code ('storage', type, key, location, numel)}
 * name records {@code <name>/data/<key>} of raw bytes, and an optional {@code <name>/byteorder}
 * record says {@code little} or {@code big}. Records must be stored uncompressed, as {@code
 * torch.save} writes them.
 */
final class ZipCheckpoint {
  /** Largest data.pkl accepted. */
  static final long MAX_PICKLE_BYTES = 512L << 20;

  /** A storage key is a plain record name: no separators, no "..". */
  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}");

  private static final Pattern DATA_PKL = Pattern.compile("[^/\\\\]+/data\\.pkl");

  private final Path file;
  private final long fileSize;
  private final ZipFile zip;
  private final Map<String, ZipEntry> entries = new HashMap<>();
  private final Map<String, Pickled.Storage> storages = new HashMap<>();
  private String prefix = "";

  private ZipCheckpoint(Path file, long fileSize, ZipFile zip) {
    this.file = file;
    this.fileSize = fileSize;
    this.zip = zip;
  }

  /** The inert tree of the checkpoint in {@code file}. */
  static @Nullable Object read(Path file, long fileSize) throws IOException {
    ZipFile zip;
    try {
      zip = new ZipFile(file.toFile(), ZipFile.OPEN_READ, StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      throw new TensorFileException(file, "not a readable zip archive: " + reason(e), e);
    }
    try (zip) {
      return new ZipCheckpoint(file, fileSize, zip).read();
    }
  }

  private @Nullable Object read() throws IOException {
    List<String> pickles = new ArrayList<>();
    try {
      Enumeration<? extends ZipEntry> all = zip.entries();
      while (all.hasMoreElements()) {
        ZipEntry e = all.nextElement();
        entries.put(e.getName(), e);
        if (DATA_PKL.matcher(e.getName()).matches()) {
          pickles.add(e.getName());
        }
      }
    } catch (RuntimeException e) {
      throw new TensorFileException(file, "corrupt zip directory: " + reason(e), e);
    }
    if (pickles.size() != 1) {
      throw new TensorFileException(
          file,
          pickles.isEmpty()
              ? "no '<name>/data.pkl' record: not a PyTorch zip checkpoint"
              : "several data.pkl records " + pickles + ": ambiguous checkpoint");
    }
    String pkl = pickles.get(0);
    prefix = pkl.substring(0, pkl.length() - "/data.pkl".length());
    ZipEntry pklEntry = Objects.requireNonNull(entries.get(pkl)); // found among the entries
    long pklSize = pklEntry.getSize();
    if (pklSize < 0 || pklSize > MAX_PICKLE_BYTES) {
      throw new TensorFileException(file, "record '" + pkl + "' has unsupported size " + pklSize);
    }
    byte[] pickle = record(pklEntry, pklSize);
    ByteOrder order = byteOrder();
    Object root = new Unpickler(PickleInput.ofBytes(pickle), file, pkl, this::storage).load();
    return InertTree.build(root, file, this::storageBytes, order, fileSize);
  }

  private ByteOrder byteOrder() throws IOException {
    ZipEntry e = entries.get(prefix + "/byteorder");
    if (e == null) {
      return ByteOrder.LITTLE_ENDIAN;
    }
    if (e.getSize() < 0 || e.getSize() > 16) {
      throw new TensorFileException(file, "record '" + e.getName() + "' is not 'little' or 'big'");
    }
    String s = new String(record(e, e.getSize()), StandardCharsets.US_ASCII).trim();
    return switch (s) {
      case "little" -> ByteOrder.LITTLE_ENDIAN;
      case "big" -> ByteOrder.BIG_ENDIAN;
      default ->
          throw new TensorFileException(
              file, "record '" + e.getName() + "' says '" + s + "', not 'little' or 'big'");
    };
  }

  /** Checks a persistent id and returns the one storage object for its key. */
  private Pickled.Storage storage(@Nullable Object pid, Unpickler u) {
    if (!(pid instanceof Pickled.Tuple t) || t.size() != 5 || !"storage".equals(t.get(0))) {
      throw u.fail(
          "persistent id must be ('storage', type, key, location, numel), got a "
              + Unpickler.typeName(pid)
              + (pid instanceof Pickled.Tuple t2 ? " of " + t2.size() : ""));
    }
    if (!(t.get(1) instanceof SafeGlobal g) || g.storageDtype == null) {
      throw u.fail("persistent id names " + Unpickler.typeName(t.get(1)) + ", not a storage type");
    }
    DType dtype = g.storageDtype;
    if (!(t.get(2) instanceof String key)) {
      throw u.fail("storage key must be a str, got " + Unpickler.typeName(t.get(2)));
    }
    if (!KEY.matcher(key).matches() || key.contains("..")) {
      throw u.fail(
          "storage key '"
              + printable(key)
              + "' is not a plain record name"
              + " (it could leave the archive's data folder)");
    }
    if (!(t.get(4) instanceof Long numel) || numel < 0) {
      throw u.fail("storage '" + key + "' has invalid element count " + t.get(4));
    }
    String name = prefix + "/data/" + key;
    ZipEntry e = entries.get(name);
    if (e == null) {
      throw u.fail("storage key '" + key + "': no record '" + name + "' in the archive");
    }
    long bytes;
    try {
      bytes = Math.multiplyExact(numel, (long) dtype.byteSize());
    } catch (ArithmeticException ex) {
      throw u.fail("storage '" + key + "' declares " + numel + " elements, which overflows");
    }
    if (e.getSize() != bytes) {
      throw u.fail(
          String.format(
              Locale.ROOT,
              "storage '%s' declares %d elements of %s (%d bytes) but record '%s' holds %d bytes",
              key,
              numel,
              dtype,
              bytes,
              name,
              e.getSize()));
    }
    Pickled.Storage known = storages.get(key);
    if (known != null) {
      if (known.dtype != dtype || known.rootNumel != numel) {
        throw u.fail("storage '" + key + "' is declared twice with different types or sizes");
      }
      return known;
    }
    Pickled.Storage s = new Pickled.Storage(key, dtype, numel, 0, numel);
    storages.put(key, s);
    return s;
  }

  private ByteBuffer storageBytes(String key, long bytes) throws IOException {
    ZipEntry e = entries.get(prefix + "/data/" + key);
    if (e == null) {
      throw new IllegalStateException("storage checked at load time vanished: " + key);
    }
    return ByteBuffer.wrap(record(e, bytes));
  }

  /** The exact {@code size} bytes of a stored (uncompressed) record. */
  private byte[] record(ZipEntry e, long size) throws IOException {
    if (e.getMethod() != ZipEntry.STORED) {
      throw new TensorFileException(
          file,
          "record '" + e.getName() + "' is compressed; torch.save stores records uncompressed");
    }
    if (size < 0
        || size > fileSize
        || size > Unpickler.MAX_BYTES
        || e.getCompressedSize() != size) {
      throw new TensorFileException(
          file,
          "record '" + e.getName() + "' claims " + size + " bytes, inconsistent with the archive");
    }
    byte[] b = new byte[(int) size];
    try (InputStream in = zip.getInputStream(e)) {
      int n = in.readNBytes(b, 0, b.length);
      if (n != size) {
        throw new TensorFileException(
            file, "record '" + e.getName() + "' is truncated: " + n + " of " + size + " bytes");
      }
    } catch (IOException | RuntimeException ex) {
      if (ex instanceof TensorFileException tfe) {
        throw tfe;
      }
      throw new TensorFileException(
          file, "record '" + e.getName() + "' cannot be read: " + reason(ex), ex);
    }
    return b;
  }

  private static String reason(Exception e) {
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    s.codePoints()
        .limit(120)
        .forEach(
            c -> {
              if (c < 0x20 || c == 0x7f) {
                b.append(String.format(Locale.ROOT, "\\x%02x", c));
              } else {
                b.appendCodePoint(c);
              }
            });
    return s.length() > 120 ? b + "..." : b.toString();
  }
}
