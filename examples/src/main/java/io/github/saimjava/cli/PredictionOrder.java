package io.github.saimjava.cli;

import io.github.saimjava.api.PermutationSampler;

/**
 * The {@code --order stochastic|raster} option of the commands that run a pre-trained model on
 * held-out images: its parsing and the sampler it stands for, the same orders as pre-training's
 * {@code --order} ({@link PermutationSampler.Builder#stochastic(long)}, {@link
 * PermutationSampler.Builder#raster()}: {@code u_k = k / L}).
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

  /**
   * A sampler of {@code kind} for {@code numPatches} patches; {@code seed} seeds stochastic orders
   * only.
   */
  static PermutationSampler sampler(PermutationSampler.Kind kind, int numPatches, long seed) {
    return kind == PermutationSampler.Kind.RASTER
        ? PermutationSampler.builder(numPatches).raster().build()
        : PermutationSampler.builder(numPatches).stochastic(seed).build();
  }
}
