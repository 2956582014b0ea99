package io.github.saimjava.cli;

import io.github.saimjava.data.LabelledData;
import java.io.IOException;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * {@code --data DIR}: the labelled data of the commands that train or evaluate on a train and a
 * validation split, described in their command text; by default the embedded Fashion-MNIST subset.
 */
final class LabelledDataOption {
  @Option(
      names = "--data",
      paramLabel = "DIR",
      description = "Labelled data (see above); default: embedded.")
  @Nullable Path dir;

  /** The two splits, decoded. */
  LabelledData open() throws IOException {
    return LabelledData.open(dir);
  }
}
