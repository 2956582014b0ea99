package io.github.saimjava.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointConverterTest {
  @TempDir Path dir;

  @Test
  void convertsTheReferenceCheckpointToTheExpectedSafetensors() throws Exception {
    Path out = dir.resolve("converted.safetensors");
    List<String> problems = new ArrayList<>();
    Map<String, HostTensor> written =
        CheckpointConverter.convert(
            TorchCheckpointFixtureTest.fixture("reference-checkpoint-tiny.pth"),
            out,
            "model",
            problems::add);
    assertEquals(List.of(), problems);
    SafeTensors.Contents expected = TorchCheckpointFixtureTest.expected();
    SafeTensors.Contents actual = SafeTensors.read(out);
    TorchCheckpointFixtureTest.assertSameTensors(expected.tensors(), actual.tensors());
    TorchCheckpointFixtureTest.assertSameTensors(expected.tensors(), written);
    assertEquals(Map.of("epoch", "3"), actual.metadata());
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(out), files.toList(), "no temporary files are left");
    }
  }

  @Test
  void legacyCheckpointAndSafetensorsInputsConvertToo() throws Exception {
    Path out = dir.resolve("legacy.safetensors");
    CheckpointConverter.convert(
        TorchCheckpointFixtureTest.fixture("reference-checkpoint-tiny-legacy.pth"),
        out,
        "model",
        p -> {});
    TorchCheckpointFixtureTest.assertSameTensors(
        TorchCheckpointFixtureTest.expected().tensors(), SafeTensors.read(out).tensors());
    Path again = dir.resolve("again.safetensors");
    CheckpointConverter.convert(out, again, "ignored", p -> {});
    assertArrayEquals(Files.readAllBytes(out), Files.readAllBytes(again));
  }

  @Test
  void fusedQkvIsSplitAndNonTensorsAreReported() throws Exception {
    byte[] qkv = PickleBuilder.floats(0, 1, 2, 3, 4, 5);
    byte[] pickle =
        new PickleBuilder()
            .proto(2)
            .emptyDict()
            .mark()
            .str("epoch")
            .integer(7)
            .str("state_dict")
            .emptyDict()
            .mark()
            .str("blocks.0.attn.qkv.bias")
            .tensor("FloatStorage", "0", 6, 0, new long[] {6}, new long[] {1})
            .str("n_averaged")
            .integer(3)
            .setitems()
            .setitems()
            .stop()
            .bytes();
    Path in = PickleBuilder.zip(dir.resolve("fused.pth"), pickle, Map.of("0", qkv));
    Path out = dir.resolve("fused.safetensors");
    List<String> problems = new ArrayList<>();
    Map<String, HostTensor> written =
        CheckpointConverter.convert(in, out, "state_dict", problems::add);
    assertEquals(
        List.of("blocks.0.attn.q.bias", "blocks.0.attn.k.bias", "blocks.0.attn.v.bias"),
        List.copyOf(written.keySet()));
    assertArrayEquals(new float[] {2, 3}, written.get("blocks.0.attn.k.bias").toFloatArray());
    assertEquals(1, problems.size());
    assertTrue(problems.get(0).contains("'n_averaged'"), problems.get(0));
    assertEquals(Map.of("epoch", "7"), SafeTensors.read(out).metadata());
  }

  @Test
  void truncatedInputLeavesNoOutputAndAnExistingOutputUntouched() throws Exception {
    byte[] full =
        Files.readAllBytes(TorchCheckpointFixtureTest.fixture("reference-checkpoint-tiny.pth"));
    Path truncated = dir.resolve("truncated.pth");
    Files.write(truncated, Arrays.copyOf(full, full.length / 2));

    Path out = dir.resolve("out.safetensors");
    assertThrows(
        TensorFileException.class,
        () -> CheckpointConverter.convert(truncated, out, "model", p -> {}));
    assertFalse(Files.exists(out));

    byte[] previous = "previous contents".getBytes();
    Files.write(out, previous);
    assertThrows(
        TensorFileException.class,
        () -> CheckpointConverter.convert(truncated, out, "model", p -> {}));
    assertArrayEquals(previous, Files.readAllBytes(out));

    TensorFileException e =
        assertThrows(
            TensorFileException.class,
            () ->
                CheckpointConverter.convert(
                    TorchCheckpointFixtureTest.fixture("reference-checkpoint-tiny.pth"),
                    out,
                    "ema",
                    p -> {}));
    assertTrue(e.getMessage().contains("no state dict under key 'ema'"), e.getMessage());
    assertArrayEquals(previous, Files.readAllBytes(out));
    assertThrows(
        UnsafePickleException.class,
        () ->
            CheckpointConverter.convert(
                TorchCheckpointFixtureTest.fixture("hostile-checkpoint.pth"),
                out,
                "model",
                p -> {}));
    assertArrayEquals(previous, Files.readAllBytes(out));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(2, files.count(), "only the input and the old output exist");
    }
  }
}
