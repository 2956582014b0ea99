package io.github.saimjava.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.jspecify.annotations.Nullable;

/**
 * Images in the IDX format of MNIST and Fashion-MNIST: magic 0x00000803 then big-endian count, rows
 * and columns, then 8-bit pixels; with an optional IDX labels file (magic 0x00000801, a count, one
 * byte per label). Either file may be gzip-compressed, which is told by the gzip magic bytes, not
 * by the name. The images are held in memory.
 *
 * <p>Input is untrusted: the magic, the element type and every dimension are checked, a declared
 * size is checked against the bytes the file can hold before anything is allocated from it, and
 * every problem is an {@link IllegalArgumentException} naming the file and the field.
 */
public final class IdxDataset implements ImageDataset {
  /** Magic number of an IDX file of unsigned-byte images (3 dimensions). */
  public static final int IMAGES_MAGIC = 0x00000803;

  /** Magic number of an IDX file of unsigned-byte labels (1 dimension). */
  public static final int LABELS_MAGIC = 0x00000801;

  /** Largest payload one Java array can hold. */
  static final long MAX_PAYLOAD = Integer.MAX_VALUE - 8;

  /**
   * Deflate cannot expand data by more than about 1032:1; a gzip file declaring more is rejected up
   * front.
   */
  static final long MAX_GZIP_RATIO = 1033;

  private final String name;
  private final int count;
  private final int rows;
  private final int cols;
  private final byte[] pixels;
  private final byte @Nullable [] labels;
  private final int numClasses;

  private IdxDataset(
      String name, int count, int rows, int cols, byte[] pixels, byte @Nullable [] labels) {
    this.name = name;
    this.count = count;
    this.rows = rows;
    this.cols = cols;
    this.pixels = pixels;
    this.labels = labels;
    int max = -1;
    if (labels != null) {
      for (byte b : labels) {
        max = Math.max(max, b & 0xff);
      }
    }
    this.numClasses = max + 1;
  }

  /**
   * Reads an images file and, when one lies beside it, its labels file ({@link #pairedLabels}).
   *
   * @throws IllegalArgumentException naming the file and the field when a file is not valid IDX
   * @throws IOException when a file cannot be read
   */
  public static IdxDataset open(Path images) throws IOException {
    return open(images, pairedLabels(images));
  }

  /**
   * Reads an images file and an optional labels file.
   *
   * @throws IllegalArgumentException naming the file and the field when a file is missing or not
   *     valid IDX, or the label count differs from the image count
   * @throws IOException when a file cannot be read
   */
  public static IdxDataset open(Path images, @Nullable Path labels) throws IOException {
    Payload img = readFile(images, IMAGES_MAGIC);
    Payload lab = labels == null ? null : readFile(labels, LABELS_MAGIC);
    return build(images.toString(), img, labels == null ? null : labels.toString(), lab);
  }

  /**
   * Reads IDX images (and optionally labels) from streams, e.g. classpath resources; the names
   * appear in errors. The streams are read to their end but not closed.
   *
   * @throws IllegalArgumentException naming the stream and the field when the data is not valid IDX
   * @throws IOException when a stream cannot be read
   */
  public static IdxDataset read(
      String imagesName,
      InputStream images,
      @Nullable String labelsName,
      @Nullable InputStream labels)
      throws IOException {
    Payload img = read(imagesName, images, -1, IMAGES_MAGIC);
    Payload lab = null;
    if (labels != null) {
      lab =
          read(labelsName == null ? imagesName + " labels" : labelsName, labels, -1, LABELS_MAGIC);
    }
    return build(imagesName, img, labelsName, lab);
  }

  /**
   * The labels file paired with {@code images} by the usual naming, when it exists: {@code
   * X-images-idx3-ubyte[.gz]} pairs with {@code X-labels-idx1-ubyte} or {@code
   * X-labels-idx1-ubyte.gz} (also with {@code .} instead of the {@code -} before {@code idx}). Null
   * when the name does not follow the convention or no such file exists.
   */
  public static @Nullable Path pairedLabels(Path images) {
    Path fileName = images.getFileName();
    if (fileName == null) {
      return null;
    }
    String file = fileName.toString();
    for (String sep : new String[] {"-", "."}) {
      String token = "images" + sep + "idx3-ubyte";
      int at = file.lastIndexOf(token);
      if (at < 0) {
        continue;
      }
      String base = file.substring(0, at) + "labels" + sep + "idx1-ubyte";
      for (String suffix : new String[] {"", ".gz"}) {
        Path candidate = images.resolveSibling(base + suffix);
        if (Files.isRegularFile(candidate)) {
          return candidate;
        }
      }
    }
    return null;
  }

  private static IdxDataset build(
      String imagesName, Payload img, @Nullable String labelsName, @Nullable Payload lab) {
    int n = img.dims[0];
    byte[] labels = null;
    if (lab != null) {
      if (lab.dims[0] != n) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "%s: count: %d labels, but %s holds %d images",
                labelsName,
                lab.dims[0],
                imagesName,
                n));
      }
      labels = lab.data;
    }
    return new IdxDataset(imagesName, n, img.dims[1], img.dims[2], img.data, labels);
  }

  /** Header dimensions and payload of one IDX file. */
  private record Payload(int[] dims, byte[] data) {}

  private static Payload readFile(Path file, int magic) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(
          file
              + ": no such file (expected an IDX "
              + (magic == IMAGES_MAGIC ? "images" : "labels")
              + " file, gzip-compressed or not)");
    }
    long length = Files.size(file);
    try (InputStream in = Files.newInputStream(file)) {
      return read(file.toString(), in, length, magic);
    }
  }

  private static String kind(int magic) {
    return magic == IMAGES_MAGIC ? "IDX images (0x00000803)" : "IDX labels (0x00000801)";
  }

  /**
   * Parses one IDX file of the given magic; {@code length} is the size of the stream in bytes
   * (compressed if it is gzip), or -1 when unknown.
   */
  private static Payload read(String file, InputStream raw, long length, int magic)
      throws IOException {
    BufferedInputStream buffered = new BufferedInputStream(raw, 1 << 16);
    buffered.mark(2);
    int b0 = buffered.read();
    int b1 = buffered.read();
    buffered.reset();
    boolean gzip = b0 == 0x1f && b1 == 0x8b;
    InputStream in = buffered;
    try {
      if (gzip) {
        in = new GZIPInputStream(buffered, 1 << 16);
      }
      int ndims = magic & 0xff;
      byte[] header = new byte[4 + 4 * ndims];
      int got = readUpTo(in, header, 0, header.length);
      if (got < 4) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "%s: magic: the file holds only %d bytes, expected %s",
                file,
                got,
                kind(magic)));
      }
      int found = readInt(header, 0);
      if (found != magic) {
        throw new IllegalArgumentException(file + ": magic: " + describeMagic(found, magic));
      }
      if (got < header.length) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "%s: dimensions: truncated header (%d of %d bytes)",
                file,
                got,
                header.length));
      }
      int[] dims = new int[ndims];
      long need = 1;
      String[] fields =
          magic == IMAGES_MAGIC
              ? new String[] {"count", "rows", "columns"}
              : new String[] {"count"};
      for (int d = 0; d < ndims; d++) {
        long v = readInt(header, 4 + 4 * d) & 0xffffffffL;
        if (v == 0) {
          throw new IllegalArgumentException(
              String.format(
                  Locale.ROOT,
                  "%s: %s: 0, the file holds no %s",
                  file,
                  fields[d],
                  d == 0 ? "items" : "pixels"));
        }
        if (v > MAX_PAYLOAD) {
          throw new IllegalArgumentException(
              String.format(Locale.ROOT, "%s: %s: %d is too large", file, fields[d], v));
        }
        dims[d] = (int) v;
        need *= v; // both factors are below 2^31, so this cannot overflow
        if (need > MAX_PAYLOAD) {
          throw new IllegalArgumentException(
              String.format(
                  Locale.ROOT,
                  "%s: dimensions: %s declare more than %d bytes, more than one array can hold",
                  file,
                  shape(header, ndims),
                  MAX_PAYLOAD));
        }
      }
      if (!gzip && length >= 0 && need != length - header.length) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "%s: dimensions: %s declare %d bytes of data, but the file holds %d after its"
                    + " %d-byte header",
                file,
                shape(header, ndims),
                need,
                length - header.length,
                header.length));
      }
      if (gzip && length >= 0 && need + header.length > MAX_GZIP_RATIO * length) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "%s: dimensions: %s declare %d bytes of data, more than a gzip file of %d bytes can"
                    + " hold",
                file,
                shape(header, ndims),
                need,
                length));
      }
      byte[] data = readExactly(in, (int) need, file, shape(header, ndims), length >= 0 && !gzip);
      if (in.read() >= 0) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "%s: dimensions: %s declare %d bytes of data, but more follow them",
                file,
                shape(header, ndims),
                need));
      }
      return new Payload(dims, data);
    } catch (ZipException | EOFException e) {
      throw new IllegalArgumentException(
          file + ": gzip: corrupt or truncated compressed data (" + e.getMessage() + ")", e);
    }
  }

  private static String describeMagic(int found, int expected) {
    String want = "expected " + kind(expected);
    if ((found >>> 16) != 0) {
      return String.format(Locale.ROOT, "0x%08x is not an IDX file, %s", found, want);
    }
    if (found == IMAGES_MAGIC || found == LABELS_MAGIC) {
      return String.format(
          Locale.ROOT,
          "0x%08x is an %s file, %s",
          found,
          found == IMAGES_MAGIC ? "IDX images" : "IDX labels",
          want);
    }
    if (((found >>> 8) & 0xff) != 0x08) {
      return String.format(
          Locale.ROOT,
          "0x%08x has element type 0x%02x, only unsigned bytes (0x08) are supported; %s",
          found,
          (found >>> 8) & 0xff,
          want);
    }
    return String.format(
        Locale.ROOT, "0x%08x declares %d dimensions, %s", found, found & 0xff, want);
  }

  private static String shape(byte[] header, int ndims) {
    StringBuilder s = new StringBuilder();
    for (int d = 0; d < ndims; d++) {
      s.append(d == 0 ? "" : " x ").append(readInt(header, 4 + 4 * d) & 0xffffffffL);
    }
    return s.toString();
  }

  /**
   * Reads exactly {@code need} bytes. When the length was checked up front the array is allocated
   * at once; otherwise it grows with the data that actually arrives, so a false declaration in a
   * compressed stream cannot make it allocate more than the stream delivers (times two).
   */
  private static byte[] readExactly(
      InputStream in, int need, String file, String shape, boolean lengthChecked)
      throws IOException {
    byte[] buf = new byte[lengthChecked ? need : Math.min(need, 1 << 20)];
    int filled = 0;
    while (filled < need) {
      if (filled == buf.length) {
        buf = Arrays.copyOf(buf, (int) Math.min(need, 2L * buf.length));
      }
      int n = in.read(buf, filled, buf.length - filled);
      if (n < 0) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "%s: dimensions: %s declare %d bytes of data, but the file ends after %d"
                    + " (truncated)",
                file,
                shape,
                need,
                filled));
      }
      filled += n;
    }
    return buf;
  }

  private static int readUpTo(InputStream in, byte[] b, int off, int len) throws IOException {
    int total = 0;
    while (total < len) {
      int n = in.read(b, off + total, len - total);
      if (n < 0) {
        break;
      }
      total += n;
    }
    return total;
  }

  private static int readInt(byte[] b, int at) {
    return ((b[at] & 0xff) << 24)
        | ((b[at + 1] & 0xff) << 16)
        | ((b[at + 2] & 0xff) << 8)
        | (b[at + 3] & 0xff);
  }

  /** Image height in pixels. */
  public int rows() {
    return rows;
  }

  /** Image width in pixels. */
  public int columns() {
    return cols;
  }

  /** Whether a labels file was read. */
  public boolean hasLabels() {
    return labels != null;
  }

  @Override
  public int size() {
    return count;
  }

  @Override
  public DecodedImage image(int index) {
    Objects.checkIndex(index, count);
    int len = rows * cols;
    byte[] px = Arrays.copyOfRange(pixels, index * len, index * len + len);
    return new DecodedImage(cols, rows, 1, px);
  }

  @Override
  public int label(int index) {
    Objects.checkIndex(index, count);
    return labels == null ? -1 : labels[index] & 0xff;
  }

  @Override
  public int numClasses() {
    return numClasses;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String describe() {
    return String.format(
        Locale.ROOT,
        "%s (%d images of %d x %d, %s)",
        name,
        count,
        rows,
        cols,
        labels == null ? "unlabelled" : numClasses + " classes");
  }
}
