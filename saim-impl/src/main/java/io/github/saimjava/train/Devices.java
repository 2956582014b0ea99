package io.github.saimjava.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The devices a run asked for, checked against what the engine sees: one rule for pre-training's
 * device list and the single device of fine-tuning, encoding and classifying.
 */
public final class Devices {
  private Devices() {}

  /**
   * The given device, or the engine's default one (a GPU when the engine has one) when none is
   * given.
   *
   * @throws IllegalArgumentException naming a GPU the engine does not see
   */
  public static Device resolve(Engine engine, @Nullable Device device) {
    return device == null ? engine.defaultDevice() : resolve(engine, List.of(device)).get(0);
  }

  /**
   * The given devices, or the engine's default one when the list is empty.
   *
   * @throws IllegalArgumentException naming a GPU the engine does not see
   */
  public static List<Device> resolve(Engine engine, List<Device> devices) {
    if (devices.isEmpty()) {
      return List.of(engine.defaultDevice());
    }
    int gpus = engine.getGpuCount();
    for (Device d : devices) {
      if (d.isGpu() && d.getDeviceId() >= gpus) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT, "device %s is not there: the engine sees %d GPU(s)", d, gpus));
      }
    }
    return devices;
  }
}
