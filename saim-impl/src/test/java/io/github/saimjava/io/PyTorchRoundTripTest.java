package io.github.saimjava.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonParser;
import io.github.saimjava.api.Permutation;
import io.github.saimjava.api.PermutationSampler;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.model.ReferenceConfig;
import io.github.saimjava.model.SaimModel;
import io.github.saimjava.model.Tensors;
import io.github.saimjava.train.AdamW;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our side of the round trip with the reference PyTorch code (the Python side is in the README,
 * "Pre-training with PyTorch, evaluating here"): what the reference writes loads into our model and
 * comes back out unchanged, and what we export has exactly the reference model's state-dict keys
 * and shapes.
 */
class PyTorchRoundTripTest {
  /** The configuration the reference training checkpoints were written for (fixtures README). */
  static final SaimConfig CHECKPOINT_CONFIG = SaimConfig.builder().imageSize(32).patchSize(8).width(64)
      .depth(4).heads(4).queryDepth(2).blur(3, 1).build();

  @TempDir Path dir;

  @Test
  void aReferenceTrainingCheckpointPassesThroughOurModelBitForBit() throws Exception {
    Map<String, HostTensor> pth = TorchCheckpoint.readStateDict(
        TorchCheckpointFixtureTest.fixture("reference-checkpoint-tiny.pth"), "model");
    Path exported = dir.resolve("exported.safetensors");
    try (NDManager m = Engine.getEngine("PyTorch").newBaseManager();
        SaimModel model = new SaimModel(CHECKPOINT_CONFIG, m, 99)) {
      assertTrue(model.load(StateDictNames.splitQkv(pth), true).isClean());
      SafeTensors.write(exported, model.stateDict(), Map.of("config", ReferenceConfig.toJson(CHECKPOINT_CONFIG).toString()));
    }
    Map<String, HostTensor> back = SafeTensors.read(exported).tensors();
    assertEquals(new TreeMap<>(pth).keySet(), new TreeMap<>(back).keySet());
    for (Map.Entry<String, HostTensor> e : pth.entrySet()) {
      HostTensor b = back.get(e.getKey());
      assertEquals(DType.F32, b.dtype(), e.getKey());
      assertArrayEquals(e.getValue().shape(), b.shape(), e.getKey());
      assertEquals(e.getValue().data(), b.data(), e.getKey() + " is not bit-identical after the round trip");
    }
  }

  /** Every fixture's {@code param.*} tensors are the reference model's whole state dict for its config. */
  @ParameterizedTest
  @ValueSource(strings = {"reference-tiny-mlp-blur", "reference-tiny-linear-l1", "reference-tiny-shared",
      "reference-tiny-noblur-nonorm", "reference-tiny-blur9-qd1", "reference-tiny-sigma-float"})
  void ourExportHasExactlyTheReferenceStateDictKeysAndShapes(String fixture) throws Exception {
    SafeTensors.Contents c = SafeTensors.read(TorchCheckpointFixtureTest.fixture(fixture + ".safetensors"));
    SaimConfig config = ReferenceConfig.fromJson(JsonParser.parseString(c.metadata().get("config")).getAsJsonObject());
    Map<String, long[]> reference = new TreeMap<>();
    c.tensors().forEach((k, v) -> {
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

  @Test
  void trainingContinuesHereFromAReferenceCheckpoint() throws Exception {
    Map<String, HostTensor> pth = TorchCheckpoint.readStateDict(
        TorchCheckpointFixtureTest.fixture("reference-checkpoint-tiny.pth"), "model");
    Map<String, HostTensor> expected = TorchCheckpointFixtureTest.expected().tensors();
    SafeTensors.Contents batch = SafeTensors.read(TorchCheckpointFixtureTest.fixture("reference-tiny-mlp-blur.safetensors"));
    try (NDManager m = Engine.getEngine("PyTorch").newBaseManager();
        SaimModel fromPth = new SaimModel(CHECKPOINT_CONFIG, m, 1);
        SaimModel fromSafetensors = new SaimModel(CHECKPOINT_CONFIG, m, 2);
        AdamW opt = new AdamW(m, 0.9, 0.95, 1e-8, 0.05)) {
      assertTrue(fromPth.load(StateDictNames.splitQkv(pth), true).isClean());
      assertTrue(fromSafetensors.load(StateDictNames.splitQkv(expected), true).isClean());
      NDArray images = Tensors.toEngine(m, batch.require("input.images"));
      NDArray noise = Tensors.toEngine(m, batch.require("input.noise"));
      try (Permutation perm = PermutationSampler.fromNoise(noise)) {
        float before = loss(fromPth, images, perm, null);
        assertEquals(loss(fromSafetensors, images, perm, null), before, 0f, "same weights, same loss");
        assertTrue(Float.isFinite(before) && before > 0, "loss " + before);
        loss(fromPth, images, perm, opt);
        float after = loss(fromPth, images, perm, null);
        assertTrue(after < before, "one AdamW step from the reference weights lowers the loss: " + before + " -> " + after);
      }
    }
  }

  /** The loss of one batch; with an optimiser, also one training step. */
  private static float loss(SaimModel model, NDArray images, Permutation perm, AdamW opt) {
    try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
      NDArray loss = model.loss(model.forward(images, perm, opt != null).prediction(), model.target(images));
      float value = loss.getFloat();
      if (opt != null) {
        gc.backward(loss);
        opt.step(model.parameters().trainable(), 1e-4);
        AdamW.zeroGrad(model.parameters().trainable());
      }
      return value;
    }
  }
}
