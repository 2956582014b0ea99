package io.github.saimjava.benchmarks.micro;

import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * An atomic safetensors write of a ViT-S-sized state dict (12 blocks of width 384: 21.3 M float32
 * values, 85 MB) into a temporary folder, as a pre-training checkpoint is written.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class CheckpointWriteBench {
  private Map<String, HostTensor> tensors;
  private Path dir;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    int d = 384;
    SplittableRandom r = new SplittableRandom(0);
    tensors = new LinkedHashMap<>();
    for (int b = 0; b < 12; b++) {
      String p = "blocks." + b + ".";
      for (String proj : new String[] {"attn.q", "attn.k", "attn.v", "attn.proj"}) {
        tensors.put(p + proj + ".weight", random(r, d, d));
        tensors.put(p + proj + ".bias", random(r, d));
      }
      tensors.put(p + "mlp.fc1.weight", random(r, 4 * d, d));
      tensors.put(p + "mlp.fc1.bias", random(r, 4 * d));
      tensors.put(p + "mlp.fc2.weight", random(r, d, 4 * d));
      tensors.put(p + "mlp.fc2.bias", random(r, d));
      for (String n : new String[] {"norm1", "norm2"}) {
        tensors.put(p + n + ".weight", random(r, d));
        tensors.put(p + n + ".bias", random(r, d));
      }
    }
    dir = Files.createTempDirectory("saim-ckpt-bench");
  }

  private static HostTensor random(SplittableRandom r, long... shape) {
    float[] v = new float[(int) HostTensor.numel(shape)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return HostTensor.ofFloats(shape, v);
  }

  @Benchmark
  public long writeCheckpoint() throws IOException {
    Path file = dir.resolve("checkpoint.safetensors");
    SafeTensors.write(file, tensors, Map.of("format", "bench"));
    return Files.size(file);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    Files.deleteIfExists(dir.resolve("checkpoint.safetensors"));
    Files.deleteIfExists(dir);
  }
}
