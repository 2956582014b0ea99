package io.github.saimjava.zoo;

import io.github.saimjava.api.HeadType;
import io.github.saimjava.api.SaimConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The state-dict layout (reference names, separate {@code attn.q/k/v}, shapes) that an artifact's
 * file must have, derived in this one place from its {@link SaimConfig}, {@link ZooArtifact.Kind}
 * and number of classes, and the check a file passes before it is cached.
 *
 * <ul>
 *   <li>Classifiers are checked strictly: exactly the expected names, each with the expected shape.
 *       A fine-tuned classifier may have either head of the reference's {@code models_vit.py}:
 *       {@code global_pool=True} ({@code fc_norm}, the {@code main_finetune.py} default) or the
 *       class token ({@code norm}, {@code --cls_token}, which the authors' README passes); the
 *       file's {@code fc_norm.weight} decides which is checked.
 *   <li>Pre-trained weights are checked like a non-strict load of the encoder: the encoder's
 *       tensors ({@code cls_token}, {@code pos_embed}, {@code patch_embed.*}, {@code blocks.*},
 *       {@code norm.*}) must all be there with their shapes; the query stream, the prediction head
 *       and {@code gaussian_blur.weight} may be missing, extra or shaped otherwise, and are
 *       reported. Any other name is refused.
 * </ul>
 */
public final class ZooLayout {
  /** What a pre-trained file may hold beyond the encoder; reported, never refused. */
  private static final List<String> PRETRAINING_PREFIXES =
      List.of("query_blocks.", "prediction_head.", "gaussian_blur.");

  private static final int SHOWN = 3;

  private ZooLayout() {}

  /** Tensor shapes by name, in the reference's order. */
  public static Map<String, long[]> encoder(SaimConfig c) {
    Map<String, long[]> m = new LinkedHashMap<>();
    long d = c.width();
    m.put("cls_token", new long[] {1, 1, d});
    m.put("pos_embed", new long[] {1, c.numPatches() + 1, d});
    m.put("patch_embed.proj.weight", new long[] {d, c.channels(), c.patchSize(), c.patchSize()});
    m.put("patch_embed.proj.bias", new long[] {d});
    for (int i = 0; i < c.depth(); i++) {
      block(m, "blocks." + i, c);
    }
    return m;
  }

  /** The layout of the reference's pre-training model ({@code models_saim.py}'s state dict). */
  public static Map<String, long[]> pretraining(SaimConfig c) {
    Map<String, long[]> m = encoder(c);
    long d = c.width();
    // with shared weights the reference registers its whole ModuleList of encoder blocks again
    int queryBlocks = c.shareWeight() ? c.depth() : c.queryDepth();
    for (int j = 0; j < queryBlocks; j++) {
      block(m, "query_blocks." + j, c);
    }
    m.put("norm.weight", new long[] {d});
    m.put("norm.bias", new long[] {d});
    if (c.headType() == HeadType.MLP) {
      m.put("prediction_head.fc1.weight", new long[] {c.mlpHidden(), d});
      m.put("prediction_head.fc1.bias", new long[] {c.mlpHidden()});
      m.put("prediction_head.fc2.weight", new long[] {c.patchDim(), c.mlpHidden()});
      m.put("prediction_head.fc2.bias", new long[] {c.patchDim()});
    } else {
      m.put("prediction_head.weight", new long[] {c.patchDim(), d});
      m.put("prediction_head.bias", new long[] {c.patchDim()});
    }
    if (c.blurred()) {
      m.put("gaussian_blur.weight", new long[] {c.channels(), 1, c.blurKernel(), c.blurKernel()});
    }
    return m;
  }

  /**
   * The layout of a fine-tuned classifier of {@code models_vit.py}.
   *
   * @param globalPool true for the mean of the patch tokens through {@code fc_norm}; false for the
   *     class token through {@code norm}
   */
  public static Map<String, long[]> fineTuned(SaimConfig c, int classes, boolean globalPool) {
    Map<String, long[]> m = encoder(c);
    long d = c.width();
    String norm = globalPool ? "fc_norm" : "norm";
    m.put(norm + ".weight", new long[] {d});
    m.put(norm + ".bias", new long[] {d});
    m.put("head.weight", new long[] {classes, d});
    m.put("head.bias", new long[] {classes});
    return m;
  }

  /**
   * The layout of {@code main_linprobe.py}'s classifier: {@code norm}, BatchNorm {@code head.0},
   * linear {@code head.1}.
   */
  public static Map<String, long[]> linearProbe(SaimConfig c, int classes) {
    Map<String, long[]> m = encoder(c);
    long d = c.width();
    m.put("norm.weight", new long[] {d});
    m.put("norm.bias", new long[] {d});
    m.put("head.0.running_mean", new long[] {d});
    m.put("head.0.running_var", new long[] {d});
    m.put("head.0.num_batches_tracked", new long[] {});
    m.put("head.1.weight", new long[] {classes, d});
    m.put("head.1.bias", new long[] {classes});
    return m;
  }

  /**
   * The full layout of {@code a}: pre-training's for {@link ZooArtifact.Kind#PRETRAINED}, the
   * global-pool head for {@link ZooArtifact.Kind#FINETUNED}.
   */
  public static Map<String, long[]> expected(ZooArtifact a) {
    return switch (a.kind()) {
      case PRETRAINED -> pretraining(a.config());
      case FINETUNED -> fineTuned(a.config(), a.classes(), true);
      case LINEAR_PROBE -> linearProbe(a.config(), a.classes());
    };
  }

  /**
   * Checks the tensor shapes of a converted file against {@code a}.
   *
   * @param file names the file in messages
   * @return what a non-strict (pre-trained) load will report: missing, extra or reshaped tensors
   *     outside the encoder; empty for classifiers
   * @throws IllegalArgumentException in one line naming the file, the artifact and the first
   *     offending names when the layout is not the artifact's
   */
  public static List<String> check(ZooArtifact a, Map<String, long[]> actual, String file) {
    Diff diff;
    String what;
    switch (a.kind()) {
      case PRETRAINED -> {
        Map<String, long[]> want = pretraining(a.config());
        Map<String, long[]> encoder = new LinkedHashMap<>(encoder(a.config()));
        encoder.put("norm.weight", want.get("norm.weight"));
        encoder.put("norm.bias", want.get("norm.bias"));
        Map<String, long[]> encoderPart = new LinkedHashMap<>();
        Map<String, long[]> rest = new LinkedHashMap<>();
        Map<String, long[]> foreign = new LinkedHashMap<>();
        actual.forEach(
            (k, v) -> {
              if (encoder.containsKey(k)) {
                encoderPart.put(k, v);
              } else if (PRETRAINING_PREFIXES.stream().anyMatch(k::startsWith)) {
                rest.put(k, v);
              } else {
                foreign.put(k, v);
              }
            });
        Diff enc = Diff.of(encoder, encoderPart);
        Diff bad = new Diff(enc.missing, new ArrayList<>(foreign.keySet()), enc.reshaped);
        what = "the encoder of " + a.name() + " (" + describe(a.config()) + ")";
        if (!bad.isEmpty()) {
          throw refusal(file, what, bad);
        }
        Map<String, long[]> wantRest = new LinkedHashMap<>(want);
        wantRest.keySet().removeAll(encoder.keySet());
        Diff r = Diff.of(wantRest, rest);
        List<String> notes = new ArrayList<>();
        if (!r.missing.isEmpty()) {
          notes.add(
              r.missing.size()
                  + " tensor(s) of pre-training missing (not needed by the encoder): "
                  + first(r.missing));
        }
        if (!r.unexpected.isEmpty()) {
          notes.add(
              r.unexpected.size()
                  + " tensor(s) of pre-training not in "
                  + a.name()
                  + "'s configuration: "
                  + first(r.unexpected));
        }
        if (!r.reshaped.isEmpty()) {
          notes.add(
              r.reshaped.size()
                  + " tensor(s) of pre-training shaped otherwise than the configuration: "
                  + first(r.reshaped));
        }
        return Collections.unmodifiableList(notes);
      }
      case FINETUNED -> {
        boolean globalPool = actual.containsKey("fc_norm.weight");
        diff = Diff.of(fineTuned(a.config(), a.classes(), globalPool), actual);
        what =
            "the fine-tuned classifier "
                + a.name()
                + " ("
                + describe(a.config())
                + ", "
                + (globalPool ? "global pool + fc_norm" : "class token + norm")
                + ", "
                + a.classes()
                + " classes)";
      }
      case LINEAR_PROBE -> {
        diff = Diff.of(linearProbe(a.config(), a.classes()), actual);
        what =
            "the linear-probed classifier "
                + a.name()
                + " ("
                + describe(a.config())
                + ", "
                + a.classes()
                + " classes)";
      }
      default -> throw new IllegalStateException(a.kind().toString());
    }
    if (!diff.isEmpty()) {
      throw refusal(file, what, diff);
    }
    return List.of();
  }

  /**
   * The architecture in a few words, for messages: {@code ViT 224 px, patch 16, width 768, depth
   * 12}.
   */
  static String describe(SaimConfig c) {
    return "ViT "
        + c.imageSize()
        + " px, patch "
        + c.patchSize()
        + ", width "
        + c.width()
        + ", depth "
        + c.depth();
  }

  private static IllegalArgumentException refusal(String file, String what, Diff d) {
    List<String> parts = new ArrayList<>();
    if (!d.missing.isEmpty()) {
      parts.add(d.missing.size() + " missing (" + first(d.missing) + ")");
    }
    if (!d.reshaped.isEmpty()) {
      parts.add(d.reshaped.size() + " of another shape (" + first(d.reshaped) + ")");
    }
    if (!d.unexpected.isEmpty()) {
      parts.add(d.unexpected.size() + " unexpected (" + first(d.unexpected) + ")");
    }
    return new IllegalArgumentException(
        file
            + " does not have the layout of "
            + what
            + ": "
            + String.join("; ", parts)
            + "; nothing was cached");
  }

  private static String first(List<String> names) {
    return names.stream().limit(SHOWN).collect(Collectors.joining(", "))
        + (names.size() > SHOWN ? ", ..." : "");
  }

  private static void block(Map<String, long[]> m, String p, SaimConfig c) {
    long d = c.width();
    long h = c.mlpHidden();
    m.put(p + ".norm1.weight", new long[] {d});
    m.put(p + ".norm1.bias", new long[] {d});
    for (String x : List.of("q", "k", "v")) {
      m.put(p + ".attn." + x + ".weight", new long[] {d, d});
      m.put(p + ".attn." + x + ".bias", new long[] {d});
    }
    m.put(p + ".attn.proj.weight", new long[] {d, d});
    m.put(p + ".attn.proj.bias", new long[] {d});
    m.put(p + ".norm2.weight", new long[] {d});
    m.put(p + ".norm2.bias", new long[] {d});
    m.put(p + ".mlp.fc1.weight", new long[] {h, d});
    m.put(p + ".mlp.fc1.bias", new long[] {h});
    m.put(p + ".mlp.fc2.weight", new long[] {d, h});
    m.put(p + ".mlp.fc2.bias", new long[] {d});
  }

  /** Names missing, unexpected, and present with another shape ({@code name [have] != [want]}). */
  private record Diff(List<String> missing, List<String> unexpected, List<String> reshaped) {
    static Diff of(Map<String, long[]> want, Map<String, long[]> have) {
      List<String> missing = new ArrayList<>();
      List<String> reshaped = new ArrayList<>();
      for (Map.Entry<String, long[]> e : want.entrySet()) {
        long[] h = have.get(e.getKey());
        if (h == null) {
          missing.add(e.getKey());
        } else if (!Arrays.equals(h, e.getValue())) {
          reshaped.add(
              e.getKey() + " " + Arrays.toString(h) + " != " + Arrays.toString(e.getValue()));
        }
      }
      List<String> unexpected = have.keySet().stream().filter(k -> !want.containsKey(k)).toList();
      return new Diff(missing, unexpected, reshaped);
    }

    boolean isEmpty() {
      return missing.isEmpty() && unexpected.isEmpty() && reshaped.isEmpty();
    }
  }
}
