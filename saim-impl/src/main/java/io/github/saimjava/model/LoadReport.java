package io.github.saimjava.model;

import java.util.List;

/**
 * The outcome of loading a state dict by name, as PyTorch's strict loading reports it.
 *
 * @param missing model tensors the checkpoint lacks
 * @param unexpected checkpoint tensors the model has no place for
 * @param shapeMismatches {@code name: checkpoint [..], model [..]} for tensors of the wrong shape
 */
public record LoadReport(
    List<String> missing, List<String> unexpected, List<String> shapeMismatches) {
  public LoadReport {
    missing = List.copyOf(missing);
    unexpected = List.copyOf(unexpected);
    shapeMismatches = List.copyOf(shapeMismatches);
  }

  /** True when every tensor matched. */
  public boolean isClean() {
    return missing.isEmpty() && unexpected.isEmpty() && shapeMismatches.isEmpty();
  }

  @Override
  public String toString() {
    return "missing "
        + missing
        + ", unexpected "
        + unexpected
        + ", shape mismatches "
        + shapeMismatches;
  }
}
