package io.github.saimjava.cli;

import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** {@code --threads N}: the engine's threads, by default all cores. */
final class ThreadsOption {
  @Option(
      names = "--threads",
      paramLabel = "<threads>",
      description = "Engine threads (default: all cores).")
  @Nullable Integer count;
}
