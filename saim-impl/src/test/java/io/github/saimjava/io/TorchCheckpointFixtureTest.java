package io.github.saimjava.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The reference checkpoints written by PyTorch 1.13, and the hostile one. */
class TorchCheckpointFixtureTest {
  static Path fixture(String name) throws Exception {
    return Path.of(TorchCheckpointFixtureTest.class.getResource("/fixtures/" + name).toURI());
  }

  static SafeTensors.Contents expected() throws Exception {
    return SafeTensors.read(fixture("reference-checkpoint-tiny.expected.safetensors"));
  }

  static void assertSameTensors(Map<String, HostTensor> expected, Map<String, HostTensor> actual) {
    assertEquals(new ArrayList<>(expected.keySet()), new ArrayList<>(actual.keySet()));
    expected.forEach(
        (name, t) -> {
          HostTensor a = actual.get(name);
          assertEquals(t.dtype(), a.dtype(), name);
          assertArrayEquals(t.shape(), a.shape(), name);
          assertEquals(t.data(), a.data(), name + " bytes");
        });
  }

  @Test
  void zipCheckpointGivesTheExpectedTensorsBitForBit() throws Exception {
    TorchCheckpoint ckpt = TorchCheckpoint.read(fixture("reference-checkpoint-tiny.pth"));
    assertEquals(TorchCheckpoint.Format.ZIP, ckpt.format());
    Map<String, HostTensor> sd = ckpt.stateDict();
    assertEquals(107, sd.size());
    assertSameTensors(expected().tensors(), sd);
  }

  @Test
  void legacyCheckpointGivesTheExpectedTensorsBitForBit() throws Exception {
    TorchCheckpoint ckpt = TorchCheckpoint.read(fixture("reference-checkpoint-tiny-legacy.pth"));
    assertEquals(TorchCheckpoint.Format.LEGACY, ckpt.format());
    assertSameTensors(expected().tensors(), ckpt.stateDict("model"));
    Map<?, ?> root = (Map<?, ?>) ckpt.root();
    assertEquals(List.of("model"), new ArrayList<>(root.keySet()));
  }

  @Test
  void zipCheckpointExposesEpochArgsAndOptimizerState() throws Exception {
    TorchCheckpoint ckpt = TorchCheckpoint.read(fixture("reference-checkpoint-tiny.pth"));
    Map<?, ?> root = (Map<?, ?>) ckpt.root();
    assertEquals(
        List.of("model", "optimizer", "epoch", "scaler", "args"), new ArrayList<>(root.keySet()));
    assertEquals(3L, ckpt.get("epoch"));

    InertObject args = assertInstanceOf(InertObject.class, ckpt.get("args"));
    assertEquals("argparse.Namespace", args.className());
    assertEquals(64L, args.get("batch_size"));
    assertEquals(800L, args.get("epochs"));
    assertEquals("saim_tiny", args.get("model"));
    assertEquals(2e-4, args.get("blr"));
    assertEquals(Boolean.TRUE, args.get("norm_pix_loss"));
    assertEquals("../imagenet", args.get("data_path"));

    Map<?, ?> scaler = (Map<?, ?>) ckpt.get("scaler");
    assertEquals(65536.0, scaler.get("scale"));
    assertEquals(2000L, scaler.get("growth_interval"));

    Map<?, ?> optimizer = (Map<?, ?>) ckpt.get("optimizer");
    Map<?, ?> state = (Map<?, ?>) optimizer.get("state");
    assertEquals(105, state.size()); // one entry per trainable parameter
    Map<?, ?> first = (Map<?, ?>) state.get(0L);
    HostTensor step = (HostTensor) first.get("step");
    assertEquals(1.0f, step.toFloatArray()[0]);
    HostTensor expAvg = (HostTensor) first.get("exp_avg");
    assertArrayEquals(new long[] {64}, expAvg.shape());
    assertEquals(2.3865e-04f, expAvg.toFloatArray()[0], 1e-8f);

    List<?> groups = (List<?>) optimizer.get("param_groups");
    Map<?, ?> group0 = (Map<?, ?>) groups.get(0);
    assertEquals(List.of(0.9, 0.95), group0.get("betas"));
    assertEquals(0.001, ((Map<?, ?>) groups.get(groups.size() - 1)).get("lr"));
    assertTrue(group0.containsKey("foreach"));
    assertEquals(null, group0.get("foreach"));
    int params = 0;
    for (Object g : groups) {
      params += ((List<?>) ((Map<?, ?>) g).get("params")).size();
    }
    assertEquals(state.size(), params);
  }

  @Test
  void theTreeIsUnmodifiable() throws Exception {
    TorchCheckpoint ckpt = TorchCheckpoint.read(fixture("reference-checkpoint-tiny.pth"));
    @SuppressWarnings("unchecked")
    Map<Object, Object> root = (Map<Object, Object>) ckpt.root();
    assertThrows(UnsupportedOperationException.class, () -> root.put("x", 1L));
    assertThrows(UnsupportedOperationException.class, () -> ckpt.stateDict().clear());
  }

  @Test
  void stateDictErrorNamesTheKeyAndTheKeysThatExist() throws Exception {
    TorchCheckpoint ckpt = TorchCheckpoint.read(fixture("reference-checkpoint-tiny.pth"));
    TensorFileException e = assertThrows(TensorFileException.class, () -> ckpt.stateDict("ema"));
    assertTrue(e.getMessage().contains("'ema'"), e.getMessage());
    assertTrue(e.getMessage().contains("[model, optimizer, epoch, scaler, args]"), e.getMessage());
    e = assertThrows(TensorFileException.class, () -> ckpt.stateDict("epoch"));
    assertTrue(e.getMessage().contains("key 'epoch' holds an int (3)"), e.getMessage());
    e = assertThrows(TensorFileException.class, () -> ckpt.stateDict("scaler"));
    assertTrue(e.getMessage().contains("entry 'scale' is a float"), e.getMessage());
    List<String> skipped = new ArrayList<>();
    assertEquals(0, ckpt.stateDict("scaler", skipped::add).size());
    assertEquals(5, skipped.size());
    assertSame(ckpt.file(), e.file());
  }

  @Test
  void hostileCheckpointIsRefusedAndNothingRuns() throws Exception {
    Path pwned = Path.of("/tmp/saim-pwned");
    boolean existed = Files.exists(pwned);
    FileTime before = existed ? Files.getLastModifiedTime(pwned) : null;

    UnsafePickleException e =
        assertThrows(
            UnsafePickleException.class,
            () -> TorchCheckpoint.read(fixture("hostile-checkpoint.pth")));
    assertEquals("posix.system", e.global());
    assertTrue(e.getMessage().contains("refused global 'posix.system'"), e.getMessage());
    assertTrue(e.getMessage().contains("hostile-checkpoint.pth"), e.getMessage());
    assertTrue(e.getMessage().contains("archive/data.pkl at offset"), e.getMessage());

    if (existed) {
      assertEquals(before, Files.getLastModifiedTime(pwned), "the file the pickle targets changed");
    } else {
      assertFalse(Files.exists(pwned), "the hostile pickle's command ran");
    }
    assertNotNull(e.file());
  }
}
