package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A missing --checkpoint is one line naming the file, exit code 2, and no output written. */
class MissingCheckpointCommandTest {
  @ParameterizedTest
  @ValueSource(strings = {"embed", "classify", "visualize"})
  void aMissingCheckpointIsOneLineNamingTheFile(String command, @TempDir Path dir) {
    Path missing = dir.resolve("runs/nope/final.safetensors");
    Path out = dir.resolve("out");
    Path images = FolderRulesTest.TINY.resolve("images");
    List<String> args =
        switch (command) {
          case "embed" ->
              List.of(
                  "embed",
                  "--checkpoint",
                  missing.toString(),
                  "--data",
                  images.toString(),
                  "--output",
                  out.toString());
          case "classify" ->
              List.of("classify", "--checkpoint", missing.toString(), "--data", images.toString());
          default ->
              List.of("visualize", "--checkpoint", missing.toString(), "--output", out.toString());
        };
    CliTestSupport.Result r = CliTestSupport.run(args.toArray(String[]::new));
    assertEquals(2, r.exitCode(), r.out() + r.err());
    assertEquals("saim: error: " + missing + ": no such checkpoint file", r.err().strip());
    assertFalse(Files.exists(out.resolve("attention.png")), "visualize wrote a picture");
  }
}
