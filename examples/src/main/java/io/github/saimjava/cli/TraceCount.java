package io.github.saimjava.cli;

import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Counts the engine operator events of a profiler trace (the engine's Chrome-trace JSON: an array
 * with one object per operator call, nested calls included), the figure the benchmarks report so
 * that a rise in dispatched operators shows.
 */
final class TraceCount {
  private TraceCount() {}

  /** The number of events in the trace {@code file}. */
  static int events(Path file) {
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        JsonReader json = new JsonReader(r)) {
      return JsonParser.parseReader(json).getAsJsonArray().size();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the profile " + file + ": " + e.getMessage(), e);
    }
  }
}
