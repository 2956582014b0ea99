package io.github.saimjava.onnx;

import io.github.saimjava.api.SaimClassifier;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.data.Transforms;
import io.github.saimjava.downstream.VitClassifier;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.onnx.OnnxGraph.Attr;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The SAIM encoder without masks, and the classifiers on it, as ONNX graphs computing what our
 * engine computes ({@code model/SaimModel.encodeBlocks}, the encoder's pooling, {@code
 * downstream/VitClassifier.forward}):
 *
 * <pre>
 * pixels  [batch, C, S, S]           preprocessed as the model's metadata says
 * Conv (patch p, stride p) -> [batch, D, g, g] -> Reshape, Transpose -> [batch, L, D] + pos[1:]
 * Concat(Expand(cls + pos[0]), tokens) -> h [batch, L+1, D]
 * each block: h += proj(Attn(LN1(h)));  h += fc2(GELU(fc1(LN2(h))))
 *   Attn: q, k, v separate MatMul + Add; heads split by Reshape/Transpose; Softmax(q k^T * (D/H)^-1/2) v
 * pooling: CLS = LN(norm) of token 0; MEAN = LN(fc_norm, or a plain LayerNorm) of the mean of
 *   tokens 1..L; CLS_MEAN both, concatenated; then optionally x / max(||x||, 1e-12)
 * classifier: the head's features (GLOBAL_POOL: MEAN with fc_norm; CLASS_TOKEN: CLS), for
 *   CLASS_TOKEN_BATCH_NORM (x - running_mean) / sqrt(running_var + eps), then x W^T + b
 * </pre>
 *
 * LayerNormalization is one operator (opset 17 and later); GELU is the exact (erf) one, a single
 * {@code Gelu} operator from opset 20 and otherwise {@code x * (1 + erf(x / sqrt 2)) * 0.5} in the
 * form ONNX Runtime's graph optimiser fuses into its own Gelu kernel. Weights are float32
 * initializers under their reference names (Linear weights stored transposed, {@code in x out},
 * with the suffix {@code .T}).
 */
public final class VitOnnx {
  /** The lowest opset the graph can be written in: LayerNormalization is an operator from 17. */
  public static final int MIN_OPSET = 17;

  /** The highest opset the export writes (ONNX Runtime 1.22 runs up to 22 and more). */
  public static final int MAX_OPSET = 21;

  /** The default opset: the lowest that expresses the model, so that most runtimes load it. */
  public static final int DEFAULT_OPSET = 17;

  /** The graph's input: preprocessed images, batch x C x S x S. */
  public static final String INPUT = "pixels";

  /** The encoder's output: one vector per image, batch x dimension. */
  public static final String EMBEDDING = "embedding";

  /** The classifier's output: logits, batch x classes. */
  public static final String LOGITS = "logits";

  private final OnnxGraph g;
  private final Map<String, HostTensor> weights;
  private final SaimConfig config;
  private final int opset;

  private VitOnnx(String name, Map<String, HostTensor> weights, SaimConfig config, int opset) {
    checkOpset(opset);
    this.g = new OnnxGraph(name);
    this.weights = weights;
    this.config = config;
    this.opset = opset;
  }

  /**
   * Checks that the graph can be written in {@code opset}.
   *
   * @throws IllegalArgumentException naming the opset and the range
   */
  public static void checkOpset(int opset) {
    if (opset < MIN_OPSET) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "opset %d cannot express the model: its LayerNormalization is an ONNX operator from"
                  + " opset %d on; choose an opset from %d to %d",
              opset,
              MIN_OPSET,
              MIN_OPSET,
              MAX_OPSET));
    }
    if (opset > MAX_OPSET) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "opset %d is newer than the export writes: choose an opset from %d to %d",
              opset,
              MIN_OPSET,
              MAX_OPSET));
    }
  }

  /**
   * The encoder's graph: {@value #INPUT} in, {@value #EMBEDDING} out.
   *
   * @param weights the encoder's tensors by reference name ({@code fc_norm.*} used for MEAN pooling
   *     when present)
   * @param layer the block whose output is pooled, 1..depth
   */
  public static OnnxModel encoder(
      Map<String, HostTensor> weights,
      SaimConfig config,
      SaimEncoder.Pooling pooling,
      int layer,
      boolean l2Normalize,
      int opset) {
    if (layer < 1 || layer > config.depth()) {
      throw new IllegalArgumentException(
          "layer " + layer + " is not in 1.." + config.depth() + " (the encoder's depth)");
    }
    VitOnnx v = new VitOnnx("saim_encoder", weights, config, opset);
    String h = v.tokens(layer);
    String f =
        switch (pooling) {
          case CLS -> v.classToken(h);
          case MEAN -> v.meanOfPatches(h);
          case CLS_MEAN ->
              v.g.op(
                  "Concat",
                  "cls_mean",
                  List.of(v.classToken(h), v.meanOfPatches(h)),
                  Attr.of("axis", 1));
        };
    if (l2Normalize) {
      f = v.l2(f);
    }
    int dim = pooling == SaimEncoder.Pooling.CLS_MEAN ? 2 * config.width() : config.width();
    v.g.identity(f, EMBEDDING);
    v.g.output(EMBEDDING, dim);
    Map<String, String> meta = v.preprocessing(false);
    meta.put("saim.kind", "encoder");
    meta.put("saim.pooling", pooling.name().toLowerCase(Locale.ROOT));
    meta.put("saim.layer", String.valueOf(layer));
    meta.put("saim.l2_normalize", String.valueOf(l2Normalize));
    meta.put("saim.dimension", String.valueOf(dim));
    return new OnnxModel(v.g, opset, meta);
  }

  /**
   * The classifier's graph: {@value #INPUT} in, {@value #LOGITS} out.
   *
   * @param weights the classifier's tensors by reference name, as {@code VitClassifier} holds them
   * @param labels the class names in class-index order, written to the metadata
   */
  public static OnnxModel classifier(
      Map<String, HostTensor> weights,
      SaimConfig config,
      SaimClassifier.Head head,
      List<String> labels,
      int opset) {
    VitOnnx v = new VitOnnx("saim_classifier", weights, config, opset);
    String h = v.tokens(config.depth());
    String f;
    String linear = "head";
    if (head == SaimClassifier.Head.GLOBAL_POOL) {
      f = v.meanOfPatches(h);
    } else {
      f = v.classToken(h);
    }
    if (head == SaimClassifier.Head.CLASS_TOKEN_BATCH_NORM) {
      linear = "head.1";
      // what VitClassifier computes in float32: running_var + eps, then its square root
      float[] var = v.tensor("head.0.running_var").toFloatArray();
      float[] root = new float[var.length];
      for (int i = 0; i < var.length; i++) {
        float sum = var[i] + (float) VitClassifier.BATCH_NORM_EPS;
        root[i] = (float) Math.sqrt(sum);
      }
      String centred = v.g.op("Sub", "bn_centred", List.of(f, v.copy("head.0.running_mean")));
      String sd = v.g.weight("head.0.running_std", new long[] {root.length}, root);
      f = v.g.op("Div", "bn", List.of(centred, sd));
    }
    String logits = v.linear(f, linear);
    int k = (int) v.tensor(linear + ".weight").shape()[0];
    if (labels.size() != k) {
      throw new IllegalArgumentException(labels.size() + " labels for " + k + " classes");
    }
    v.g.identity(logits, LOGITS);
    v.g.output(LOGITS, k);
    Map<String, String> meta = v.preprocessing(true);
    meta.put("saim.kind", "classifier");
    meta.put("saim.head", head.name().toLowerCase(Locale.ROOT));
    meta.put("saim.num_classes", String.valueOf(k));
    meta.put("saim.labels", String.join("\n", labels));
    return new OnnxModel(v.g, opset, meta);
  }

  /** The preprocessing constants and the architecture, as metadata. */
  private Map<String, String> preprocessing(boolean alwaysResize) {
    Map<String, String> m = new LinkedHashMap<>();
    int c = config.channels();
    List<Float> mean = c == 3 ? Transforms.IMAGENET_MEAN : List.of(Transforms.GRAY_MEAN);
    List<Float> std = c == 3 ? Transforms.IMAGENET_STD : List.of(Transforms.GRAY_STD);
    m.put("saim.input", INPUT + ": float32 [batch, " + c + ", S, S], S = saim.image_size");
    m.put("saim.image_size", String.valueOf(config.imageSize()));
    m.put("saim.channels", String.valueOf(c));
    m.put("saim.mean", join(mean));
    m.put("saim.std", join(std));
    m.put("saim.crop_fraction", String.valueOf(Transforms.CROP_FRACTION));
    m.put("saim.resize", String.valueOf((int) (config.imageSize() / Transforms.CROP_FRACTION)));
    m.put(
        "saim.preprocessing",
        "RGB (or grayscale for 1 channel) 8-bit pixels; the shorter side resized (bicubic) to"
            + " floor(image_size / crop_fraction), a centre crop of image_size,"
            + " (v / 255 - mean) / std per channel"
            + (alwaysResize
                ? ""
                : "; images no larger than image_size on both sides are instead normalised and"
                    + " zero-padded, centred, to image_size"));
    m.put("saim.config", config.toString());
    return m;
  }

  private static String join(List<Float> values) {
    return values.stream().map(String::valueOf).collect(Collectors.joining(","));
  }

  private HostTensor tensor(String name) {
    HostTensor t = weights.get(name);
    if (t == null) {
      throw new IllegalArgumentException("the weights have no tensor " + name);
    }
    return t;
  }

  /** Adds the tensor {@code name} as an initializer of the same name and shape. */
  private String copy(String name) {
    HostTensor t = tensor(name);
    return g.weight(name, t.shape(), t.toFloatArray());
  }

  /** The content stream after block {@code count}: batch x (L+1) x D. */
  private String tokens(int count) {
    int d = config.width();
    int p = config.patchSize();
    int l = config.numPatches();
    String pixels = g.input(INPUT, config.channels(), config.imageSize(), config.imageSize());
    String x =
        g.op(
            "Conv",
            "patches",
            List.of(pixels, copy("patch_embed.proj.weight"), copy("patch_embed.proj.bias")),
            Attr.ints("kernel_shape", p, p),
            Attr.ints("strides", p, p));
    x = g.op("Reshape", "patches_flat", List.of(x, g.int64s("shape", 0, d, -1)));
    x = g.op("Transpose", "patch_tokens", List.of(x), Attr.ints("perm", 0, 2, 1));
    float[] pos = tensor("pos_embed").toFloatArray();
    String patchPos =
        g.weight("pos_embed.patches", new long[] {1, l, d}, Arrays.copyOfRange(pos, d, pos.length));
    x = g.op("Add", "embedded", List.of(x, patchPos));
    float[] cls = tensor("cls_token").toFloatArray();
    float[] clsPos = new float[d];
    for (int i = 0; i < d; i++) {
      clsPos[i] = cls[i] + pos[i];
    }
    String clsConst = g.weight("cls_token.with_pos", new long[] {1, 1, d}, clsPos);
    String batch = g.op("Shape", "batch", List.of(pixels), Attr.of("start", 0), Attr.of("end", 1));
    String clsShape =
        g.op("Concat", "cls_shape", List.of(batch, g.int64s("one_d", 1, d)), Attr.of("axis", 0));
    String clsTokens = g.op("Expand", "cls_tokens", List.of(clsConst, clsShape));
    String h = g.op("Concat", "h0", List.of(clsTokens, x), Attr.of("axis", 1));
    for (int i = 0; i < count; i++) {
      h = block(h, "blocks." + i);
    }
    return h;
  }

  /** One pre-norm block on {@code h}: batch x T x D. */
  private String block(String h, String name) {
    String n1 = layerNorm(h, name + ".norm1");
    String a = attention(n1, name + ".attn");
    h = g.op("Add", name + ".attn_residual", List.of(h, a));
    String n2 = layerNorm(h, name + ".norm2");
    String m = linear(gelu(linear(n2, name + ".mlp.fc1")), name + ".mlp.fc2");
    return g.op("Add", name + ".mlp_residual", List.of(h, m));
  }

  private String attention(String x, String name) {
    int heads = config.heads();
    int d = config.width();
    long dh = d / heads;
    String split = g.int64s("heads_shape", 0, 0, heads, dh);
    String q = g.op("Reshape", name + ".q_heads", List.of(linear(x, name + ".q"), split));
    String k = g.op("Reshape", name + ".k_heads", List.of(linear(x, name + ".k"), split));
    String v = g.op("Reshape", name + ".v_heads", List.of(linear(x, name + ".v"), split));
    q = g.op("Transpose", name + ".q_t", List.of(q), Attr.ints("perm", 0, 2, 1, 3));
    k = g.op("Transpose", name + ".k_t", List.of(k), Attr.ints("perm", 0, 2, 3, 1));
    v = g.op("Transpose", name + ".v_t", List.of(v), Attr.ints("perm", 0, 2, 1, 3));
    // the same scale as model/Attention, applied after the product as there
    float scale = (float) StrictMath.pow(dh, -0.5);
    String logits = g.op("MatMul", name + ".qk", List.of(q, k));
    logits = g.op("Mul", name + ".logits", List.of(logits, g.scalar("scale", scale)));
    String weightsOut = g.op("Softmax", name + ".softmax", List.of(logits), Attr.of("axis", -1));
    String o = g.op("MatMul", name + ".weighted", List.of(weightsOut, v));
    o = g.op("Transpose", name + ".merged_t", List.of(o), Attr.ints("perm", 0, 2, 1, 3));
    o = g.op("Reshape", name + ".merged", List.of(o, g.int64s("merge_shape", 0, 0, d)));
    return linear(o, name + ".proj");
  }

  /** {@code x W^T + b} for the Linear {@code name}; W stored transposed. */
  private String linear(String x, String name) {
    HostTensor w = tensor(name + ".weight");
    long out = w.shape()[0];
    long in = w.shape()[1];
    float[] v = w.toFloatArray();
    float[] t = new float[v.length];
    for (int o = 0; o < out; o++) {
      for (int i = 0; i < in; i++) {
        t[(int) (i * out + o)] = v[(int) (o * in + i)];
      }
    }
    String wt = g.weight(name + ".weight.T", new long[] {in, out}, t);
    String y = g.op("MatMul", name + ".matmul", List.of(x, wt));
    return g.op("Add", name, List.of(y, copy(name + ".bias")));
  }

  private String layerNorm(String x, String name) {
    return layerNorm(x, name, copy(name + ".weight"), copy(name + ".bias"));
  }

  private String layerNorm(String x, String name, String weight, String bias) {
    return g.op(
        "LayerNormalization",
        name,
        List.of(x, weight, bias),
        Attr.of("axis", -1),
        Attr.of("epsilon", (float) config.layerNormEps()));
  }

  /** The exact GELU, {@code x * Phi(x)}. */
  private String gelu(String x) {
    if (opset >= 20) {
      return g.op("Gelu", "gelu", List.of(x));
    }
    String scaled = g.op("Div", "gelu_div", List.of(x, g.scalar("sqrt2", (float) Math.sqrt(2))));
    String erf = g.op("Erf", "gelu_erf", List.of(scaled));
    String plus = g.op("Add", "gelu_add", List.of(erf, g.scalar("one", 1f)));
    String times = g.op("Mul", "gelu_mul", List.of(x, plus));
    return g.op("Mul", "gelu", List.of(times, g.scalar("half", 0.5f)));
  }

  /** The class token after the final norm: batch x D. */
  private String classToken(String h) {
    String cls = g.op("Gather", "cls", List.of(h, g.int64Scalar("index", 0)), Attr.of("axis", 1));
    return layerNorm(cls, "norm");
  }

  /** The mean of the patch tokens through {@code fc_norm} (a plain LayerNorm without it). */
  private String meanOfPatches(String h) {
    String patches =
        g.op(
            "Slice",
            "patch_tokens_out",
            List.of(
                h, g.int64s("starts", 1), g.int64s("ends", Long.MAX_VALUE), g.int64s("axes", 1)));
    String mean = reduce("ReduceMean", patches, "patch_mean", false);
    if (weights.containsKey("fc_norm.weight") && weights.containsKey("fc_norm.bias")) {
      return layerNorm(mean, "fc_norm");
    }
    int d = config.width();
    float[] ones = new float[d];
    Arrays.fill(ones, 1f);
    return layerNorm(
        mean,
        "mean_norm",
        g.weight("mean_norm.weight", new long[] {d}, ones),
        g.weight("mean_norm.bias", new long[] {d}, new float[d]));
  }

  /** A reduction over axis 1; the axes are an attribute before opset 18 and an input from 18. */
  private String reduce(String op, String x, String hint, boolean keepDims) {
    Attr keep = Attr.of("keepdims", keepDims ? 1 : 0);
    if (opset >= 18) {
      return g.op(op, hint, List.of(x, g.int64s("axes", 1)), keep);
    }
    return g.op(op, hint, List.of(x), Attr.ints("axes", 1), keep);
  }

  /** {@code x / max(||x||, 1e-12)} per row, as the encoder normalises. */
  private String l2(String x) {
    String norm = reduce("ReduceL2", x, "l2_norm", true);
    String floor = g.op("Max", "l2_floor", List.of(norm, g.scalar("eps", 1e-12f)));
    return g.op("Div", "l2", List.of(x, floor));
  }

  /** A graph, its opset and its metadata, ready for {@link OnnxFile#write}. */
  public static final class OnnxModel {
    private final OnnxGraph graph;
    private final int opset;
    private final Map<String, String> metadata;

    OnnxModel(OnnxGraph graph, int opset, Map<String, String> metadata) {
      this.graph = graph;
      this.opset = opset;
      this.metadata = metadata;
    }

    OnnxGraph graph() {
      return graph;
    }

    /** {@return the opset of the default domain} */
    public int opset() {
      return opset;
    }

    /** {@return the metadata written into the model} */
    public Map<String, String> metadata() {
      return metadata;
    }

    /** Adds {@code key = value} to the metadata (e.g. where the weights came from). */
    public OnnxModel with(String key, @Nullable String value) {
      if (value != null) {
        metadata.put(key, value);
      }
      return this;
    }

    /** {@return the names of the operators the graph uses, sorted, each once} */
    public List<String> operators() {
      return new ArrayList<>(
          graph.graph().getNodeList().stream()
              .map(n -> n.getOpType())
              .collect(Collectors.toCollection(java.util.TreeSet::new)));
    }
  }
}
