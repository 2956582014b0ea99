package io.github.saimjava.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A Python object from a checkpoint, kept as inert data: its class name and its attributes. The
 * class is never instantiated or executed; only whitelisted classes (such as {@code
 * argparse.Namespace}) can appear. A whitelisted global that a pickle names without calling it
 * appears as an {@code InertObject} with empty state.
 *
 * @param className the Python class, {@code module.name} (for example {@code argparse.Namespace})
 * @param state the attributes in file order (an unmodifiable copy); values are inert-tree values
 */
public record InertObject(String className, Map<String, @Nullable Object> state) {
  /** Copies {@code state} into an unmodifiable map that keeps its order. */
  public InertObject {
    state = Collections.unmodifiableMap(new LinkedHashMap<>(state));
  }

  /** The attribute {@code name}, or null when absent (or None). */
  public @Nullable Object get(String name) {
    return state.get(name);
  }
}
