package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.io.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConvertCommandTest {
  static final Path FIXTURES = Path.of("../saim-impl/src/test/resources/fixtures");

  @Test
  void referenceCheckpointConvertsToTheExpectedTensors(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("w.safetensors");
    CliTestSupport.Result r =
        CliTestSupport.run(
            "convert",
            FIXTURES.resolve("reference-checkpoint-tiny.pth").toString(),
            out.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("wrote 107 tensors"), r.out());
    var expected =
        SafeTensors.read(FIXTURES.resolve("reference-checkpoint-tiny.expected.safetensors"))
            .tensors();
    var got = SafeTensors.read(out).tensors();
    assertEquals(expected.keySet(), got.keySet());
    expected.forEach((k, v) -> assertEquals(v, got.get(k), k));
  }

  @Test
  void hostileCheckpointIsRefusedWithoutOutput(@TempDir Path dir) {
    Path out = dir.resolve("w.safetensors");
    CliTestSupport.Result r =
        CliTestSupport.run(
            "convert", FIXTURES.resolve("hostile-checkpoint.pth").toString(), out.toString());
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("refused global"), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void truncatedCheckpointLeavesAnExistingOutputUntouched(@TempDir Path dir) throws Exception {
    byte[] full = Files.readAllBytes(FIXTURES.resolve("reference-checkpoint-tiny.pth"));
    Path cut = Files.write(dir.resolve("cut.pth"), Arrays.copyOf(full, full.length / 2));
    Path out = Files.writeString(dir.resolve("w.safetensors"), "previous");
    CliTestSupport.Result r = CliTestSupport.run("convert", cut.toString(), out.toString());
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("cut.pth"), r.err());
    assertArrayEquals("previous".getBytes(), Files.readAllBytes(out));
  }
}
