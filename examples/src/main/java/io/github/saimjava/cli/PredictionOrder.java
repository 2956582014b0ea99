package io.github.saimjava.cli;

import io.github.saimjava.api.PermutationSampler;

/**
 * The {@code --order stochastic|raster} option of the commands that run a pre-trained model on
 * held-out images: its parsing. The kind's sampler comes from {@link
 * PermutationSampler.Builder#order}, as pre-training's does, so the orders are pre-training's
 * (raster: {@code u_k = k / L}).
 */
final class PredictionOrder {
  private PredictionOrder() {}

  /**
   * The kind named by an {@code --order} value.
   *
   * @throws IllegalArgumentException naming the flag and the value when it is neither {@code
   *     stochastic} nor {@code raster}
   */
  static PermutationSampler.Kind parse(String value) {
    return switch (value) {
      case "stochastic" -> PermutationSampler.Kind.STOCHASTIC;
      case "raster" -> PermutationSampler.Kind.RASTER;
      default ->
          throw new IllegalArgumentException(
              "--order must be stochastic or raster, got '" + value + "'");
    };
  }
}
