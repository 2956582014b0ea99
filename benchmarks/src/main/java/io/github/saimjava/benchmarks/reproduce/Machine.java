package io.github.saimjava.benchmarks.reproduce;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The machine a table was measured on, in one line: CPU model, cores, memory, JVM, OS. */
final class Machine {
  private Machine() {}

  static String describe() {
    Runtime rt = Runtime.getRuntime();
    return String.format(
        Locale.ROOT,
        "%s, %d cores visible to the JVM, %s; %s %s (%s); %s %s",
        cpuModel(),
        rt.availableProcessors(),
        memory(),
        System.getProperty("java.vm.name"),
        System.getProperty("java.version"),
        System.getProperty("java.vendor"),
        System.getProperty("os.name"),
        System.getProperty("os.arch"));
  }

  /** The first "model name" of /proc/cpuinfo; the architecture where there is none (not Linux). */
  static String cpuModel() {
    Path info = Path.of("/proc/cpuinfo");
    try {
      for (String line : Files.readAllLines(info, StandardCharsets.UTF_8)) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).strip();
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or unreadable: fall through
    }
    return "CPU " + System.getProperty("os.arch");
  }

  private static String memory() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"), StandardCharsets.UTF_8)) {
        if (line.startsWith("MemTotal:")) {
          long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
          return String.format(Locale.ROOT, "%.0f GB memory", kb / 1024.0 / 1024.0);
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: say nothing about memory
    }
    return "memory unknown";
  }
}
