package io.github.saimjava.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** This process's memory as the Linux kernel accounts it ({@code /proc/self/status}). */
final class ProcessMemory {
  private static final Path STATUS = Path.of("/proc/self/status");

  private ProcessMemory() {}

  /**
   * The value of {@code field} ({@code VmRSS}: resident now, {@code VmHWM}: peak resident) in MB
   * (2^20 bytes), or NaN where the kernel does not report it (not Linux, field absent).
   */
  static double residentMb(String field) {
    if (!Files.isReadable(STATUS)) {
      return Double.NaN;
    }
    try {
      return parse(Files.readAllLines(STATUS, StandardCharsets.US_ASCII), field);
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /**
   * {@code field}'s value in MB from status lines such as {@code VmRSS: 123456 kB}; NaN if absent.
   */
  static double parse(List<String> lines, String field) {
    String prefix = field + ":";
    for (String line : lines) {
      if (line.startsWith(prefix)) {
        String[] parts = line.substring(prefix.length()).trim().split("\\s+");
        if (parts.length == 2 && parts[1].equals("kB")) {
          return Long.parseLong(parts[0]) / 1024.0;
        }
      }
    }
    return Double.NaN;
  }
}
