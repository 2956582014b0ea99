package io.github.saimjava.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.spi.CheckpointImporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The importer saim-zoo finds through the service loader: the safe converter, shapes reported. */
class SafeCheckpointImporterTest {
  static final Path FIXTURES = Path.of("src/test/resources/fixtures");

  @Test
  void theServiceLoaderFindsItAndItConvertsTheReferencesCheckpoint(@TempDir Path dir)
      throws Exception {
    CheckpointImporter importer = CheckpointImporter.load();
    assertInstanceOf(SafeCheckpointImporter.class, importer);
    Path out = dir.resolve("w.safetensors");
    List<String> notes = new ArrayList<>();
    Map<String, long[]> shapes =
        importer.convert(FIXTURES.resolve("reference-checkpoint-tiny.pth"), out, notes::add);
    Map<String, HostTensor> want =
        SafeTensors.read(FIXTURES.resolve("reference-checkpoint-tiny.expected.safetensors"))
            .tensors();
    Map<String, HostTensor> got = SafeTensors.read(out).tensors();
    assertEquals(want.keySet(), shapes.keySet());
    assertEquals(want.keySet(), got.keySet());
    for (String k : want.keySet()) {
      assertArrayEquals(want.get(k).shape(), shapes.get(k), k);
      assertEquals(want.get(k), got.get(k), k);
    }
    assertEquals(List.of(), notes);
  }

  @Test
  void aHostileCheckpointIsRefusedAndNoOutputIsCreated(@TempDir Path dir) {
    Path out = dir.resolve("w.safetensors");
    UnsafePickleException e =
        assertThrows(
            UnsafePickleException.class,
            () ->
                new SafeCheckpointImporter()
                    .convert(FIXTURES.resolve("hostile-checkpoint.pth"), out, n -> {}));
    assertTrue(e.getMessage().contains("hostile-checkpoint.pth"), e.getMessage());
    assertFalse(Files.exists(out));
  }
}
