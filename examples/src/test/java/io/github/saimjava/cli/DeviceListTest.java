package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeviceListTest {
  @Test
  void parsesCpuGpuListsAndAllGpus() {
    assertEquals(List.of(Device.cpu()), DeviceList.parse("cpu", 0));
    assertEquals(List.of(Device.gpu(0), Device.gpu(1)), DeviceList.parse("gpu0,gpu1", 2));
    assertEquals(List.of(Device.gpu(1), Device.gpu(0)), DeviceList.parse(" GPU1 , gpu0 ", 2));
    assertEquals(
        List.of(Device.gpu(0), Device.gpu(1), Device.gpu(2)), DeviceList.parse("all-gpus", 3));
    assertEquals(List.of(Device.cpu(), Device.cpu()), DeviceList.parse("cpu,cpu", 0));
  }

  @Test
  void errorsNameTheEntryAtFault() {
    assertEquals(
        "--devices: gpu2 is not there (the engine sees 2 GPUs: gpu0 to gpu1)",
        assertThrows(IllegalArgumentException.class, () -> DeviceList.parse("gpu0,gpu2", 2))
            .getMessage());
    assertEquals(
        "--devices: gpu0 is not there (the engine sees no GPU)",
        assertThrows(IllegalArgumentException.class, () -> DeviceList.parse("gpu0", 0))
            .getMessage());
    assertEquals(
        "--devices: 'cuda:0' is not a device (use cpu, gpuN such as gpu0,gpu1, or all-gpus)",
        assertThrows(IllegalArgumentException.class, () -> DeviceList.parse("cpu,cuda:0", 1))
            .getMessage());
    assertEquals(
        "--devices all-gpus: the engine sees no GPU on this machine",
        assertThrows(IllegalArgumentException.class, () -> DeviceList.parse("all-gpus", 0))
            .getMessage());
    assertEquals(
        "--devices 'gpu0,,gpu1' has an empty entry",
        assertThrows(IllegalArgumentException.class, () -> DeviceList.parse("gpu0,,gpu1", 2))
            .getMessage());
    assertEquals(
        "--devices 'gpu0,all-gpus': all-gpus stands alone, not in a list",
        assertThrows(IllegalArgumentException.class, () -> DeviceList.parse("gpu0,all-gpus", 2))
            .getMessage());
  }

  @Test
  void randomInputParsesOrFailsWithADevicesError() {
    // fuzz: strings built from the option's own alphabet and a few strangers
    String[] parts = {
      "cpu",
      "gpu",
      "gpu0",
      "gpu1",
      "gpu9",
      "gpu99999",
      "all-gpus",
      ",",
      " ",
      "",
      "x",
      "-",
      "\u00e9",
      "GPU1"
    };
    SplittableRandom r = new SplittableRandom(17);
    for (int i = 0; i < 2000; i++) {
      StringBuilder b = new StringBuilder();
      for (int k = r.nextInt(6); k >= 0; k--) {
        b.append(parts[r.nextInt(parts.length)]);
      }
      String spec = b.toString();
      try {
        List<Device> d = DeviceList.parse(spec, 2);
        assertTrue(!d.isEmpty(), spec);
        for (Device dev : d) {
          assertTrue(
              dev.equals(Device.cpu()) || dev.equals(Device.gpu(0)) || dev.equals(Device.gpu(1)),
              spec);
        }
      } catch (IllegalArgumentException e) {
        assertTrue(
            e.getMessage().startsWith("--devices") && !e.getMessage().contains("\n"),
            e.getMessage());
      }
    }
  }

  @Test
  void pretrainRefusesAMissingGpuAndAnUnevenSplit(@TempDir Path dir) {
    CliTestSupport.Result r =
        CliTestSupport.run(
            PretrainCommandTest.args(
                "--devices", "gpu0", "--max-steps", "1", "--output", dir.resolve("o").toString()));
    assertEquals(2, r.exitCode(), r.err());
    assertEquals(
        "saim: error: --devices: gpu0 is not there (the engine sees no GPU)", r.err().strip());
    CliTestSupport.Result u =
        CliTestSupport.run(
            PretrainCommandTest.args(
                "--devices",
                "cpu,cpu,cpu",
                "--max-steps",
                "1",
                "--output",
                dir.resolve("o").toString()));
    assertEquals(2, u.exitCode(), u.err());
    assertTrue(
        u.err().contains("batch size (8) must be a multiple of the number of devices (3)"),
        u.err());
    assertTrue(!Files.exists(dir.resolve("o")));
  }

  @Test
  void pretrainSplitsOverTwoReplicas(@TempDir Path dir) {
    Path out = dir.resolve("run");
    CliTestSupport.Result r =
        CliTestSupport.run(
            PretrainCommandTest.args(
                "--devices", "cpu,cpu", "--max-steps", "2", "--output", out.toString()));
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(
        r.out().contains("devices 2 ([cpu(), cpu()]), 4 images each per micro-batch"), r.out());
    assertTrue(r.out().contains("done: 2 steps, 16 images"), r.out());
  }
}
