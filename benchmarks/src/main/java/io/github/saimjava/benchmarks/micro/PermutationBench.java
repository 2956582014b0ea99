package io.github.saimjava.benchmarks.micro;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.github.saimjava.api.Permutation;
import io.github.saimjava.api.PermutationSampler;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** Stochastic orders and their content and query masks for a batch, on the engine. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PermutationBench {
  /** Patches per image: 64 (32 px / patch 4), 196 (224 px / patch 16). */
  @Param({"64", "196"})
  public int patches;

  /** Images per batch. */
  @Param({"8", "64"})
  public int batch;

  private NDManager manager;
  private PermutationSampler sampler;
  private long[] keys;
  private long next;

  @Setup(Level.Trial)
  public void setUp() {
    manager = Engine.getEngine("PyTorch").newBaseManager();
    sampler = PermutationSampler.builder(patches).stochastic(0).build();
    keys = new long[batch];
  }

  @Benchmark
  public long masks() {
    for (int i = 0; i < batch; i++) {
      keys[i] = next++;
    }
    try (NDManager step = manager.newSubManager();
        Permutation p = sampler.sample(step, keys)) {
      return p.queryMask().getShape().size();
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    manager.close();
  }
}
