package io.github.saimjava.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.jspecify.annotations.Nullable;

/**
 * Images in the IDX format of MNIST and Fashion-MNIST (magic 0x00000803, big-endian counts, 8-bit
 * pixels), gzip-compressed or not (told by the gzip magic bytes, not the name), with an optional
 * IDX label file (magic 0x00000801). Held in memory; every declared size is checked against the
 * bytes actually present before anything is allocated from it.
 */
public final class IdxDataset implements ImageDataset {
  /** Largest decompressed IDX file accepted (1 GiB). */
  static final long MAX_BYTES = 1L << 30;

  private final String name;
  private final int count;
  private final int rows;
  private final int cols;
  private final byte[] pixels;
  private final byte @Nullable [] labels;
  private final int numClasses;

  private IdxDataset(String name, int count, int rows, int cols, byte[] pixels, byte @Nullable [] labels) {
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
   * Reads an images file and, when it exists, its labels file: {@code X-images-idx3-ubyte[.gz]}
   * pairs with {@code X-labels-idx1-ubyte[.gz]}.
   */
  public static IdxDataset open(Path images) throws IOException {
    Path labels = null;
    String file = images.getFileName().toString();
    if (file.contains("images-idx3")) {
      for (String suffix : new String[] {"", ".gz"}) {
        String base = file.replace("images-idx3", "labels-idx1").replaceFirst("\\.gz$", "");
        Path candidate = images.resolveSibling(base + suffix);
        if (Files.isRegularFile(candidate)) {
          labels = candidate;
          break;
        }
      }
    }
    return open(images, labels);
  }

  /** Reads an images file and an optional labels file. */
  public static IdxDataset open(Path images, @Nullable Path labels) throws IOException {
    if (!Files.isRegularFile(images)) {
      throw new IllegalArgumentException(images + ": no such IDX file");
    }
    try (InputStream in = Files.newInputStream(images)) {
      byte[] l = null;
      if (labels != null) {
        try (InputStream li = Files.newInputStream(labels)) {
          l = readAll(li, labels.toString());
        }
      }
      return parse(images.toString(), readAll(in, images.toString()), l, labels == null ? "" : labels.toString());
    }
  }

  /** Parses IDX bytes (each possibly gzip-compressed); {@code name} appears in errors. */
  public static IdxDataset parse(String name, byte[] imageBytes, byte @Nullable [] labelBytes, String labelName) {
    ByteBuffer b = ByteBuffer.wrap(imageBytes);
    if (b.remaining() < 16) {
      throw new IllegalArgumentException(name + ": too short for an IDX images header (" + b.remaining() + " bytes)");
    }
    int magic = b.getInt();
    if (magic != 0x00000803) {
      throw new IllegalArgumentException(String.format("%s: magic 0x%08x is not that of IDX images (0x00000803)", name, magic));
    }
    int n = b.getInt();
    int r = b.getInt();
    int c = b.getInt();
    if (n < 0 || r <= 0 || c <= 0 || r > 65536 || c > 65536) {
      throw new IllegalArgumentException(name + ": invalid dimensions " + n + " x " + r + " x " + c);
    }
    long need = (long) n * r * c;
    if (need != b.remaining()) {
      throw new IllegalArgumentException(name + ": header declares " + n + " images of " + r + " x " + c
          + " (" + need + " bytes) but the file holds " + b.remaining() + " bytes of pixels");
    }
    byte[] px = new byte[(int) need];
    b.get(px);
    byte[] labels = null;
    if (labelBytes != null) {
      ByteBuffer lb = ByteBuffer.wrap(labelBytes);
      if (lb.remaining() < 8 || lb.getInt() != 0x00000801) {
        throw new IllegalArgumentException(labelName + ": not an IDX labels file (magic 0x00000801)");
      }
      int ln = lb.getInt();
      if (ln != n || lb.remaining() != n) {
        throw new IllegalArgumentException(labelName + ": declares " + ln + " labels with " + lb.remaining()
            + " bytes present, but " + name + " holds " + n + " images");
      }
      labels = new byte[n];
      lb.get(labels);
    }
    return new IdxDataset(name, n, r, c, px, labels);
  }

  static byte[] readAll(InputStream raw, String name) throws IOException {
    InputStream in = raw.markSupported() ? raw : new java.io.BufferedInputStream(raw);
    in.mark(2);
    int b0 = in.read();
    int b1 = in.read();
    in.reset();
    boolean gz = b0 == 0x1f && b1 == 0x8b;
    try (InputStream s = gz ? new GZIPInputStream(in) : in) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[1 << 16];
      long total = 0;
      int n;
      while ((n = s.read(buf)) > 0) {
        total += n;
        if (total > MAX_BYTES) {
          throw new IllegalArgumentException(name + ": larger than " + MAX_BYTES + " bytes once decompressed");
        }
        out.write(buf, 0, n);
      }
      return out.toByteArray();
    } catch (java.util.zip.ZipException | java.io.EOFException e) {
      throw new IllegalArgumentException(name + ": corrupt gzip data (" + e.getMessage() + ")");
    }
  }

  @Override
  public int size() {
    return count;
  }

  @Override
  public DecodedImage image(int index) {
    int len = rows * cols;
    byte[] px = new byte[len];
    System.arraycopy(pixels, index * len, px, 0, len);
    return new DecodedImage(cols, rows, 1, px);
  }

  @Override
  public int label(int index) {
    return labels == null ? -1 : labels[index] & 0xff;
  }

  @Override
  public int numClasses() {
    return numClasses;
  }

  @Override
  public String describe() {
    return name + " (" + count + " images of " + rows + " x " + cols + ")";
  }
}
