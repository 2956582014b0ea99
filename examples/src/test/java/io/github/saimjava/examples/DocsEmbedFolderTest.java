package io.github.saimjava.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.ImageFiles;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code SaimEncoder.embedFolder} and the code of docs/embedding.md ("A folder of images"), run
 * with a random-init encoder (ReadmeSnippetsTest checks that the page shows this region as it is).
 */
class DocsEmbedFolderTest {
  static final SaimConfig CONFIG =
      SaimConfig.vitTiny().toBuilder().imageSize(32).patchSize(8).depth(2).queryDepth(2).build();

  @Test
  void embedsEveryImageOfTheFolderByTheFolderRulesWithItsPath(@TempDir Path dir) throws Exception {
    Path folder = dir.resolve("photos");
    FashionMnistSample.writeTrainingImages(folder, 5);
    FashionMnistSample.writeTrainingImages(folder.resolve("holiday"), 2);
    Files.copy(ImageFiles.list(folder).get(0), folder.resolve(".hidden.png"));
    Files.writeString(folder.resolve("notes.txt"), "not an image");
    List<String> lines = new ArrayList<>();
    try (SaimEncoder encoder = SaimEncoder.builder().config(CONFIG).threads(1).build()) {
      // README:embed-folder:start
      for (SaimEncoder.Embedded e : encoder.embedFolder(folder)) {
        lines.add(e.file() + ": " + e.vector().length + " numbers");
      }
      // README:embed-folder:end
      List<SaimEncoder.Embedded> got = encoder.embedFolder(folder);
      List<Path> want = ImageFiles.list(folder);
      assertEquals(7, want.size(), want.toString());
      assertEquals(want, got.stream().map(SaimEncoder.Embedded::file).toList());
      float[][] byFiles = encoder.embedFiles(want);
      for (int i = 0; i < want.size(); i++) {
        assertArrayEquals(byFiles[i], got.get(i).vector(), want.get(i).toString());
      }
      Path empty = Files.createDirectories(dir.resolve("empty"));
      assertEquals(
          empty + ": no JPEG or PNG images found",
          assertThrows(IllegalArgumentException.class, () -> encoder.embedFolder(empty))
              .getMessage());
    }
    assertEquals(7, lines.size());
    assertTrue(lines.get(0).endsWith(": 192 numbers"), lines.get(0));
  }
}
