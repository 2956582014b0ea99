package io.github.saimjava.benchmarks.micro;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.model.SaimModel;
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

/** Patchify of a ViT-B/16 batch (8 x 3 x 224 x 224 into 8 x 196 x 768) and its inverse. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PatchifyBench {
  private NDManager manager;
  private SaimModel model;
  private NDArray images;
  private NDArray patches;

  @Setup(Level.Trial)
  public void setUp() {
    manager = Engine.getEngine("PyTorch").newBaseManager();
    // patchify depends on the image and patch size only: a one-block model keeps set-up short
    SaimConfig c =
        SaimConfig.builder()
            .imageSize(224)
            .patchSize(16)
            .width(64)
            .depth(1)
            .heads(1)
            .queryDepth(1)
            .build();
    model = new SaimModel(c, manager, 0);
    images = manager.randomNormal(new Shape(8, 3, 224, 224));
    patches = model.patchify(images);
  }

  @Benchmark
  public float patchify() {
    try (NDManager step = manager.newSubManager()) {
      NDArray p = model.patchify(images);
      p.attach(step);
      return p.getFloat(0, 0, 0);
    }
  }

  @Benchmark
  public float unpatchify() {
    try (NDManager step = manager.newSubManager()) {
      NDArray x = model.unpatchify(patches);
      x.attach(step);
      return x.getFloat(0, 0, 0, 0);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    model.close();
    manager.close();
  }
}
