package io.github.saimjava.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.SaimClassifier;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's "Classifying with the paper's model" Java snippet, compiled and run (on a stand-in
 * ViT-B).
 */
class ReadmeClassifierJavaTest {
  @Test
  void readmeSnippet() throws Exception {
    Path here = VitBaseFixture.install();
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
    try {
      snippet(here.resolve("cat.jpg"));
    } finally {
      System.setOut(stdout);
      VitBaseFixture.uninstall();
    }
    List<String> lines = printed.toString(StandardCharsets.UTF_8).lines().toList();
    stdout.print(String.join("\n", lines) + "\n");
    assertEquals(5, lines.size(), lines.toString());
    assertTrue(lines.get(0).matches("0\\.\\d{3} .+"), lines.get(0));
  }

  static void snippet(Path image) throws Exception {
    // README:classify-java:start
    try (SaimClassifier classifier =
        SaimClassifier.builder().zoo("saim_vit_base_patch16_224_in1k_ft").build()) {
      for (SaimClassifier.Prediction p : classifier.classifyFiles(List.of(image)).get(0)) {
        System.out.printf("%.3f %s%n", p.probability(), p.label()); // top 5, ImageNet names
      }
    }
    // README:classify-java:end
  }
}
