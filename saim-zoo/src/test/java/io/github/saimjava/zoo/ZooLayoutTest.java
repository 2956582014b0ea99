package io.github.saimjava.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.saimjava.api.HeadType;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.model.SaimModel;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The layouts derived from config + kind, against the reference's own state dicts. */
class ZooLayoutTest {
  static final String PRETRAIN =
      "pretrain saim_base (query_depth 12, MLP head, blur 9/1; without blur there is no"
          + " gaussian_blur.weight)";
  static final String FINETUNE = "finetune vit_base_patch16 global_pool (main_finetune.py default)";
  static final String LINPROBE =
      "linprobe vit_base_patch16 cls token + BatchNorm1d(affine=False) head (main_linprobe.py)";

  static Map<String, long[]> reference(String kind) throws Exception {
    JsonObject all;
    try (var in = ZooLayoutTest.class.getResourceAsStream("/fixtures/vit_base_layouts.json")) {
      all =
          JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8))
              .getAsJsonObject();
    }
    Map<String, long[]> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : all.getAsJsonObject(kind).entrySet()) {
      JsonArray a = e.getValue().getAsJsonArray();
      long[] s = new long[a.size()];
      for (int i = 0; i < s.length; i++) {
        s[i] = a.get(i).getAsLong();
      }
      out.put(e.getKey(), s);
    }
    return out;
  }

  static void assertLayout(Map<String, long[]> want, Map<String, long[]> got) {
    assertEquals(want.keySet(), got.keySet());
    want.forEach((k, v) -> assertArrayEquals(v, got.get(k), k));
  }

  @Test
  void theThreeViTBaseArtifactsHaveTheReferenceLayouts() throws Exception {
    Map<String, ZooArtifact> zoo = SaimZoo.artifacts();
    assertLayout(reference(PRETRAIN), ZooLayout.expected(zoo.get("saim_vit_base_patch16_224")));
    assertLayout(
        reference(FINETUNE), ZooLayout.expected(zoo.get("saim_vit_base_patch16_224_in1k_ft")));
    assertLayout(
        reference(LINPROBE), ZooLayout.expected(zoo.get("saim_vit_base_patch16_224_in1k_lin")));
    assertEquals(395, reference(PRETRAIN).size());
    assertEquals(200, reference(FINETUNE).size());
    assertEquals(203, reference(LINPROBE).size());
  }

  @Test
  void theReferenceFilesPassTheirOwnArtifactsChecks() throws Exception {
    for (String[] c :
        new String[][] {
          {PRETRAIN, "saim_vit_base_patch16_224"},
          {FINETUNE, "saim_vit_base_patch16_224_in1k_ft"},
          {LINPROBE, "saim_vit_base_patch16_224_in1k_lin"}
        }) {
      assertEquals(
          List.of(), ZooLayout.check(SaimZoo.artifacts().get(c[1]), reference(c[0]), "f"), c[1]);
    }
  }

  @Test
  void thePretrainingLayoutIsTheStateDictOfThisProjectsModelForEveryVariant() {
    SaimConfig base =
        SaimConfig.builder()
            .imageSize(32)
            .patchSize(8)
            .width(48)
            .depth(4)
            .heads(3)
            .queryDepth(2)
            .build();
    for (SaimConfig c :
        List.of(
            base,
            base.toBuilder().headType(HeadType.LINEAR).noBlur().build(),
            base.toBuilder().shareWeight(true).blur(5, 2).build(),
            base.toBuilder().channels(1).build())) {
      Map<String, long[]> model = new LinkedHashMap<>();
      try (NDManager m = NDManager.newBaseManager("PyTorch");
          SaimModel s = new SaimModel(c, m, 1)) {
        for (Map.Entry<String, HostTensor> e : s.stateDict().entrySet()) {
          model.put(e.getKey(), e.getValue().shape());
        }
      }
      assertLayout(model, ZooLayout.pretraining(c));
    }
  }

  @Test
  void aClassifierIsCheckedStrictlyAndTheFirstOffendersAreNamed() throws Exception {
    ZooArtifact lin = SaimZoo.artifacts().get("saim_vit_base_patch16_224_in1k_lin");
    Map<String, long[]> ten = new LinkedHashMap<>(reference(LINPROBE));
    ten.put("head.1.weight", new long[] {10, 768});
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ZooLayout.check(lin, ten, "x.pth"));
    assertEquals(
        "x.pth does not have the layout of the linear-probed classifier"
            + " saim_vit_base_patch16_224_in1k_lin (ViT 224 px, patch 16, width 768, depth 12, 1000"
            + " classes): 1 of another shape (head.1.weight [10, 768] != [1000, 768]); nothing was"
            + " cached",
        e.getMessage());
    Map<String, long[]> extra = new LinkedHashMap<>(reference(LINPROBE));
    extra.remove("head.0.running_var");
    extra.put("head.0.weight", new long[] {768});
    e = assertThrows(IllegalArgumentException.class, () -> ZooLayout.check(lin, extra, "x.pth"));
    assertTrue(
        e.getMessage()
            .endsWith(
                "1 missing (head.0.running_var); 1 unexpected (head.0.weight); nothing was cached"),
        e.getMessage());
    // the fine-tuned artifact accepts the class-token head that the authors' README fine-tunes with
    ZooArtifact ft = SaimZoo.artifacts().get("saim_vit_base_patch16_224_in1k_ft");
    Map<String, long[]> cls = new LinkedHashMap<>(reference(FINETUNE));
    cls.put("norm.weight", cls.remove("fc_norm.weight"));
    cls.put("norm.bias", cls.remove("fc_norm.bias"));
    assertEquals(List.of(), ZooLayout.check(ft, cls, "x.pth"));
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ZooLayout.check(ft, reference(LINPROBE), "lin.pth"));
    assertTrue(
        e.getMessage()
            .startsWith(
                "lin.pth does not have the layout of the fine-tuned classifier"
                    + " saim_vit_base_patch16_224_in1k_ft (ViT 224 px, patch 16, width 768, depth"
                    + " 12, class token + norm, 1000 classes): 2 missing (head.weight, head.bias);"
                    + " 5 unexpected (head.0.running_mean, head.0.running_var,"
                    + " head.0.num_batches_tracked, ...)"),
        e.getMessage());
  }

  @Test
  void preTrainedWeightsNeedTheEncoderAndReportTheRest() throws Exception {
    ZooArtifact pre = SaimZoo.artifacts().get("saim_vit_base_patch16_224");
    Map<String, long[]> noBlurLinearHead = new LinkedHashMap<>(reference(PRETRAIN));
    noBlurLinearHead.remove("gaussian_blur.weight");
    noBlurLinearHead.keySet().removeIf(k -> k.startsWith("prediction_head."));
    noBlurLinearHead.put("prediction_head.weight", new long[] {768, 768});
    noBlurLinearHead.put("query_blocks.0.attn.q.weight", new long[] {768, 7});
    assertEquals(
        List.of(
            "5 tensor(s) of pre-training missing (not needed by the encoder):"
                + " prediction_head.fc1.weight, prediction_head.fc1.bias,"
                + " prediction_head.fc2.weight, ...",
            "1 tensor(s) of pre-training not in saim_vit_base_patch16_224's configuration:"
                + " prediction_head.weight",
            "1 tensor(s) of pre-training shaped otherwise than the configuration:"
                + " query_blocks.0.attn.q.weight [768, 7] != [768, 768]"),
        ZooLayout.check(pre, noBlurLinearHead, "p.pth"));
    Map<String, long[]> encoderOnly = ZooLayout.encoder(pre.config());
    encoderOnly.put("norm.weight", new long[] {768});
    encoderOnly.put("norm.bias", new long[] {768});
    assertEquals(1, ZooLayout.check(pre, encoderOnly, "e.safetensors").size());

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ZooLayout.check(pre, reference(FINETUNE), "ft.pth"));
    assertEquals(
        "ft.pth does not have the layout of the encoder of saim_vit_base_patch16_224 (ViT 224 px,"
            + " patch 16, width 768, depth 12): 2 missing (norm.weight, norm.bias); 4 unexpected"
            + " (head.weight, head.bias, fc_norm.weight, ...); nothing was cached",
        e.getMessage());
    Map<String, long[]> large = new LinkedHashMap<>(reference(PRETRAIN));
    large.put("pos_embed", new long[] {1, 257, 768});
    e = assertThrows(IllegalArgumentException.class, () -> ZooLayout.check(pre, large, "p.pth"));
    assertTrue(
        e.getMessage().contains("1 of another shape (pos_embed [1, 257, 768] != [1, 197, 768])"),
        e.getMessage());
  }
}
