package io.github.saimjava.downstream;

import io.github.saimjava.api.SaimClassifier.Head;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.io.DType;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.model.ModelCheckpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A classifier's weights as a file holds them: the reference's {@code .pth} ({@code {'model',
 * 'optimizer', 'epoch', 'scaler', 'args'}}, read by the safe unpickler; only {@code 'model'} is
 * used) or our safetensors (the fine-tuner's {@code best.safetensors}, a converted file, a saved
 * probe), with the head kind told by the tensor names and the number of classes by the head's
 * shape.
 *
 * <p>An attentive-probe classifier ({@link Head#ATTENTIVE}) is versioned: its {@code __metadata__}
 * {@code format} is {@value #ATTENTIVE_FORMAT}, and {@value #PROBE_HEADS} and {@value #LAST_BLOCKS}
 * hold the settings that are no tensor. Every key and shape of its head is checked here, each
 * failure one line naming the file and the key; a later version of the format is refused by name.
 * Files without these keys read as before.
 *
 * @param file the file read
 * @param weights the tensors by reference name (separate q/k/v)
 * @param config the architecture the file records, if any (a {@code .pth} records none)
 * @param head {@code head.linear.*} with the format above means {@link Head#ATTENTIVE}; {@code
 *     fc_norm.*} means {@link Head#GLOBAL_POOL}; {@code head.1.*} with {@code head.0.running_*}
 *     means {@link Head#CLASS_TOKEN_BATCH_NORM}; else {@link Head#CLASS_TOKEN}
 * @param numClasses rows of the head's weight
 * @param attentive the attentive head's settings, for {@link Head#ATTENTIVE} only
 */
public record ClassifierCheckpoint(
    Path file,
    Map<String, HostTensor> weights,
    @Nullable SaimConfig config,
    Head head,
    int numClasses,
    @Nullable Attentive attentive) {
  /** The {@code __metadata__} key that names a file's format. */
  public static final String FORMAT = "format";

  /** The format of an attentive-probe classifier that this version runs. */
  public static final String ATTENTIVE_FORMAT = "saim-java-attnprobe-classifier-1";

  /** The {@code __metadata__} key of the attentive probe's attention heads. */
  public static final String PROBE_HEADS = "probe_heads";

  /** The {@code __metadata__} key of how many of the last blocks' outputs are averaged. */
  public static final String LAST_BLOCKS = "last_blocks";

  private static final String ATTENTIVE_PREFIX = "saim-java-attnprobe-classifier-";

  /** AIM's {@code AttentionPoolingClassifier} names, under {@code head.}. */
  static final String BN_MEAN = "head.bn.running_mean";

  static final String BN_VAR = "head.bn.running_var";
  static final String BN_COUNT = "head.bn.num_batches_tracked";
  static final String QUERIES = "head.cls_token";
  static final String WQ = "head.q.weight";
  static final String WKV = "head.kv.weight";
  static final String LINEAR_WEIGHT = "head.linear.weight";
  static final String LINEAR_BIAS = "head.linear.bias";

  private static final List<String> ATTENTIVE_TENSORS =
      List.of(BN_MEAN, BN_VAR, BN_COUNT, QUERIES, WQ, WKV, LINEAR_WEIGHT, LINEAR_BIAS);

  /**
   * The settings of an attentive head that are no tensor, and its sizes.
   *
   * @param probeHeads attention heads, dividing the width
   * @param lastBlocks how many of the last blocks' outputs are averaged into the tokens
   * @param queries learned queries Q
   * @param width the token width D
   */
  public record Attentive(int probeHeads, int lastBlocks, int queries, int width) {}

  /**
   * Reads {@code file} (safetensors by its extension, else a PyTorch checkpoint).
   *
   * @throws IllegalArgumentException naming the file (and, for an attentive head, the key) when it
   *     holds no classifier head, a head of an impossible shape, or a format this version cannot
   *     run
   * @throws IOException when the file cannot be read
   */
  public static ClassifierCheckpoint read(Path file) throws IOException {
    ModelCheckpoint m = ModelCheckpoint.read(file);
    Map<String, HostTensor> w = m.weights();
    String format = m.metadata().get(FORMAT);
    if ((format != null && format.startsWith(ATTENTIVE_PREFIX))
        || ATTENTIVE_TENSORS.stream().anyMatch(w::containsKey)) {
      return attentive(m);
    }
    Head head;
    String linear;
    if (w.containsKey("head.1.weight") || w.containsKey("head.0.running_mean")) {
      head = Head.CLASS_TOKEN_BATCH_NORM;
      linear = "head.1.weight";
    } else if (w.containsKey("fc_norm.weight") || w.containsKey("fc_norm.bias")) {
      head = Head.GLOBAL_POOL;
      linear = "head.weight";
    } else if (w.containsKey("head.weight")) {
      head = Head.CLASS_TOKEN;
      linear = "head.weight";
    } else {
      throw new IllegalArgumentException(
          file
              + " holds no classifier head (neither head.weight nor head.1.weight"
              + " among its "
              + w.size()
              + " tensors): it is not a fine-tuned or linear-probed classifier");
    }
    HostTensor hw = w.get(linear);
    if (hw == null) {
      throw new IllegalArgumentException(file + " has a " + head + " head without " + linear);
    }
    if (hw.shape().length != 2 || hw.shape()[0] < 2 || hw.shape()[0] > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          file
              + ": "
              + linear
              + " has shape "
              + Arrays.toString(hw.shape())
              + ", not classes x width with at least 2 classes");
    }
    return new ClassifierCheckpoint(file, w, m.config(), head, (int) hw.shape()[0], null);
  }

  /**
   * The encoder's tensors of a classifier file ({@code cls_token}, {@code pos_embed}, {@code
   * patch_embed.*}, {@code blocks.*}, {@code norm.*}) taken from {@code encoder}, in that order;
   * the decoder and anything else left out.
   *
   * @throws IllegalArgumentException naming the first tensor missing from {@code encoder}
   */
  public static Map<String, HostTensor> encoderTensors(Map<String, HostTensor> encoder) {
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (String k :
        List.of("cls_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias")) {
      HostTensor t = encoder.get(k);
      if (t == null) {
        throw new IllegalArgumentException("the encoder's weights lack " + k);
      }
      out.put(k, t);
    }
    encoder.forEach(
        (k, v) -> {
          if (k.startsWith("blocks.")) {
            out.put(k, v);
          }
        });
    for (String k : List.of("norm.weight", "norm.bias")) {
      HostTensor t = encoder.get(k);
      if (t == null) {
        throw new IllegalArgumentException(
            "the encoder's weights lack " + k + " (the class token's final norm)");
      }
      out.put(k, t);
    }
    return out;
  }

  /**
   * Checks that an attentive head fits the encoder {@code arch}: its width, and {@value
   * #LAST_BLOCKS} within the depth.
   *
   * @throws IllegalArgumentException naming the file and the key at fault
   */
  public void checkFits(SaimConfig arch) {
    Attentive a = attentive;
    if (a == null) {
      return;
    }
    if (a.width() != arch.width()) {
      throw new IllegalArgumentException(
          file
              + ": "
              + LINEAR_WEIGHT
              + " has width "
              + a.width()
              + ", the encoder's width is "
              + arch.width());
    }
    if (a.lastBlocks() > arch.depth()) {
      throw new IllegalArgumentException(
          file
              + ": __metadata__ '"
              + LAST_BLOCKS
              + "' is "
              + a.lastBlocks()
              + ", more than the encoder's "
              + arch.depth()
              + " blocks");
    }
  }

  /**
   * {@return the values of tensor {@code key} as float32}
   *
   * @throws IllegalArgumentException naming the file and key when there is none
   */
  float[] floats(String key) {
    HostTensor t = weights.get(key);
    if (t == null) {
      throw new IllegalArgumentException(file + ": " + key + " is missing");
    }
    return t.toFloatArray();
  }

  /** Reads and checks an attentive-probe classifier. */
  private static ClassifierCheckpoint attentive(ModelCheckpoint m) {
    Path file = m.file();
    Map<String, HostTensor> w = m.weights();
    Map<String, String> meta = m.metadata();
    String format = meta.get(FORMAT);
    if (format == null) {
      String key = ATTENTIVE_TENSORS.stream().filter(w::containsKey).findFirst().orElseThrow();
      throw new IllegalArgumentException(
          file
              + ": "
              + key
              + " is an attentive-probe tensor, but __metadata__ '"
              + FORMAT
              + "' is missing (expected "
              + ATTENTIVE_FORMAT
              + ")");
    }
    if (!format.equals(ATTENTIVE_FORMAT)) {
      throw new IllegalArgumentException(
          file
              + ": __metadata__ '"
              + FORMAT
              + "' is '"
              + oneLine(format)
              + "', which this version cannot run (it runs "
              + ATTENTIVE_FORMAT
              + ")");
    }
    int heads = positive(file, meta, PROBE_HEADS);
    int lastBlocks = positive(file, meta, LAST_BLOCKS);
    for (String k : w.keySet()) {
      if (k.startsWith("head.") && !ATTENTIVE_TENSORS.contains(k)) {
        throw new IllegalArgumentException(
            file + ": " + oneLine(k) + " is not a tensor of an attentive-probe head");
      }
    }
    long[] lw = shape(file, w, LINEAR_WEIGHT);
    if (lw.length != 2 || lw[0] < 2 || lw[0] > Integer.MAX_VALUE || lw[1] < 1 || lw[1] > 1 << 16) {
      throw new IllegalArgumentException(
          file
              + ": "
              + LINEAR_WEIGHT
              + " has shape "
              + Arrays.toString(lw)
              + ", not classes x width with at least 2 classes");
    }
    long k = lw[0];
    long d = lw[1];
    expect(file, w, LINEAR_BIAS, k);
    expect(file, w, BN_MEAN, d);
    expect(file, w, BN_VAR, d);
    expect(file, w, WQ, d, d);
    expect(file, w, WKV, 2 * d, d);
    long[] q = shape(file, w, QUERIES);
    if (q.length != 3 || q[0] != 1 || q[1] < 1 || q[1] > 1 << 16 || q[2] != d) {
      throw new IllegalArgumentException(
          file
              + ": "
              + QUERIES
              + " has shape "
              + Arrays.toString(q)
              + ", not [1, queries, "
              + d
              + "]");
    }
    HostTensor count = w.get(BN_COUNT);
    if (count != null && count.numel() != 1) {
      throw new IllegalArgumentException(
          file
              + ": "
              + BN_COUNT
              + " has shape "
              + Arrays.toString(count.shape())
              + ", not a single count");
    }
    for (String key : ATTENTIVE_TENSORS) {
      HostTensor t = w.get(key);
      if (t != null && !key.equals(BN_COUNT)) {
        finite(file, t, key);
      }
    }
    for (float v : Objects.requireNonNull(w.get(BN_VAR)).toFloatArray()) {
      if (v < 0) {
        throw new IllegalArgumentException(
            file + ": " + BN_VAR + " holds a negative variance (" + v + ")");
      }
    }
    if (d % heads != 0) {
      throw new IllegalArgumentException(
          file
              + ": __metadata__ '"
              + PROBE_HEADS
              + "' is "
              + heads
              + ", which does not divide the width "
              + d
              + " of "
              + LINEAR_WEIGHT);
    }
    Attentive a = new Attentive(heads, lastBlocks, (int) q[1], (int) d);
    ClassifierCheckpoint c =
        new ClassifierCheckpoint(file, w, m.config(), Head.ATTENTIVE, (int) k, a);
    if (m.config() != null) {
      c.checkFits(m.config());
    }
    return c;
  }

  private static int positive(Path file, Map<String, String> meta, String key) {
    String v = meta.get(key);
    if (v == null) {
      throw new IllegalArgumentException(
          file
              + ": __metadata__ '"
              + key
              + "' is missing (an attentive-probe classifier needs it)");
    }
    int n;
    try {
      n = Integer.parseInt(v.strip());
    } catch (NumberFormatException e) {
      n = 0;
    }
    if (n < 1 || n > 1 << 16) {
      throw new IllegalArgumentException(
          file
              + ": __metadata__ '"
              + key
              + "' is '"
              + oneLine(v)
              + "', not a positive whole number");
    }
    return n;
  }

  private static long[] shape(Path file, Map<String, HostTensor> w, String key) {
    HostTensor t = w.get(key);
    if (t == null) {
      throw new IllegalArgumentException(
          file + ": " + key + " is missing (an attentive-probe classifier needs it)");
    }
    if (!isFloat(t.dtype())) {
      throw new IllegalArgumentException(
          file + ": " + key + " is " + t.dtype() + ", not a floating-point tensor");
    }
    return t.shape();
  }

  private static void expect(Path file, Map<String, HostTensor> w, String key, long... want) {
    long[] s = shape(file, w, key);
    if (!Arrays.equals(s, want)) {
      throw new IllegalArgumentException(
          file
              + ": "
              + key
              + " has shape "
              + Arrays.toString(s)
              + ", not "
              + Arrays.toString(want)
              + " (from "
              + LINEAR_WEIGHT
              + ")");
    }
  }

  private static void finite(Path file, HostTensor t, String key) {
    for (float v : t.toFloatArray()) {
      if (!Float.isFinite(v)) {
        throw new IllegalArgumentException(file + ": " + key + " holds " + v);
      }
    }
  }

  private static boolean isFloat(DType t) {
    return t == DType.F32 || t == DType.F64 || t == DType.F16 || t == DType.BF16;
  }

  /** A value from the file, quoted safely on one line of bounded length. */
  private static String oneLine(String s) {
    String c = s.replaceAll("\\p{Cntrl}", "?");
    return c.length() <= 80 ? c : c.substring(0, 80) + "...";
  }
}
