package io.github.saimjava.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import io.github.saimjava.api.HeadType;
import io.github.saimjava.api.LossType;
import io.github.saimjava.api.SaimConfig;
import java.util.Locale;

/**
 * {@link SaimConfig} as JSON with the reference implementation's argument names (img_size,
 * embed_dim, ...).
 */
public final class ReferenceConfig {
  private ReferenceConfig() {}

  /** The JSON form, as written into checkpoints' metadata. */
  public static JsonObject toJson(SaimConfig c) {
    JsonObject model = new JsonObject();
    model.addProperty("img_size", c.imageSize());
    model.addProperty("in_chans", c.channels());
    model.addProperty("patch_size", c.patchSize());
    model.addProperty("embed_dim", c.width());
    model.addProperty("depth", c.depth());
    model.addProperty("num_heads", c.heads());
    model.addProperty("mlp_ratio", c.mlpRatio());
    model.addProperty("query_depth", c.queryDepth());
    model.addProperty("share_weight", c.shareWeight());
    model.addProperty("prediction_head_type", c.headType().name());
    model.addProperty("loss_type", c.loss().name());
    model.addProperty("norm_pix_loss", c.normPixLoss());
    if (c.blurred()) {
      model.addProperty("gaussian_kernel_size", c.blurKernel());
      model.addProperty("gaussian_sigma", c.blurSigma());
    } else {
      model.add("gaussian_kernel_size", JsonNull.INSTANCE);
      model.add("gaussian_sigma", JsonNull.INSTANCE);
    }
    model.addProperty("drop_path_rate", c.dropPathRate());
    model.addProperty("layer_norm_eps", c.layerNormEps());
    return model;
  }

  /**
   * Reads the JSON form (missing optional keys take the reference's defaults).
   *
   * @throws IllegalArgumentException naming a missing or invalid key
   */
  public static SaimConfig fromJson(JsonObject cfg) {
    SaimConfig.Builder b =
        SaimConfig.builder()
            .imageSize(intOf(cfg, "img_size"))
            .patchSize(intOf(cfg, "patch_size"))
            .channels(cfg.has("in_chans") ? intOf(cfg, "in_chans") : 3)
            .width(intOf(cfg, "embed_dim"))
            .depth(intOf(cfg, "depth"))
            .heads(intOf(cfg, "num_heads"))
            .queryDepth(intOf(cfg, "query_depth"))
            .shareWeight(cfg.has("share_weight") && cfg.get("share_weight").getAsBoolean())
            .headType(
                HeadType.valueOf(
                    stringOf(cfg, "prediction_head_type", "MLP").toUpperCase(Locale.ROOT)))
            .loss(LossType.valueOf(stringOf(cfg, "loss_type", "L2").toUpperCase(Locale.ROOT)))
            .normPixLoss(!cfg.has("norm_pix_loss") || cfg.get("norm_pix_loss").getAsBoolean());
    if (cfg.has("mlp_ratio")) {
      b.mlpRatio(cfg.get("mlp_ratio").getAsDouble());
    }
    if (cfg.has("layer_norm_eps")) {
      b.layerNormEps(cfg.get("layer_norm_eps").getAsDouble());
    }
    if (cfg.has("drop_path_rate")) {
      b.dropPathRate(cfg.get("drop_path_rate").getAsDouble());
    }
    JsonElement k = cfg.get("gaussian_kernel_size");
    JsonElement s = cfg.get("gaussian_sigma");
    if (k == null || k.isJsonNull() || s == null || s.isJsonNull()) {
      b.noBlur();
    } else {
      b.blur(k.getAsInt(), s.getAsDouble());
    }
    return b.build();
  }

  private static int intOf(JsonObject o, String key) {
    JsonElement e = o.get(key);
    if (e == null || e.isJsonNull()) {
      throw new IllegalArgumentException("config lacks '" + key + "'");
    }
    try {
      return e.getAsInt();
    } catch (RuntimeException ex) {
      throw new IllegalArgumentException("config value '" + key + "' is not an integer: " + e);
    }
  }

  private static String stringOf(JsonObject o, String key, String def) {
    JsonElement e = o.get(key);
    return e == null || e.isJsonNull() ? def : e.getAsString();
  }
}
