package io.github.saimjava.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonParser;
import io.github.saimjava.api.Permutation;
import io.github.saimjava.api.PermutationSampler;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimTrainer;
import io.github.saimjava.model.ReferenceConfig;
import io.github.saimjava.model.SaimModel;
import io.github.saimjava.train.AdamW;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our side of the round trip with the reference's PyTorch code (pre-train there, evaluate or
 * fine-tune here, or the other way round), against {@code reference-checkpoint-tiny.pth}: a
 * checkpoint the reference's training loop wrote ({@code model}, {@code optimizer}, {@code epoch},
 * {@code scaler}, {@code args}) for the configuration below. The Python side is in
 * docs/converting.md ("Pre-training with PyTorch, evaluating here (and back)").
 */
class PyTorchRoundTripTest {
  /**
   * The configuration of the fixture (its {@code args} and shapes): 32 px, patch 8, width 64, depth
   * 4.
   */
  static final SaimConfig FIXTURE =
      SaimConfig.builder()
          .imageSize(32)
          .patchSize(8)
          .width(64)
          .depth(4)
          .heads(4)
          .queryDepth(2)
          .blur(3, 1)
          .build();

  static Map<String, HostTensor> referenceStateDict() throws Exception {
    return TorchCheckpoint.readStateDict(
        TorchCheckpointFixtureTest.fixture("reference-checkpoint-tiny.pth"), "model");
  }

  @Test
  void aReferenceCheckpointImportedIntoOurModelAndExportedIsTheSameTensorsBitForBit(
      @TempDir Path dir) throws Exception {
    Map<String, HostTensor> reference = referenceStateDict();
    Path exported = dir.resolve("exported.safetensors");
    try (NDManager m = Engine.getEngine("PyTorch").newBaseManager();
        SaimModel model = new SaimModel(FIXTURE, m, 7)) {
      model.load(StateDictNames.splitQkv(reference), true);
      SafeTensors.write(exported, model.stateDict(), Map.of());
    }
    Map<String, HostTensor> back = SafeTensors.read(exported).tensors();
    assertEquals(107, reference.size());
    assertEquals(
        new java.util.TreeSet<>(reference.keySet()), new java.util.TreeSet<>(back.keySet()));
    reference.forEach(
        (name, t) -> {
          HostTensor b = back.get(name);
          assertEquals(DType.F32, b.dtype(), name);
          assertEquals(t, b, name + ": dtype, shape and bytes");
        });
  }

  @Test
  void ourPretrainingCheckpointExportsExactlyTheReferenceStateDictsKeysAndShapes(@TempDir Path dir)
      throws Exception {
    Path run = dir.resolve("run");
    SaimTrainer.builder()
        .config(FIXTURE)
        .batchSize(4)
        .maxSteps(1)
        .threads(1)
        .loaderThreads(1)
        .outputDir(run)
        .build()
        .fit();
    Path checkpoint = run.resolve("checkpoint.safetensors");
    long optimizer =
        SafeTensors.read(checkpoint).tensors().keySet().stream()
            .filter(k -> k.startsWith("optimizer."))
            .count();
    assertTrue(
        optimizer > 0, "the checkpoint holds the optimiser state that the export must leave out");
    Path exported = dir.resolve("for-pytorch.safetensors");
    List<String> notes = new ArrayList<>();
    CheckpointConverter.convert(
        checkpoint, exported, TorchCheckpoint.DEFAULT_STATE_DICT_KEY, notes::add);
    SafeTensors.Contents out = SafeTensors.read(exported);

    // the expectation comes from the reference's own state_dict(), saved by its training loop
    Map<String, List<Long>> want = new LinkedHashMap<>();
    referenceStateDict().forEach((k, v) -> want.put(k, shape(v)));
    Map<String, List<Long>> got = new LinkedHashMap<>();
    out.tensors()
        .forEach(
            (k, v) -> {
              assertEquals(DType.F32, v.dtype(), k);
              got.put(k, shape(v));
            });
    assertEquals(new java.util.TreeMap<>(want), new java.util.TreeMap<>(got));
    assertEquals(
        List.of(
            "left out "
                + optimizer
                + " optimizer tensors (optimizer.*): the output holds the model's state dict only"),
        notes);
    assertEquals("saim-java-weights-1", out.metadata().get("format"));
    assertTrue(out.metadata().containsKey("config"), "the architecture travels with the weights");
  }

  private static List<Long> shape(HostTensor t) {
    List<Long> s = new ArrayList<>();
    for (long d : t.shape()) {
      s.add(d);
    }
    return s;
  }

  @Test
  void aReferenceTrainingCheckpointContinuesTrainingHere() throws Exception {
    Map<String, HostTensor> reference = StateDictNames.splitQkv(referenceStateDict());
    int batch = 2;
    float[] px = new float[batch * 3 * 32 * 32];
    Random r = new Random(11);
    for (int i = 0; i < px.length; i++) {
      px[i] = (float) r.nextGaussian();
    }
    try (NDManager m = Engine.getEngine("PyTorch").newBaseManager();
        SaimModel trained = new SaimModel(FIXTURE, m, 1);
        SaimModel fresh = new SaimModel(FIXTURE, m, 2);
        AdamW opt = new AdamW(m, 0.9, 0.95, 1e-8, 0.05);
        Permutation perm =
            PermutationSampler.builder(FIXTURE.numPatches())
                .stochastic(5)
                .build()
                .sample(m, batch)) {
      NDArray images = m.create(px, new Shape(batch, 3, 32, 32));
      trained.load(reference, true);
      fresh.load(reference, true);
      float before;
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray loss =
            trained.loss(trained.forward(images, perm, true).prediction(), trained.target(images));
        before = loss.getFloat();
        gc.backward(loss);
      }
      opt.step(trained.parameters().trainable(), 1e-4);
      float freshLoss;
      // recorded like the trained model's loss, so both run the same kernels (inference without
      // gradients may use others, equal up to rounding)
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        freshLoss =
            fresh
                .loss(fresh.forward(images, perm, false).prediction(), fresh.target(images))
                .getFloat();
      }
      float after =
          trained
              .loss(trained.forward(images, perm, false).prediction(), trained.target(images))
              .getFloat();
      assertTrue(Float.isFinite(before) && before > 0, "loss " + before);
      assertEquals(
          freshLoss, before, 0f, "the loss of the imported weights does not depend on the load");
      assertNotEquals(before, after, "the step moved the weights");
      assertTrue(
          after < before,
          "one AdamW step on the same batch lowers the loss: " + before + " -> " + after);
    }
  }

  /**
   * Each reference fixture's {@code param.*} tensors are the reference model's whole state dict for
   * its config.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "reference-tiny-mlp-blur",
        "reference-tiny-linear-l1",
        "reference-tiny-shared",
        "reference-tiny-noblur-nonorm",
        "reference-tiny-blur9-qd1",
        "reference-tiny-sigma-float"
      })
  void everyReferenceConfigurationExportsExactlyItsStateDictKeysAndShapes(
      String fixture, @TempDir Path dir) throws Exception {
    SafeTensors.Contents c =
        SafeTensors.read(TorchCheckpointFixtureTest.fixture(fixture + ".safetensors"));
    SaimConfig config =
        ReferenceConfig.fromJson(
            JsonParser.parseString(c.metadata().get("config")).getAsJsonObject());
    Map<String, long[]> reference = new TreeMap<>();
    c.tensors()
        .forEach(
            (k, v) -> {
              if (k.startsWith("param.")) {
                reference.put(k.substring("param.".length()), v.shape());
              }
            });
    Path exported = dir.resolve(fixture + ".safetensors");
    try (NDManager m = Engine.getEngine("PyTorch").newBaseManager();
        SaimModel model = new SaimModel(config, m, 1)) {
      SafeTensors.write(exported, model.stateDict(), Map.of());
    }
    Map<String, HostTensor> ours = new TreeMap<>(SafeTensors.read(exported).tensors());
    assertEquals(reference.keySet(), ours.keySet(), "exported keys of " + fixture);
    for (Map.Entry<String, long[]> e : reference.entrySet()) {
      assertArrayEquals(e.getValue(), ours.get(e.getKey()).shape(), e.getKey());
      assertEquals(DType.F32, ours.get(e.getKey()).dtype(), e.getKey());
    }
  }
}
