package io.github.saimjava.cli;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Parses the {@code --devices} option: {@code cpu}, a comma-separated list of {@code gpuN} (and
 * {@code cpu}) entries, or {@code all-gpus}.
 */
final class DeviceList {
  private DeviceList() {}

  /**
   * The devices {@code spec} names, checked against the {@code gpuCount} GPUs the engine sees.
   *
   * @throws IllegalArgumentException naming the entry at fault (an unknown word, a GPU that is not
   *     there, an empty entry) or {@code all-gpus} without GPUs
   */
  static List<Device> parse(String spec, int gpuCount) {
    String all = spec.strip();
    if (all.equalsIgnoreCase("all-gpus")) {
      if (gpuCount == 0) {
        throw new IllegalArgumentException(
            "--devices all-gpus: the engine sees no GPU on this machine");
      }
      List<Device> gpus = new ArrayList<>();
      for (int i = 0; i < gpuCount; i++) {
        gpus.add(Device.gpu(i));
      }
      return gpus;
    }
    List<Device> out = new ArrayList<>();
    for (String raw : all.split(",", -1)) {
      String token = raw.strip().toLowerCase(Locale.ROOT);
      if (token.isEmpty()) {
        throw new IllegalArgumentException("--devices '" + spec + "' has an empty entry");
      }
      if (token.equals("cpu")) {
        out.add(Device.cpu());
      } else if (token.matches("gpu[0-9]{1,4}")) {
        int id = Integer.parseInt(token.substring(3));
        if (id >= gpuCount) {
          throw new IllegalArgumentException(
              String.format(
                  Locale.ROOT,
                  "--devices: %s is not there (the engine sees %s)",
                  raw.strip(),
                  gpuCount == 0
                      ? "no GPU"
                      : gpuCount == 1
                          ? "1 GPU: gpu0"
                          : gpuCount + " GPUs: gpu0 to gpu" + (gpuCount - 1)));
        }
        out.add(Device.gpu(id));
      } else if (token.equals("all-gpus")) {
        throw new IllegalArgumentException(
            "--devices '" + spec + "': all-gpus stands alone, not in a list");
      } else {
        throw new IllegalArgumentException(
            "--devices: '"
                + raw.strip()
                + "' is not a device (use cpu, gpuN such as gpu0,gpu1, or all-gpus)");
      }
    }
    return out;
  }
}
