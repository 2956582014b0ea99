package io.github.saimjava.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.saimjava.api.PermutationSampler;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimTrainer;
import io.github.saimjava.api.StepEvent;
import io.github.saimjava.model.SaimModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The split and the combination of data-parallel training. This machine has no GPU, so several
 * devices are several replicas on the CPU: DJL knows one CPU device only (see {@code
 * djlHasOneCpuDevice}), and replicas on one device take the same code path as replicas on several
 * (split, per-replica forward and backward, transfer to the master, sum, broadcast).
 */
class DataParallelTest {
  static final SaimConfig TINY =
      SaimConfig.builder()
          .imageSize(32)
          .patchSize(8)
          .width(32)
          .depth(2)
          .heads(2)
          .queryDepth(2)
          .blur(3, 1)
          .build();
  static final int N = 8;
  static float[] pixels;
  static long[] keys;

  @BeforeAll
  static void data() {
    EngineThreads.pytorch(1);
    SplittableRandom r = new SplittableRandom(11);
    pixels = new float[N * 3 * 32 * 32];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (float) r.nextGaussian();
    }
    keys = new long[N];
    for (int i = 0; i < N; i++) {
      keys[i] = 1000 + 7L * i;
    }
  }

  /** The gradients (after combining), the weights after one AdamW step, and the loss. */
  record Step(Map<String, float[]> grads, Map<String, float[]> weights, double loss) {}

  static Step step(int devices, int accumIter) {
    Engine engine = Engine.getEngine("PyTorch");
    Device cpu = Device.cpu();
    PermutationSampler sampler =
        PermutationSampler.builder(TINY.numPatches()).stochastic(3).build();
    try (NDManager manager = engine.newBaseManager(cpu);
        SaimModel model = new SaimModel(TINY, manager, 5);
        AdamW opt = new AdamW(manager, 0.9, 0.95, 1e-8, 0.05);
        DataParallel dp = new DataParallel(model, Collections.nCopies(devices, cpu), engine)) {
      dp.broadcast();
      Map<String, NDArray> params = model.parameters().trainable();
      int per = N / accumIter;
      int image = 3 * 32 * 32;
      double loss = 0;
      for (int micro = 0; micro < accumIter; micro++) {
        NDArray images =
            manager.create(
                Arrays.copyOfRange(pixels, micro * per * image, (micro + 1) * per * image),
                new Shape(per, 3, 32, 32));
        loss +=
            dp.forwardBackward(
                    images,
                    Arrays.copyOfRange(keys, micro * per, (micro + 1) * per),
                    sampler,
                    accumIter)
                / accumIter;
      }
      dp.combineGradients();
      Map<String, float[]> grads = new LinkedHashMap<>();
      params.forEach((k, v) -> grads.put(k, v.getGradient().toFloatArray()));
      opt.step(params, 1e-3);
      AdamW.zeroGrad(params);
      dp.broadcast();
      Map<String, float[]> weights = new LinkedHashMap<>();
      params.forEach((k, v) -> weights.put(k, v.toFloatArray()));
      for (int i = 1; i < devices; i++) {
        // every replica starts the next step from the master's new weights
        Map<String, NDArray> replica = dp.replica(i).parameters().trainable();
        weights.forEach(
            (k, v) ->
                assertTrue(
                    Arrays.equals(v, replica.get(k).toFloatArray()),
                    "replica weights " + k + " not refreshed"));
        // and with its gradients cleared
        replica.forEach((k, v) -> assertEquals(0f, v.getGradient().abs().max().getFloat(), k));
      }
      return new Step(grads, weights, loss);
    }
  }

  /** Asserts every tensor's relative L2 difference is at most 1e-5; returns the largest. */
  static double assertClose(Map<String, float[]> want, Map<String, float[]> got, String what) {
    assertEquals(want.keySet(), got.keySet());
    double worst = 0;
    for (String k : want.keySet()) {
      float[] a = want.get(k);
      float[] b = got.get(k);
      double diff = 0;
      double norm = 0;
      for (int i = 0; i < a.length; i++) {
        diff += (a[i] - b[i]) * (double) (a[i] - b[i]);
        norm += a[i] * (double) a[i];
      }
      assertTrue(norm > 0, what + " " + k + " is zero");
      double rel = Math.sqrt(diff / norm);
      assertTrue(rel <= 1e-5, what + " " + k + ": relative difference " + rel);
      worst = Math.max(worst, rel);
    }
    return worst;
  }

  @Test
  void splitAndAccumulatedStepsEqualTheOneBatchStep() {
    Step one = step(1, 1);
    for (int[] c : new int[][] {{2, 1}, {4, 1}, {1, 2}, {2, 2}}) {
      Step s = step(c[0], c[1]);
      String what = c[0] + " replicas x accum " + c[1];
      assertEquals(one.loss(), s.loss(), 1e-6 * one.loss(), what + " loss");
      double g = assertClose(one.grads(), s.grads(), what + " gradient");
      double w = assertClose(one.weights(), s.weights(), what + " weights");
      System.out.printf(
          "%s: largest relative difference, gradients %.2e, weights %.2e%n", what, g, w);
    }
  }

  @Test
  void aSplitReplicaComputesOnlyItsPart() {
    // the master's own gradient before combining is that of its half, not of the whole batch:
    // without the combination, the step would differ
    Engine engine = Engine.getEngine("PyTorch");
    Device cpu = Device.cpu();
    PermutationSampler sampler =
        PermutationSampler.builder(TINY.numPatches()).stochastic(3).build();
    try (NDManager manager = engine.newBaseManager(cpu);
        SaimModel model = new SaimModel(TINY, manager, 5);
        DataParallel dp = new DataParallel(model, List.of(cpu, cpu), engine)) {
      dp.broadcast();
      dp.forwardBackward(manager.create(pixels, new Shape(N, 3, 32, 32)), keys, sampler, 1);
      float[] before = model.parameters().trainable().get("cls_token").getGradient().toFloatArray();
      dp.combineGradients();
      float[] after = model.parameters().trainable().get("cls_token").getGradient().toFloatArray();
      float[] whole = step(1, 1).grads().get("cls_token");
      assertClose(Map.of("cls_token", whole), Map.of("cls_token", after), "combined");
      assertNotEquals(Arrays.toString(whole), Arrays.toString(before));
    }
  }

  @Test
  void unevenBatchIsRefusedNamingBothNumbers() {
    Engine engine = Engine.getEngine("PyTorch");
    Device cpu = Device.cpu();
    PermutationSampler sampler =
        PermutationSampler.builder(TINY.numPatches()).stochastic(3).build();
    try (NDManager manager = engine.newBaseManager(cpu);
        SaimModel model = new SaimModel(TINY, manager, 5);
        DataParallel dp = new DataParallel(model, Collections.nCopies(4, cpu), engine)) {
      NDArray six = manager.create(Arrays.copyOf(pixels, 6 * 3 * 32 * 32), new Shape(6, 3, 32, 32));
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> dp.forwardBackward(six, Arrays.copyOf(keys, 6), sampler, 1));
      assertTrue(
          e.getMessage().contains("batch of 6 images") && e.getMessage().contains("over 4 devices"),
          e.getMessage());
    }
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SaimTrainer.builder().batchSize(6).devices(cpu, cpu, cpu, cpu).build());
    assertEquals(
        "batchSize (6) must be a multiple of the number of devices (4) to split evenly",
        e.getMessage());
  }

  @Test
  void aMissingGpuIsRefusedBeforeTraining(@TempDir Path out) {
    int gpus = Engine.getEngine("PyTorch").getGpuCount();
    Device missing = Device.gpu(gpus);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new Pretrainer(
                        trainer(out, 1).devices(missing).build().spec(),
                        new SyntheticBatches(16, 3, 32, N, 4))
                    .run());
    assertEquals(
        "device " + missing + " is not there: the engine sees " + gpus + " GPU(s)", e.getMessage());
    assertTrue(!java.nio.file.Files.exists(out.resolve("config.json")), "nothing written");
  }

  @Test
  void djlHasOneCpuDevice() {
    // why the tests use replicas on one CPU device: DJL maps every CPU id to the one CPU device,
    // so cpu:0 and cpu:1 cannot be two logical devices
    Device second = Device.of("cpu", 1);
    assertEquals(Device.cpu(), second);
    try (NDManager m = Engine.getEngine("PyTorch").newBaseManager(second)) {
      assertEquals(Device.cpu(), m.create(new float[] {1, 2}).getDevice());
    }
  }

  static SaimTrainer.Builder trainer(Path out, int devices) {
    return SaimTrainer.builder()
        .config(TINY)
        .batchSize(N)
        .epochs(1)
        .lr(2e-3)
        .seed(5)
        .threads(1)
        .outputDir(out)
        .checkpointEvery(2)
        .devices(Collections.nCopies(devices, Device.cpu()));
  }

  @Test
  void aSplitRunsCheckpointResumesOnOneDevice(@TempDir Path split, @TempDir Path single)
      throws Exception {
    List<StepEvent> whole = new ArrayList<>();
    new Pretrainer(
            trainer(single, 1).maxSteps(3).onStep(whole::add).build().spec(),
            new SyntheticBatches(32, 3, 32, N, 4))
        .run();
    List<StepEvent> first = new ArrayList<>();
    new Pretrainer(
            trainer(split, 2).maxSteps(2).onStep(first::add).build().spec(),
            new SyntheticBatches(32, 3, 32, N, 4))
        .run();
    List<StepEvent> resumed = new ArrayList<>();
    new Pretrainer(
            trainer(split, 1).maxSteps(3).onStep(resumed::add).build().spec(),
            new SyntheticBatches(32, 3, 32, N, 4))
        .run();
    assertEquals(1, resumed.size());
    assertEquals(3, resumed.get(0).step());
    for (int i = 0; i < 2; i++) {
      assertEquals(
          whole.get(i).loss(), first.get(i).loss(), 1e-5 * whole.get(i).loss(), "step " + (i + 1));
    }
    assertEquals(whole.get(2).loss(), resumed.get(0).loss(), 1e-5 * whole.get(2).loss(), "step 3");
  }
}
