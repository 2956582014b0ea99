package io.github.saimjava.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kotlin example: pre-training on a plain folder, then embedding with the result; run twice.
 */
class PretrainOnFolderTest {
  @Test
  void pretrainsOnAPlainFolderThenEmbedsAndARerunTrainsNothing(
      @TempDir Path images, @TempDir Path out) throws Exception {
    FashionMnistSample.writeTrainingImages(images, 256);
    ByteArrayOutputStream first = new ByteArrayOutputStream();
    PretrainResult r =
        PretrainOnFolder.pretrainThenEmbed(
            images, out, new PrintStream(first, true, StandardCharsets.UTF_8));
    System.out.print(first.toString(StandardCharsets.UTF_8));
    // 256 images, batch 32: 8 steps an epoch, 2 epochs
    assertEquals(16, r.getTraining().steps());
    assertFalse(r.getTraining().alreadyFinished());
    assertTrue(Double.isFinite(r.getTraining().finalLoss().orElseThrow()));
    assertTrue(Files.isRegularFile(out.resolve("final.safetensors")));
    assertEquals(256, r.getNearest().size());
    r.getNearest().forEach((a, b) -> assertTrue(!a.equals(b), a + " is its own nearest neighbour"));

    ByteArrayOutputStream second = new ByteArrayOutputStream();
    PretrainResult again =
        PretrainOnFolder.pretrainThenEmbed(
            images, out, new PrintStream(second, true, StandardCharsets.UTF_8));
    String text = second.toString(StandardCharsets.UTF_8);
    System.out.print(text);
    assertTrue(again.getTraining().alreadyFinished());
    assertEquals(r.getTraining().finalLoss(), again.getTraining().finalLoss());
    assertTrue(
        text.startsWith(
            "nothing left to do: " + out + " already holds this run, finished at step 16\n"),
        text);
    assertEquals(r.getNearest(), again.getNearest());
  }
}
