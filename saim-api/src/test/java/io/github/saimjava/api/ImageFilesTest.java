package io.github.saimjava.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The folder rules every entry point reads a folder by. */
class ImageFilesTest {
  @Test
  void imageNamesAnyCaseAndHiddenNames() {
    assertTrue(ImageFiles.isImageName("a.JPG") && ImageFiles.isImageName("b.jpeg"));
    assertTrue(ImageFiles.isImageName("c.Png"));
    assertFalse(ImageFiles.isImageName("d.gif") || ImageFiles.isImageName("jpg"));
    assertTrue(ImageFiles.isHidden(".x.png"));
    assertFalse(ImageFiles.isHidden("x.png"));
  }

  @Test
  void countsImagesAtAnyDepthThroughLinksEmptyOnesTooSortedByRelativePath(@TempDir Path dir)
      throws Exception {
    Path root = Files.createDirectories(dir.resolve("root"));
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.writeString(outside.resolve("o.png"), "x");
    Files.writeString(Files.createDirectories(root.resolve("b/deep")).resolve("z.JPEG"), "x");
    Files.createFile(root.resolve("empty.jpg"));
    Files.writeString(root.resolve("notes.txt"), "x");
    Files.writeString(root.resolve(".hidden.png"), "x");
    Files.writeString(Files.createDirectories(root.resolve(".cache")).resolve("c.png"), "x");
    Files.createSymbolicLink(root.resolve("a-link"), outside);
    Files.createSymbolicLink(root.resolve("gone.png"), dir.resolve("nothing.png"));
    assertEquals(
        List.of(
            root.resolve("a-link/o.png"),
            root.resolve("b/deep/z.JPEG"),
            root.resolve("empty.jpg"),
            root.resolve("gone.png")),
        ImageFiles.list(root));
  }

  @Test
  void aLinkLoopIsAnErrorNamingTheLink(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("a.png"), "x");
    Path up =
        Files.createSymbolicLink(
            Files.createDirectories(dir.resolve("sub")).resolve("up"), Path.of(".."));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ImageFiles.list(dir));
    assertEquals(
        up
            + ": a link that leads back to a folder it is in (-> ..), which would list the same"
            + " images without end; remove the link",
        e.getMessage());
  }

  @Test
  void aFileOrAMissingPathIsNotAFolder(@TempDir Path dir) throws Exception {
    Path f = Files.writeString(dir.resolve("a.png"), "x");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ImageFiles.list(f));
    assertEquals(f + ": no such folder of images", e.getMessage());
  }
}
