package io.github.saimjava.examples;

import java.awt.image.BufferedImage;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;

/**
 * Writes some of the Fashion-MNIST images that ship inside saim-impl's jar as PNG files, so that
 * the example programs have a folder of images to work on out of the box. Each file is named {@code
 * <index>-<class>.png} (e.g. {@code 0000-ankle-boot.png}); the folder has no sub-folders.
 */
public final class FashionMnistSample {
  /** The class names of Fashion-MNIST, in label order, as file-name words. */
  public static final List<String> CLASSES =
      List.of(
          "t-shirt",
          "trouser",
          "pullover",
          "dress",
          "coat",
          "sandal",
          "shirt",
          "sneaker",
          "bag",
          "ankle-boot");

  /** The embedded 2,000 test images and 10,000 training images, IDX format, gzip. */
  private static final String TEST = "/io/github/saimjava/data/fashion-mnist-test-2k";

  private static final String TRAIN = "/io/github/saimjava/data/fashion-mnist-train-10k";

  private FashionMnistSample() {}

  /**
   * Writes the first {@code n} (at most 2,000) test images to {@code folder}; returns the files in
   * order.
   */
  public static List<Path> writeTestImages(Path folder, int n) throws IOException {
    return write(TEST, folder, n);
  }

  /**
   * Writes the first {@code n} (at most 10,000) training images to {@code folder}; returns the
   * files in order.
   */
  public static List<Path> writeTrainingImages(Path folder, int n) throws IOException {
    return write(TRAIN, folder, n);
  }

  private static List<Path> write(String base, Path folder, int n) throws IOException {
    byte[] pixels = read(base + "-images-idx3-ubyte.gz", 0x803, 16);
    byte[] labels = read(base + "-labels-idx1-ubyte.gz", 0x801, 8);
    int count = labels.length;
    if (n < 0 || n > count) {
      throw new IllegalArgumentException(
          "asked for " + n + " images, the embedded set has " + count);
    }
    Files.createDirectories(folder);
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
      img.getRaster()
          .setDataElements(0, 0, 28, 28, Arrays.copyOfRange(pixels, i * 784, (i + 1) * 784));
      Path file =
          folder.resolve(String.format(Locale.ROOT, "%04d-%s.png", i, CLASSES.get(labels[i])));
      ImageIO.write(img, "png", file.toFile());
      files.add(file);
    }
    return files;
  }

  /**
   * The payload of a gzipped IDX file after its header ({@code headerBytes}, starting with {@code
   * magic}).
   */
  private static byte[] read(String resource, int magic, int headerBytes) throws IOException {
    InputStream raw = FashionMnistSample.class.getResourceAsStream(resource);
    if (raw == null) {
      throw new IOException(
          "missing resource " + resource + ": saim-impl's jar is not on the class path");
    }
    try (DataInputStream in = new DataInputStream(new GZIPInputStream(raw))) {
      int m = in.readInt();
      if (m != magic) {
        throw new IOException(
            resource + ": not an IDX file of the expected kind (magic " + m + ")");
      }
      in.skipNBytes(headerBytes - 4);
      return in.readAllBytes();
    }
  }
}
