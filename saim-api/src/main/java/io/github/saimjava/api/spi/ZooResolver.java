package io.github.saimjava.api.spi;

import io.github.saimjava.api.SaimConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Turns a zoo model name into weights on disk (fetching and verifying them). Provided by saim-zoo.
 */
public interface ZooResolver {
  /**
   * A resolved artifact.
   *
   * @param weights the verified safetensors file
   * @param config the architecture
   */
  record Resolved(Path weights, SaimConfig config) {}

  /**
   * The model called {@code name}, or empty when this resolver does not know it.
   *
   * @param name a zoo model name
   * @return its verified weights and architecture, or empty
   * @throws IOException when fetching or verifying the weights fails
   */
  Optional<Resolved> resolve(String name) throws IOException;

  /** {@return the names this resolver knows} */
  List<String> names();

  /**
   * The first resolver on the class path that knows {@code name}.
   *
   * @param name a zoo model name
   * @return its verified weights and architecture
   * @throws IOException when fetching or verifying the weights fails
   * @throws IllegalArgumentException when none does, listing the known names
   */
  static Resolved find(String name) throws IOException {
    List<String> known = new ArrayList<>();
    for (ZooResolver r : ServiceLoader.load(ZooResolver.class)) {
      Optional<Resolved> hit = r.resolve(name);
      if (hit.isPresent()) {
        return hit.get();
      }
      known.addAll(r.names());
    }
    throw new IllegalArgumentException(
        known.isEmpty()
            ? "no model zoo on the class path: add io.github.saimjava:saim-zoo (runtime scope) to"
                + " use the zoo model "
                + name
            : "unknown zoo model '" + name + "' (known: " + String.join(", ", known) + ")");
  }
}
