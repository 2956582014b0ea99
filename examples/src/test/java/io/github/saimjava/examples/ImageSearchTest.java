package io.github.saimjava.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image-search example on the embedded Fashion-MNIST images, as its main runs it without
 * arguments.
 */
class ImageSearchTest {
  @Test
  void theQueryFindsItselfFirstThenFootwear(@TempDir Path dir) throws Exception {
    List<Path> written = FashionMnistSample.writeTestImages(dir, 200);
    assertEquals(dir.resolve("0000-ankle-boot.png"), written.get(0));
    List<Path> images = ImageSearch.imagesIn(dir);
    assertEquals(written, images);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    List<ImageSearch.Hit> hits =
        ImageSearch.search(
            images, images.get(0), 5, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String out = bytes.toString(StandardCharsets.UTF_8);
    System.out.print(out);
    assertEquals(5, hits.size());
    assertEquals(images.get(0), hits.get(0).image());
    assertEquals(1.0, hits.get(0).cosine(), 1e-5);
    for (int i = 1; i < hits.size(); i++) {
      assertTrue(hits.get(i).cosine() <= hits.get(i - 1).cosine(), "sorted: " + hits);
    }
    // measured: 2 sneakers, an ankle boot, a sneaker (cosines 0.955 to 0.936 after centring)
    assertTrue(
        hits.stream()
            .allMatch(
                h ->
                    h.image()
                        .getFileName()
                        .toString()
                        .matches(".*-(ankle-boot|sneaker|sandal)\\.png")),
        "the nearest images of an ankle boot are footwear: " + hits);
    assertTrue(
        out.startsWith(
            "200 images embedded with saim_vit_mini_patch4_32_fmnist (128 dimensions)\n"),
        out);
    assertTrue(out.contains("timings: load "), out);
  }
}
