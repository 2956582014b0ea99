package io.github.saimjava.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import io.github.saimjava.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --output DIR} of the commands whose result is one file, {@value #METRICS}: the folder,
 * with a default of the command's own, and the writing of the file.
 */
final class MetricsOutput {
  /** The file the result goes to, in the output folder. */
  static final String METRICS = "metrics.json";

  @Option(
      names = "--output",
      paramLabel = "DIR",
      description = "Where metrics.json goes (default: ${DEFAULT-VALUE}).")
  Path output;

  /** The option with the command's default folder. */
  MetricsOutput(String defaultFolder) {
    this.output = Path.of(defaultFolder);
  }

  /**
   * Writes {@code metrics} pretty-printed to {@value #METRICS} in the folder, creating it, in one
   * atomic step.
   *
   * @return the file written
   */
  Path write(JsonObject metrics) throws IOException {
    Files.createDirectories(output);
    Path file = output.resolve(METRICS);
    AtomicFiles.write(
        file,
        (new GsonBuilder().setPrettyPrinting().create().toJson(metrics) + "\n")
            .getBytes(StandardCharsets.UTF_8));
    return file;
  }
}
