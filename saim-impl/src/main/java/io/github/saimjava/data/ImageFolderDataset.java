package io.github.saimjava.data;

import io.github.saimjava.api.ImageFiles;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.jspecify.annotations.Nullable;

/**
 * The ImageNet folder layout, as torchvision's {@code ImageFolder} reads it: {@code
 * root/<class>/.../<image>.jpg|jpeg|png}. Classes are the sub-folders sorted by name and labelled
 * by their position; the images of a class are those {@link ImageFiles} lists (at any depth, links
 * followed, loops refused, names starting with a dot ignored, sorted by path), empty files
 * included: they are bad images when loaded.
 *
 * <p>Images are decoded on demand with javax.imageio: JPEG and PNG; grayscale stays one channel,
 * RGB, RGBA (alpha dropped) and palette images become RGB, 16-bit samples keep their high byte.
 * Sample values are taken as stored, without colour management, as PIL does.
 */
public final class ImageFolderDataset implements ImageDataset {
  /** Largest image accepted, in pixels, against decompression bombs. */
  public static final long MAX_PIXELS = 1L << 28;

  private final Path root;
  private final List<Path> files;
  private final int[] labels;
  private final List<String> classes;
  private final @Nullable BadImages bad;

  private ImageFolderDataset(
      Path root, List<Path> files, int[] labels, List<String> classes, boolean skipBadImages) {
    this.root = root;
    this.files = files;
    this.labels = labels;
    this.classes = classes;
    this.bad = skipBadImages ? new BadImages() : null;
  }

  /**
   * Scans {@code root}; an undecodable image is an error when it is loaded.
   *
   * @throws IllegalArgumentException when the folder is missing, has no class sub-folders, or a
   *     class folder holds no images, saying what is expected
   * @throws IOException when the folder cannot be listed
   */
  public static ImageFolderDataset open(Path root) throws IOException {
    return open(root, false);
  }

  /**
   * Scans {@code root}.
   *
   * @param skipBadImages when true, an undecodable image is skipped and counted ({@link
   *     #skippedImages()}) and the next decodable image stands in for it; when false it is an
   *     {@link IllegalArgumentException} naming the file
   * @throws IllegalArgumentException when the folder is missing, has no class sub-folders, or a
   *     class folder holds no images, saying what is expected
   * @throws IOException when the folder cannot be listed
   */
  public static ImageFolderDataset open(Path root, boolean skipBadImages) throws IOException {
    String expected = "expected " + root + "/<class>/<image>.jpg|jpeg|png";
    if (!Files.isDirectory(root)) {
      throw new IllegalArgumentException(root + ": no such folder (" + expected + ")");
    }
    List<Path> classDirs = new ArrayList<>();
    try (Stream<Path> s = Files.list(root)) {
      s.filter(p -> !hidden(p) && Files.isDirectory(p)).forEach(classDirs::add);
    }
    classDirs.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
    if (classDirs.isEmpty()) {
      throw new IllegalArgumentException(
          root + ": no images found, no class sub-folders (" + expected + ")");
    }
    List<Path> files = new ArrayList<>();
    List<String> classes = new ArrayList<>();
    int[] counts = new int[classDirs.size()];
    for (int c = 0; c < classDirs.size(); c++) {
      Path dir = classDirs.get(c);
      List<Path> images = ImageFiles.list(dir);
      if (images.isEmpty()) {
        throw new IllegalArgumentException(
            dir + ": no images found in this class folder (" + expected + ")");
      }
      classes.add(dir.getFileName().toString());
      files.addAll(images);
      counts[c] = images.size();
    }
    int[] labels = new int[files.size()];
    int at = 0;
    for (int c = 0; c < counts.length; c++) {
      for (int i = 0; i < counts[c]; i++) {
        labels[at++] = c;
      }
    }
    return new ImageFolderDataset(
        root, List.copyOf(files), labels, List.copyOf(classes), skipBadImages);
  }

  /**
   * Scans {@code root} where no labels are needed (pre-training): a folder with class sub-folders
   * and no images of its own reads exactly as {@link #open(Path, boolean)} reads it; any other
   * folder is a plain folder of images, every image under it at any depth (links followed, names
   * starting with a dot ignored) sorted by its path relative to {@code root}, all in one class
   * named after the folder.
   *
   * @throws IllegalArgumentException when the folder is missing or holds no images, saying what is
   *     expected
   * @throws IOException when the folder cannot be listed
   */
  public static ImageFolderDataset openUnlabelled(Path root, boolean skipBadImages)
      throws IOException {
    if (!Files.isDirectory(root)) {
      throw new IllegalArgumentException(root + ": " + Datasets.NO_SUCH_UNLABELLED);
    }
    boolean imagesAtTop;
    boolean subFolders;
    try (Stream<Path> s = Files.list(root)) {
      List<Path> entries = s.filter(p -> !hidden(p)).toList();
      imagesAtTop = entries.stream().anyMatch(p -> hasImageExtension(p) && !Files.isDirectory(p));
      subFolders = entries.stream().anyMatch(Files::isDirectory);
    }
    if (subFolders && !imagesAtTop) {
      return open(root, skipBadImages);
    }
    List<Path> images = ImageFiles.list(root);
    if (images.isEmpty()) {
      throw new IllegalArgumentException(
          root
              + ": no images found (expected .jpg, .jpeg or .png files "
              + "in the folder or its sub-folders)");
    }
    Path name = root.toAbsolutePath().normalize().getFileName();
    return new ImageFolderDataset(
        root,
        images,
        new int[images.size()],
        List.of(name == null ? root.toString() : name.toString()),
        skipBadImages);
  }

  private static boolean hidden(Path p) {
    Path name = p.getFileName();
    return name != null && ImageFiles.isHidden(name.toString());
  }

  /**
   * Whether the file name ends in .jpg, .jpeg or .png (any case): the files this dataset decodes.
   */
  public static boolean hasImageExtension(Path p) {
    return ImageFiles.isImageName(p.getFileName().toString());
  }

  /** The image files in index order. */
  public List<Path> files() {
    return files;
  }

  /** The class names in label order. */
  public List<String> classes() {
    return classes;
  }

  /** The folder scanned. */
  public Path root() {
    return root;
  }

  @Override
  public int size() {
    return files.size();
  }

  @Override
  public DecodedImage image(int index) {
    return load(index).image();
  }

  @Override
  public LabeledImage load(int index) {
    Objects.checkIndex(index, files.size());
    if (bad == null) {
      return new LabeledImage(decode(files.get(index)), labels[index]);
    }
    return bad.load(
        index, files.size(), i -> new LabeledImage(decode(files.get(i)), labels[i]), describe());
  }

  /** Whether undecodable images are skipped rather than errors. */
  public boolean skipsBadImages() {
    return bad != null;
  }

  /**
   * The undecodable images skipped so far, each as its error message (naming the file), in index
   * order.
   */
  public List<String> skippedFiles() {
    return bad == null ? List.of() : bad.messages();
  }

  @Override
  public long skippedImages() {
    return bad == null ? 0 : bad.count();
  }

  /**
   * Decodes one JPEG or PNG file to 8-bit grayscale or RGB (alpha dropped, palettes expanded).
   *
   * @throws IllegalArgumentException naming the file when it is missing, corrupt, truncated, too
   *     large or not a JPEG or PNG image
   */
  public static DecodedImage decode(Path file) {
    String name = file.toString();
    try (ImageInputStream in = new FileImageInputStream(file.toFile())) {
      return decode(in, name);
    } catch (IOException | RuntimeException e) {
      throw named(name, e);
    }
  }

  /**
   * Decodes the bytes of one JPEG or PNG file exactly as {@link #decode(Path)} decodes the file,
   * for images that do not come from the local file system (a distributed file system, an object
   * store).
   *
   * @param name how errors name the image, e.g. its URI
   * @throws IllegalArgumentException naming the image when it is corrupt, truncated, too large or
   *     not a JPEG or PNG image
   */
  public static DecodedImage decode(byte[] bytes, String name) {
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
      return decode(in, name);
    } catch (IOException | RuntimeException e) {
      throw named(name, e);
    }
  }

  private static DecodedImage decode(ImageInputStream in, String name) throws IOException {
    ImageReader reader = null;
    try {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw new IllegalArgumentException(name + ": not a supported image (JPEG or PNG expected)");
      }
      reader = readers.next();
      String format = reader.getFormatName().toLowerCase(Locale.ROOT);
      if (!format.equals("jpeg") && !format.equals("jpg") && !format.equals("png")) {
        throw new IllegalArgumentException(
            name + ": unsupported image format " + format + " (JPEG or PNG expected)");
      }
      reader.setInput(in, true, true);
      List<String> warnings = new ArrayList<>();
      reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
      long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
      if (pixels > MAX_PIXELS) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "%s: %d x %d pixels, more than the %d accepted",
                name,
                reader.getWidth(0),
                reader.getHeight(0),
                MAX_PIXELS));
      }
      BufferedImage img = reader.read(0);
      if (!warnings.isEmpty()) {
        throw new IllegalArgumentException(
            name + ": corrupt image (" + String.join("; ", warnings) + ")");
      }
      return convert(img);
    } finally {
      if (reader != null) {
        reader.dispose();
      }
    }
  }

  /** {@code e} as an error naming the image, unless it already does. */
  private static IllegalArgumentException named(String name, Exception e) {
    if (e instanceof IllegalArgumentException iae
        && iae.getMessage() != null
        && iae.getMessage().startsWith(name)) {
      return iae;
    }
    return new IllegalArgumentException(name + ": cannot decode image (" + e + ")", e);
  }

  /** 8-bit gray or RGB samples as stored, without colour conversion. */
  static DecodedImage convert(BufferedImage img) {
    int w = img.getWidth();
    int h = img.getHeight();
    ColorModel cm = img.getColorModel();
    Raster r = img.getRaster();
    int bands = r.getNumBands();
    int[] row = new int[w * bands];
    if (cm instanceof IndexColorModel icm) {
      int n = icm.getMapSize();
      byte[] red = new byte[n];
      byte[] green = new byte[n];
      byte[] blue = new byte[n];
      icm.getReds(red);
      icm.getGreens(green);
      icm.getBlues(blue);
      boolean gray = true;
      for (int i = 0; i < n && gray; i++) {
        gray = red[i] == green[i] && green[i] == blue[i];
      }
      int c = gray ? 1 : 3;
      byte[] px = new byte[w * h * c];
      for (int y = 0; y < h; y++) {
        r.getPixels(0, y, w, 1, row);
        for (int x = 0; x < w; x++) {
          int idx = Math.min(row[x * bands], n - 1);
          int o = (y * w + x) * c;
          px[o] = red[idx];
          if (!gray) {
            px[o + 1] = green[idx];
            px[o + 2] = blue[idx];
          }
        }
      }
      return new DecodedImage(w, h, c, px);
    }
    int colour = cm.getNumColorComponents();
    int space = cm.getColorSpace().getType();
    int c;
    if (space == ColorSpace.TYPE_GRAY && colour == 1) {
      c = 1;
    } else if (space == ColorSpace.TYPE_RGB && colour == 3) {
      c = 3;
    } else {
      return viaRgb(img);
    }
    int[] shift = new int[c];
    int[] scale = new int[c];
    for (int b = 0; b < c; b++) {
      int bits = r.getSampleModel().getSampleSize(b);
      if (bits > 8) {
        shift[b] = bits - 8;
      } else if (bits < 8) {
        scale[b] = 255 / ((1 << bits) - 1);
      }
    }
    byte[] px = new byte[w * h * c];
    for (int y = 0; y < h; y++) {
      r.getPixels(0, y, w, 1, row);
      for (int x = 0; x < w; x++) {
        for (int b = 0; b < c; b++) {
          int v = row[x * bands + b];
          px[(y * w + x) * c + b] = (byte) (scale[b] != 0 ? v * scale[b] : v >>> shift[b]);
        }
      }
    }
    return new DecodedImage(w, h, c, px);
  }

  /** Anything else (another colour space) through Java's conversion to sRGB. */
  private static DecodedImage viaRgb(BufferedImage img) {
    int w = img.getWidth();
    int h = img.getHeight();
    byte[] px = new byte[w * h * 3];
    int[] argb = new int[w];
    for (int y = 0; y < h; y++) {
      img.getRGB(0, y, w, 1, argb, 0, w);
      for (int x = 0; x < w; x++) {
        int o = (y * w + x) * 3;
        px[o] = (byte) (argb[x] >> 16);
        px[o + 1] = (byte) (argb[x] >> 8);
        px[o + 2] = (byte) argb[x];
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
  public String name() {
    return root.toString();
  }

  @Override
  public String describe() {
    return root + " (" + files.size() + " images in " + classes.size() + " classes)";
  }
}
