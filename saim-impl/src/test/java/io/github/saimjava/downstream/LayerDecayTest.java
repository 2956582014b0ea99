package io.github.saimjava.downstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.train.AdamW;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LayerDecayTest {
  @Test
  void layerIdsFollowTheReference() {
    LayerDecay ld = new LayerDecay(12, 0.65);
    assertEquals(0, ld.layerId("cls_token"));
    assertEquals(0, ld.layerId("pos_embed"));
    assertEquals(0, ld.layerId("patch_embed.proj.weight"));
    assertEquals(1, ld.layerId("blocks.0.attn.q.weight"));
    assertEquals(12, ld.layerId("blocks.11.mlp.fc2.bias"));
    assertEquals(13, ld.layerId("norm.weight"));
    assertEquals(13, ld.layerId("fc_norm.bias"));
    assertEquals(13, ld.layerId("head.weight"));
  }

  @Test
  void scaleIsDecayToTheDistanceFromTheHead() {
    LayerDecay ld = new LayerDecay(12, 0.65);
    assertEquals(Math.pow(0.65, 13), ld.lrScale("patch_embed.proj.bias"), 1e-15);
    assertEquals(Math.pow(0.65, 13), ld.lrScale("cls_token"), 1e-15);
    assertEquals(Math.pow(0.65, 12), ld.lrScale("blocks.0.norm1.weight"), 1e-15);
    assertEquals(0.65, ld.lrScale("blocks.11.attn.proj.weight"), 1e-15);
    assertEquals(1.0, ld.lrScale("head.weight"), 0);
    assertEquals(1.0, new LayerDecay(4, 1.0).lrScale("patch_embed.proj.weight"), 0);
  }

  @Test
  void noWeightDecayForOneDimensionalTensorsClassTokenAndPositionTable() {
    LayerDecay ld = new LayerDecay(2, 0.75);
    assertFalse(ld.decays("cls_token", new Shape(1, 1, 32)));
    assertFalse(ld.decays("pos_embed", new Shape(1, 17, 32)));
    assertFalse(ld.decays("blocks.0.attn.q.bias", new Shape(32)));
    assertFalse(ld.decays("fc_norm.weight", new Shape(32)));
    assertTrue(ld.decays("blocks.1.mlp.fc1.weight", new Shape(128, 32)));
    assertTrue(ld.decays("patch_embed.proj.weight", new Shape(32, 1, 4, 4)));
    assertTrue(ld.decays("head.weight", new Shape(4, 32)));
  }

  /**
   * One AdamW step of every classifier parameter: with zero moments, p1 = p0 (1 - lr_p wd_p) - lr_p
   * g / (|g| + eps) elementwise, lr_p = lr * decay^(depth + 1 - layer(p)) and wd_p = 0 for the
   * no-decay group.
   */
  @Test
  void eachParameterMovesAtItsLayersLearningRate() {
    SaimConfig config =
        SaimConfig.builder()
            .imageSize(16)
            .channels(1)
            .patchSize(4)
            .width(32)
            .depth(2)
            .heads(2)
            .queryDepth(2)
            .build();
    double lr = 0.01;
    double wd = 0.3;
    LayerDecay groups = new LayerDecay(2, 0.5);
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        VitClassifier model = new VitClassifier(config, 3, true, 0, 0.02, m, 1);
        AdamW opt = new AdamW(m, 0.9, 0.999, 1e-8, wd)) {
      Map<String, NDArray> params = model.trainable();
      NDArray x = m.randomNormal(new Shape(4, 1, 16, 16));
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        gc.backward(model.forward(x, true).square().sum());
      }
      Map<String, float[]> before = new java.util.LinkedHashMap<>();
      Map<String, float[]> grads = new java.util.LinkedHashMap<>();
      params.forEach(
          (k, v) -> {
            before.put(k, v.toFloatArray());
            grads.put(k, v.getGradient().toFloatArray());
          });
      opt.step(params, lr, groups);
      int checked = 0;
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        String name = e.getKey();
        double lrp = lr * Math.pow(0.5, 3 - groups.layerId(name));
        double wdp = groups.decays(name, e.getValue().getShape()) ? wd : 0;
        float[] p0 = before.get(name);
        float[] g = grads.get(name);
        float[] p1 = e.getValue().toFloatArray();
        for (int i = 0; i < p1.length; i++) {
          double want = p0[i] * (1 - lrp * wdp) - lrp * g[i] / (Math.abs(g[i]) + 1e-8);
          assertEquals(want, p1[i], 1e-6 + 1e-5 * Math.abs(want), name + "[" + i + "]");
        }
        checked++;
      }
      assertEquals(params.size(), checked);
      assertTrue(params.containsKey("pos_embed"), "fine-tuning learns the position table");
    }
  }
}
