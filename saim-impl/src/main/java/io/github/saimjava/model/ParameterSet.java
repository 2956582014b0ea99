package io.github.saimjava.model;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The named tensors of a model in registration order, keyed by the reference's state-dict names.
 * Trainable ones get gradients; buffers (the position table, the blur kernel) do not. Aliases are
 * extra names for an existing tensor (shared query blocks), present in state dicts only.
 */
public final class ParameterSet {
  private final Map<String, NDArray> tensors = new LinkedHashMap<>();
  private final Map<String, NDArray> trainable = new LinkedHashMap<>();
  private final Map<String, String> aliases = new LinkedHashMap<>();

  NDArray add(String name, NDArray array, boolean requiresGrad) {
    if (tensors.containsKey(name)) {
      throw new IllegalStateException("duplicate parameter " + name);
    }
    // the name lives here, not on the array: DJL passes a named array ('.' in its name) to a
    // TorchScript method as a dictionary, so every cast of a named weight would need a view first
    tensors.put(name, array);
    if (requiresGrad) {
      array.setRequiresGradient(true);
      trainable.put(name, array);
    }
    return array;
  }

  /**
   * Makes the buffer {@code name} a trainable parameter (fine-tuning learns the position table,
   * which pre-training keeps fixed); a no-op when it already is one.
   *
   * @throws IllegalArgumentException when there is no tensor of that name
   */
  public void makeTrainable(String name) {
    NDArray a = tensors.get(name);
    if (a == null) {
      throw new IllegalArgumentException("no tensor named '" + name + "'");
    }
    if (!trainable.containsKey(name)) {
      a.setRequiresGradient(true);
      // keep registration order, as the state dict and the optimiser iterate it
      Map<String, NDArray> ordered = new LinkedHashMap<>();
      for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
        if (trainable.containsKey(e.getKey()) || e.getKey().equals(name)) {
          ordered.put(e.getKey(), e.getValue());
        }
      }
      trainable.clear();
      trainable.putAll(ordered);
    }
  }

  void alias(String alias, String target) {
    aliases.put(alias, target);
  }

  /** Every tensor by canonical name (no aliases), in registration order. */
  public Map<String, NDArray> all() {
    return Collections.unmodifiableMap(tensors);
  }

  /** The trainable parameters (what the optimiser updates), in registration order. */
  public Map<String, NDArray> trainable() {
    return Collections.unmodifiableMap(trainable);
  }

  /** Alias name to canonical name. */
  public Map<String, String> aliases() {
    return Collections.unmodifiableMap(aliases);
  }

  /** The tensor named {@code name} or its alias, or null. */
  public @Nullable NDArray get(String name) {
    NDArray a = tensors.get(name);
    if (a == null && aliases.containsKey(name)) {
      a = tensors.get(aliases.get(name));
    }
    return a;
  }
}
