package io.github.saimjava.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The processor a figure was measured on, as Linux reports it ({@code /proc/cpuinfo}): its model
 * name and whether it has the instructions the engine's matrix multiplies use (AMX, AVX-512's
 * bfloat16 dot products, AVX-512, AVX2), so that every benchmark line carries its context.
 */
record CpuInfo(String model, int cores, List<String> present, List<String> absent) {
  /** The flags that decide the engine's float32 and bfloat16 kernels, fastest first. */
  static final List<String> FLAGS =
      List.of("amx_bf16", "amx_tile", "avx512_bf16", "avx512f", "avx2", "fma");

  private static final Path CPUINFO = Path.of("/proc/cpuinfo");

  /** This machine's, or an unknown processor where the kernel does not report it. */
  static CpuInfo read() {
    try {
      return parse(Files.readAllLines(CPUINFO, StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException e) {
      return new CpuInfo(
          "unknown (" + System.getProperty("os.arch") + ")",
          Runtime.getRuntime().availableProcessors(),
          List.of(),
          FLAGS);
    }
  }

  /** From {@code /proc/cpuinfo}'s lines: the first processor's model name and flags. */
  static CpuInfo parse(List<String> lines) {
    String model = "unknown";
    Set<String> flags = new HashSet<>();
    int processors = 0;
    for (String line : lines) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String key = line.substring(0, colon).trim();
      String value = line.substring(colon + 1).trim();
      if (key.equals("processor")) {
        processors++;
      } else if (key.equals("model name") && model.equals("unknown")) {
        model = value;
      } else if (key.equals("flags") && flags.isEmpty()) {
        flags.addAll(Arrays.asList(value.split("\\s+")));
      }
    }
    List<String> present = new ArrayList<>();
    List<String> absent = new ArrayList<>();
    for (String f : FLAGS) {
      (flags.contains(f) ? present : absent).add(f);
    }
    return new CpuInfo(model, Math.max(processors, 1), present, absent);
  }

  /** One line: {@code cpu: <model>, <n> logical cores; flags: ... (no ...)}. */
  String describe() {
    return "cpu: "
        + model
        + ", "
        + cores
        + " logical cores; flags: "
        + (present.isEmpty() ? "none of " + FLAGS : String.join(" ", present))
        + (absent.isEmpty() || present.isEmpty()
            ? ""
            : " (no " + String.join(", no ", absent) + ")");
  }
}
