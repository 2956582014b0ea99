package io.github.saimjava.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.saimjava.api.SaimClassifier;
import io.github.saimjava.api.SaimEncoder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint that is not there is a {@link NoSuchFileException} whose message names the file and
 * says what it was to be, for every entry point that loads one; a folder is named as a folder.
 */
class MissingCheckpointTest {
  @Test
  void aMissingCheckpointIsNamedInOneLine(@TempDir Path dir) {
    Path missing = dir.resolve("runs/nope/final.safetensors");
    NoSuchFileException e =
        assertThrows(
            NoSuchFileException.class,
            () -> SaimEncoder.builder().checkpoint(missing).threads(1).build());
    assertEquals(missing + ": no such checkpoint file", e.getMessage());
    assertEquals(missing.toString(), e.getFile());
    NoSuchFileException c =
        assertThrows(
            NoSuchFileException.class,
            () -> SaimClassifier.builder().checkpoint(missing).threads(1).build());
    assertEquals(missing + ": no such checkpoint file", c.getMessage());
  }

  @Test
  void aRunFolderGivenAsCheckpointPointsToItsFinalWeights(@TempDir Path dir) throws Exception {
    Path run = Files.createDirectories(dir.resolve("run"));
    IllegalArgumentException bare =
        assertThrows(
            IllegalArgumentException.class,
            () -> SaimEncoder.builder().checkpoint(run).threads(1).build());
    assertEquals(run + ": a folder, not a checkpoint file", bare.getMessage());
    Files.createFile(run.resolve("final.safetensors"));
    IllegalArgumentException hinted =
        assertThrows(
            IllegalArgumentException.class,
            () -> SaimEncoder.builder().checkpoint(run).threads(1).build());
    assertEquals(
        run
            + ": a folder, not a checkpoint file (did you mean "
            + run.resolve("final.safetensors")
            + "?)",
        hinted.getMessage());
  }
}
