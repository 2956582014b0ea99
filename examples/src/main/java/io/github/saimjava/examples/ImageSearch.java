package io.github.saimjava.examples;

import io.github.saimjava.api.SaimEncoder;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Image search with a pre-trained SAIM encoder: embeds every image of a folder with the zoo's
 * {@code saim_vit_mini_patch4_32_fmnist} (bundled in saim-zoo's jar, so no download), then prints
 * the {@code k} images nearest to a query image by cosine similarity (of the vectors less the
 * collection's mean), with timings.
 *
 * <pre>
 * java -cp examples/target/saim.jar io.github.saimjava.examples.ImageSearch [FOLDER [QUERY [K]]]
 * </pre>
 *
 * <p>Without a folder, 500 of the embedded Fashion-MNIST test images are written to a temporary
 * folder and the first of them is the query. Uses only saim-api (saim-impl and saim-zoo at run
 * time).
 */
public final class ImageSearch {
  /**
   * The zoo model used: trained on Fashion-MNIST, so it suits small grayscale product photos best.
   */
  public static final String MODEL = "saim_vit_mini_patch4_32_fmnist";

  /** One search result: an image and its cosine similarity to the query. */
  public record Hit(Path image, double cosine) {}

  private ImageSearch() {}

  public static void main(String[] args) throws IOException {
    if (args.length > 3) {
      System.err.println("usage: ImageSearch [FOLDER [QUERY [K]]]");
      System.exit(2);
    }
    Path folder;
    if (args.length > 0) {
      folder = Path.of(args[0]);
    } else {
      folder = Files.createTempDirectory("saim-image-search");
      FashionMnistSample.writeTestImages(folder, 500);
      System.out.println(
          "no folder given: wrote 500 embedded Fashion-MNIST test images to " + folder);
    }
    List<Path> images = imagesIn(folder);
    Path query = args.length > 1 ? Path.of(args[1]) : images.get(0);
    int k = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    search(images, query, k, System.out);
  }

  /** The JPEG and PNG files under {@code folder}, at any depth, sorted by path. */
  public static List<Path> imagesIn(Path folder) throws IOException {
    if (!Files.isDirectory(folder)) {
      throw new IllegalArgumentException(folder + ": no such folder");
    }
    try (Stream<Path> files = Files.walk(folder)) {
      List<Path> images =
          files
              .filter(Files::isRegularFile)
              .filter(
                  p ->
                      p.getFileName()
                          .toString()
                          .toLowerCase(Locale.ROOT)
                          .matches(".*\\.(jpe?g|png)"))
              .sorted()
              .toList();
      if (images.isEmpty()) {
        throw new IllegalArgumentException(folder + ": no .jpg, .jpeg or .png images in it");
      }
      return images;
    }
  }

  /**
   * Embeds {@code images} and {@code query}, prints the {@code k} nearest images and the timings to
   * {@code out}, and returns the hits, nearest first.
   */
  public static List<Hit> search(List<Path> images, Path query, int k, PrintStream out)
      throws IOException {
    long t0 = System.nanoTime();
    try (SaimEncoder encoder = SaimEncoder.builder().zoo(MODEL).build()) {
      long t1 = System.nanoTime();
      float[][] vectors = encoder.embedFiles(images);
      long t2 = System.nanoTime();
      // Self-supervised features share a large common component (raw cosines are all near 1), so
      // the collection's mean vector is taken out first, as a linear probe's normalisation does.
      float[] mean = mean(vectors);
      float[] q = centredUnit(encoder.embedFiles(List.of(query))[0], mean);
      List<Hit> hits = new ArrayList<>();
      for (int i = 0; i < images.size(); i++) {
        hits.add(new Hit(images.get(i), dot(q, centredUnit(vectors[i], mean))));
      }
      hits.sort(Comparator.comparingDouble(Hit::cosine).reversed());
      List<Hit> top = List.copyOf(hits.subList(0, Math.min(k, hits.size())));
      long t3 = System.nanoTime();
      out.printf(
          Locale.ROOT,
          "%d images embedded with %s (%d dimensions)%n",
          images.size(),
          MODEL,
          encoder.dimension());
      out.printf(Locale.ROOT, "nearest to %s:%n", query);
      for (Hit h : top) {
        out.printf(Locale.ROOT, "  %.4f  %s%n", h.cosine(), h.image());
      }
      out.printf(
          Locale.ROOT,
          "timings: load %.0f ms, embed %.0f ms (%.0f images/s), query and search %.1f ms%n",
          (t1 - t0) / 1e6,
          (t2 - t1) / 1e6,
          images.size() / ((t2 - t1) / 1e9),
          (t3 - t2) / 1e6);
      return top;
    }
  }

  private static float[] mean(float[][] vectors) {
    float[] m = new float[vectors[0].length];
    for (float[] v : vectors) {
      for (int j = 0; j < m.length; j++) {
        m[j] += v[j] / vectors.length;
      }
    }
    return m;
  }

  /** {@code v - mean}, scaled to unit length (so that a dot product is a cosine). */
  private static float[] centredUnit(float[] v, float[] mean) {
    float[] c = new float[v.length];
    double norm = 0;
    for (int j = 0; j < v.length; j++) {
      c[j] = v[j] - mean[j];
      norm += (double) c[j] * c[j];
    }
    float scale = (float) (1 / Math.max(Math.sqrt(norm), 1e-12));
    for (int j = 0; j < v.length; j++) {
      c[j] *= scale;
    }
    return c;
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return s;
  }
}
