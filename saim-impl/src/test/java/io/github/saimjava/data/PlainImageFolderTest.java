package io.github.saimjava.data;

import static io.github.saimjava.data.DataImageFolderTest.rgbPattern;
import static io.github.saimjava.data.DataImageFolderTest.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.Augmentation;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimTrainer;
import io.github.saimjava.api.TrainingSummary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pre-training needs no labels, so a plain folder of images is enough (issue #16). */
class PlainImageFolderTest {
  @Test
  void aPlainFolderIsEveryImageAtAnyDepthSortedByPath(@TempDir Path dir) throws Exception {
    write(rgbPattern(8, 8), "png", dir.resolve("b.png"));
    write(rgbPattern(8, 8), "jpeg", dir.resolve("a.jpg"));
    write(rgbPattern(8, 8), "png", dir.resolve("holiday/c.PNG"));
    write(rgbPattern(8, 8), "png", dir.resolve(".thumbs/d.png"));
    Files.writeString(dir.resolve("notes.txt"), "not an image");
    ImageFolderDataset d = ImageFolderDataset.openUnlabelled(dir, false);
    assertEquals(
        List.of(dir.resolve("a.jpg"), dir.resolve("b.png"), dir.resolve("holiday/c.PNG")),
        d.files());
    assertEquals(1, d.numClasses());
    assertEquals(0, d.label(2));
    assertEquals(8, d.image(1).width());
  }

  @Test
  void classSubFoldersReadAsTheLabelledFolderReadsThem(@TempDir Path dir) throws Exception {
    write(rgbPattern(8, 8), "png", dir.resolve("cat/1.png"));
    write(rgbPattern(8, 8), "png", dir.resolve("dog/1.png"));
    write(rgbPattern(8, 8), "png", dir.resolve("dog/2.png"));
    ImageFolderDataset unlabelled = ImageFolderDataset.openUnlabelled(dir, false);
    ImageFolderDataset labelled = ImageFolderDataset.open(dir);
    assertEquals(labelled.files(), unlabelled.files());
    assertEquals(labelled.classes(), unlabelled.classes());
    assertEquals(1, unlabelled.label(2));
  }

  @Test
  void aFolderWithoutImagesSaysWhatIsExpected(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("empty"));
    Files.writeString(dir.resolve("readme.txt"), "x");
    // with a sub-folder and no images of its own, the folder is read as class folders
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> Datasets.openUnlabelled(dir))
            .getMessage()
            .startsWith(dir.resolve("empty") + ": no images found in this class folder"));
    Files.delete(dir.resolve("empty"));
    assertEquals(
        dir
            + ": no images found (expected .jpg, .jpeg or .png files in the folder or its"
            + " sub-folders)",
        assertThrows(IllegalArgumentException.class, () -> Datasets.openUnlabelled(dir))
            .getMessage());
  }

  @Test
  void saimTrainerPreTrainsOnAPlainFolder(@TempDir Path dir, @TempDir Path out) throws Exception {
    for (int i = 0; i < 8; i++) {
      write(rgbPattern(16 + i, 16), "png", dir.resolve("img" + i + ".png"));
    }
    SaimConfig tiny =
        SaimConfig.builder()
            .imageSize(16)
            .patchSize(8)
            .width(32)
            .depth(2)
            .heads(2)
            .queryDepth(2)
            .blur(3, 1)
            .build();
    TrainingSummary s =
        SaimTrainer.builder()
            .config(tiny)
            .data(dir)
            .batchSize(4)
            .epochs(1)
            .threads(1)
            .augmentation(Augmentation.FLIP_ONLY)
            .outputDir(out)
            .build()
            .fit();
    assertEquals(2, s.steps());
    assertTrue(Double.isFinite(s.finalLoss().orElseThrow()), "loss " + s.finalLoss());
    assertTrue(Files.readString(out.resolve("config.json")).contains("\"dataset_size\": 8"));
  }

  /** A folder of images needs no class sub-folders, so a wrong path does not ask for them. */
  @Test
  void aMissingPathOfUnlabelledImagesAsksForNoClassSubFolders(@TempDir Path dir) {
    Path missing = dir.resolve("nope");
    String want =
        missing
            + ": no such file or folder (expected a folder of .jpg, .jpeg or .png images, at any"
            + " depth, or an IDX images file such as train-images-idx3-ubyte.gz)";
    assertEquals(
        want,
        assertThrows(IllegalArgumentException.class, () -> Datasets.openUnlabelled(missing))
            .getMessage());
    assertEquals(
        want,
        assertThrows(
                IllegalArgumentException.class,
                () -> ImageFolderDataset.openUnlabelled(missing, false))
            .getMessage());
    SaimConfig tiny =
        SaimConfig.builder()
            .imageSize(16)
            .patchSize(8)
            .width(32)
            .depth(2)
            .heads(2)
            .queryDepth(2)
            .blur(3, 1)
            .build();
    assertEquals(
        want,
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    SaimTrainer.builder()
                        .config(tiny)
                        .data(missing)
                        .epochs(1)
                        .threads(1)
                        .outputDir(dir.resolve("run"))
                        .build()
                        .fit())
            .getMessage());
  }

  /** A bad image that stops pre-training names the builder setting that skips it. */
  @Test
  void aBadImageStoppingPretrainingNamesSkipBadImages(@TempDir Path dir, @TempDir Path out)
      throws Exception {
    for (int i = 0; i < 8; i++) {
      write(rgbPattern(16, 16), "png", dir.resolve("img" + i + ".png"));
    }
    Path bad = Files.writeString(dir.resolve("img3.png"), "not a picture");
    SaimConfig tiny =
        SaimConfig.builder()
            .imageSize(16)
            .patchSize(8)
            .width(32)
            .depth(2)
            .heads(2)
            .queryDepth(2)
            .blur(3, 1)
            .build();
    String m =
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    SaimTrainer.builder()
                        .config(tiny)
                        .data(dir)
                        .batchSize(8)
                        .epochs(1)
                        .threads(1)
                        .outputDir(out)
                        .build()
                        .fit())
            .getMessage();
    assertTrue(m.contains(bad.toString()), m);
    assertTrue(
        m.endsWith(
            "; to skip undecodable images and go on (each is counted in metrics.jsonl), set"
                + " skipBadImages(true)"),
        m);
  }
}
