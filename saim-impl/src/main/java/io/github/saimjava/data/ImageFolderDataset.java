package io.github.saimjava.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * The ImageNet folder layout: {@code root/<class>/<image>.jpg|jpeg|png}. Classes are the sorted
 * sub-folder names, images are sorted by path within them; decoding (javax.imageio) happens on
 * demand, so the loader's threads share the work.
 */
public final class ImageFolderDataset implements ImageDataset {
  private final Path root;
  private final List<Path> files;
  private final int[] labels;
  private final List<String> classes;

  private ImageFolderDataset(Path root, List<Path> files, int[] labels, List<String> classes) {
    this.root = root;
    this.files = files;
    this.labels = labels;
    this.classes = classes;
  }

  /**
   * Scans {@code root}.
   *
   * @throws IllegalArgumentException when it is missing or holds no images, saying what is expected
   */
  public static ImageFolderDataset open(Path root) throws IOException {
    if (!Files.isDirectory(root)) {
      throw new IllegalArgumentException(root + ": no such folder (expected class sub-folders of JPEG/PNG images, or an IDX file)");
    }
    List<Path> classDirs = new ArrayList<>();
    try (Stream<Path> s = Files.list(root)) {
      s.filter(Files::isDirectory).sorted().forEach(classDirs::add);
    }
    List<Path> files = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    List<String> classes = new ArrayList<>();
    for (Path dir : classDirs) {
      List<Path> images;
      try (Stream<Path> s = Files.walk(dir)) {
        images = s.filter(Files::isRegularFile).filter(ImageFolderDataset::isImage).sorted().toList();
      }
      if (images.isEmpty()) {
        continue;
      }
      classes.add(dir.getFileName().toString());
      for (Path p : images) {
        files.add(p);
        labels.add(classes.size() - 1);
      }
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException(root + ": no images found (expected " + root
          + "/<class>/<image>.jpg|jpeg|png)");
    }
    return new ImageFolderDataset(root, List.copyOf(files),
        labels.stream().mapToInt(Integer::intValue).toArray(), List.copyOf(classes));
  }

  static boolean isImage(Path p) {
    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
    return n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png");
  }

  /** The image files in index order. */
  public List<Path> files() {
    return files;
  }

  /** The class names in label order. */
  public List<String> classes() {
    return classes;
  }

  @Override
  public int size() {
    return files.size();
  }

  @Override
  public DecodedImage image(int index) {
    return decode(files.get(index));
  }

  /**
   * Decodes one JPEG or PNG file to 8-bit gray or RGB (alpha dropped, palettes expanded).
   *
   * @throws IllegalArgumentException naming the file when it cannot be decoded
   */
  public static DecodedImage decode(Path file) {
    BufferedImage img;
    try {
      img = ImageIO.read(file.toFile());
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(file + ": cannot decode image (" + e.getMessage() + ")");
    }
    if (img == null) {
      throw new IllegalArgumentException(file + ": not a supported image (JPEG or PNG expected)");
    }
    int w = img.getWidth();
    int h = img.getHeight();
    boolean gray = img.getType() == BufferedImage.TYPE_BYTE_GRAY;
    byte[] px = new byte[w * h * (gray ? 1 : 3)];
    if (gray) {
      img.getRaster().getDataElements(0, 0, w, h, px);
      return new DecodedImage(w, h, 1, px);
    }
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      img.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0; x < w; x++) {
        int o = (y * w + x) * 3;
        px[o] = (byte) (row[x] >> 16);
        px[o + 1] = (byte) (row[x] >> 8);
        px[o + 2] = (byte) row[x];
      }
    }
    return new DecodedImage(w, h, 3, px);
  }

  @Override
  public int label(int index) {
    return labels[index];
  }

  @Override
  public int numClasses() {
    return classes.size();
  }

  @Override
  public String describe() {
    return root + " (" + files.size() + " images in " + classes.size() + " classes)";
  }
}
