package io.github.saimjava.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.ImageNetClasses;
import io.github.saimjava.api.SaimClassifier;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * The classification example on a stand-in ViT-B/16 of the fine-tuned artifact's layout (nothing
 * here can download).
 */
class ClassifyImagesTest {
  @Test
  void bothRoutesGiveTheSameBestImageNetClass() throws Exception {
    Path dir = VitBaseFixture.install();
    Path image = dir.resolve("cat.jpg");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    List<List<SaimClassifier.Prediction>> answers;
    try {
      answers =
          ClassifyImages.classify(
              ClassifyImages.FINE_TUNED,
              List.of(image),
              new PrintStream(bytes, true, StandardCharsets.UTF_8));
    } finally {
      VitBaseFixture.uninstall();
    }
    String out = bytes.toString(StandardCharsets.UTF_8);
    System.out.print(out);
    List<SaimClassifier.Prediction> top = answers.get(0);
    assertEquals(5, top.size());
    for (int i = 0; i < top.size(); i++) {
      SaimClassifier.Prediction p = top.get(i);
      assertEquals(
          ImageNetClasses.names().get(p.index()), p.label(), "ImageNet name of class " + p.index());
      assertTrue(
          i == 0 || p.probability() <= top.get(i - 1).probability(), "most probable first: " + top);
    }
    List<String> lines = out.lines().toList();
    assertEquals(image.toString(), lines.get(0));
    assertTrue(lines.get(1).endsWith("  " + top.get(0).label()), lines.get(1));
    String djlLine =
        String.format(
            Locale.ROOT,
            "DJL predictor: cat.jpg -> %s (%.2f%%)",
            top.get(0).label(),
            100 * top.get(0).probability());
    assertTrue(
        out.contains(djlLine + "\n"), "the DJL route's best class and probability agree:\n" + out);
  }
}
