package io.github.saimjava.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import io.github.saimjava.api.Permutation;
import io.github.saimjava.api.PermutationSampler;
import io.github.saimjava.api.SaimConfig;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The README's Java snippet, compiled and run. */
class ReadmeJavaTest {
  @Test
  void readmeSnippet() {
    // README:java:start
    SaimConfig config = SaimConfig.vitBase(); // the paper's ViT-B/16 recipe
    PermutationSampler sampler =
        PermutationSampler.builder(config.numPatches()).stochastic(42).build();
    try (NDManager manager = NDManager.newBaseManager();
        Permutation perm = sampler.sample(manager, 4)) {
      long[] order = perm.order().get(0).toLongArray();
      System.out.println("first patches predicted: " + Arrays.toString(Arrays.copyOf(order, 5)));
      System.out.println("query mask " + perm.queryMask().getShape()); // (4, 1, 197, 197)
    }
    // README:java:end
    assertEquals(196, config.numPatches());
  }
}
