package io.github.saimjava.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts the engine operator events of a profiler trace (the engine's Chrome-trace JSON: an array
 * with one object per operator call, nested calls included), the figures the benchmarks report so
 * that a rise in dispatched operators shows: all events, and the outermost ones (those no other
 * event on the same thread encloses), which are the calls made from Java, each one a trip through
 * DJL and JNI.
 *
 * @param events every operator event
 * @param outermost the events not nested in another
 */
record TraceCount(int events, int outermost) {
  /** The counts of the trace {@code file}. */
  static TraceCount of(Path file) {
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        JsonReader json = new JsonReader(r)) {
      return of(JsonParser.parseReader(json).getAsJsonArray());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the profile " + file + ": " + e.getMessage(), e);
    }
  }

  /** The counts of a trace's events (objects with {@code ts}, {@code dur} and {@code tid}). */
  static TraceCount of(JsonArray trace) {
    Map<String, List<double[]>> byThread = new HashMap<>();
    for (JsonElement e : trace) {
      JsonObject o = e.getAsJsonObject();
      String tid = o.has("tid") ? o.get("tid").getAsString() : "";
      double ts = o.get("ts").getAsDouble();
      double dur = o.has("dur") ? o.get("dur").getAsDouble() : 0;
      byThread.computeIfAbsent(tid, k -> new ArrayList<>()).add(new double[] {ts, ts + dur});
    }
    int outer = 0;
    for (List<double[]> spans : byThread.values()) {
      // by start, the longer first, so that an enclosing event comes before what it encloses
      spans.sort(Comparator.<double[]>comparingDouble(s -> s[0]).thenComparingDouble(s -> -s[1]));
      double end = Double.NEGATIVE_INFINITY;
      for (double[] s : spans) {
        if (s[0] >= end) {
          outer++;
          end = s[1];
        } else {
          end = Math.max(end, s[1]);
        }
      }
    }
    return new TraceCount(trace.size(), outer);
  }
}
