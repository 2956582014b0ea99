package io.github.saimjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import io.github.saimjava.api.SaimConfig;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The encoder without masks for inference: {@link SaimModel#encodeBlocks}'s computation, with the
 * weights taken once, when the encoder is frozen, and the whole pass one engine call.
 *
 * <p>Why: an inference forward pass through DJL dispatches every operator from Java (about 3,100
 * engine operator events per ViT-B batch) and, in bfloat16, lowers every float32 weight again on
 * every call, though the weights never change. Here the weights are gathered once (lowered to
 * bfloat16 once, q, k and v concatenated into one {@code 3D x D} projection, whose output splits
 * into the heads as views), and one TorchScript method runs patch embedding, the blocks and the
 * bfloat16 casts in the engine; each linear layer is the engine's {@code linear} on a contiguous
 * input, which adds the bias inside the matrix multiply. Attention is either the engine's fused
 * scaled-dot-product kernel (no mask at inference) or the explicit product, softmax and product.
 *
 * <p>Numerics are the model's: the same operators in the same precision (float32, or bfloat16
 * activations and weights with float32 LayerNorm parameters, as {@link Autocast} computes them).
 * Shapes: images {@code N x C x S x S}, tokens {@code N x (L+1) x D}.
 *
 * <p>For a model whose weights no longer change: the q, k and v concatenations (and, in bfloat16,
 * every lowered copy) are taken when freezing; in float32 the other weights are the model's own
 * arrays. Owns what it copied (freed by {@link #close()} or with the model's manager).
 */
public final class FrozenEncoder implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FrozenEncoder.class);

  /**
   * System property choosing the attention of frozen encoders: {@code fused} (the engine's
   * scaled-dot-product kernel) or {@code explicit}; unset, {@link #fusedAttentionByDefault()}
   * decides.
   */
  public static final String ATTENTION_PROPERTY = "saim.inference.attention";

  /**
   * System property choosing whether the library's encoders and classifiers freeze for inference:
   * {@code true} or {@code false}. Unset, {@link #wanted(NDManager)} decides by CPU kind: on by
   * default where the engine's oneDNN inference kernels are ({@link InferenceKernels#wanted()}:
   * x86-64 without AVX-512), where the frozen encoder with those kernels ran ViT-B/16 inference
   * 1.02-1.26x faster than the operator-by-operator one in float32 (7 alternated pairs, peak memory
   * equal) and 1.06-1.30x in emulated bfloat16 (6 pairs, peak memory 11% higher: the rounded weight
   * copies) on an AMD EPYC, Zen 3 (benchmarks/NOTES.md, 2026-12-07, third sitting). Elsewhere
   * (AVX-512 and AMX CPUs, GPUs) off until timed there.
   */
  public static final String PROPERTY = "saim.inference.frozen";

  /**
   * Whether encoders and classifiers on {@code manager}'s device freeze for inference: {@link
   * #PROPERTY} when set, else on a CPU where {@link InferenceKernels} are wanted.
   *
   * @throws IllegalArgumentException when {@link #PROPERTY} is neither {@code true} nor {@code
   *     false}
   */
  public static boolean wanted(NDManager manager) {
    String v = System.getProperty(PROPERTY);
    if (v != null) {
      return switch (v) {
        case "true" -> true;
        case "false" -> false;
        default ->
            throw new IllegalArgumentException(
                "-D" + PROPERTY + "=" + v + " is neither 'true' nor 'false'");
      };
    }
    return !manager.getDevice().isGpu() && InferenceKernels.wanted();
  }

  /** Tensors per block in the weight list, in the order the script reads them. */
  private static final int PER_BLOCK = 12;

  /**
   * TorchScript source whose {@code lin} and {@code lin_gelu} return {@code linear} and {@code
   * linearGelu}, expressions in {@code x, w, b}. dtype codes are c10::ScalarType: 6 = float32, 15 =
   * bfloat16. {@code w} holds, per block: norm1 weight and bias, qkv weight ({@code 3D x D}) and
   * bias, proj weight and bias, norm2 weight and bias, fc1 weight and bias, fc2 weight and bias.
   * {@code bf16}: the activations are bfloat16 from the patch embedding on. {@code emulate}: they
   * stay float32, but every matrix multiply's operands are rounded to bfloat16 first ({@code r}),
   * as {@link Bf16Support} explains.
   */
  private static String source(String linear, String linearGelu) {
    return String.join(
        "\n",
        "class FrozenEncoder(Module):",
        "  __parameters__ = []",
        "  __buffers__ = []",
        "  training : bool",
        "  def r(self: __torch__.FrozenEncoder, x: Tensor, emulate: bool) -> Tensor:",
        "    if emulate:",
        "      return torch.to(torch.to(x, 15), 6)",
        "    return x",
        "  def lin(self: __torch__.FrozenEncoder, x: Tensor, w: Tensor, b: Tensor) -> Tensor:",
        "    return " + linear,
        "  def lin_gelu(self: __torch__.FrozenEncoder, x: Tensor, w: Tensor, b: Tensor) ->"
            + " Tensor:",
        "    return " + linearGelu,
        "  def forward(self: __torch__.FrozenEncoder,",
        "    x: Tensor, patch_w: Tensor, patch_b: Tensor, cls_pos: Tensor, patch_pos: Tensor,",
        "    w: List[Tensor], heads: int, count: int, keep_from: int, eps: float,",
        "    bf16: bool, emulate: bool, fused: bool) -> List[Tensor]:",
        "    p = torch.size(patch_w, 2)",
        "    n = torch.size(x, 0)",
        "    h = torch.conv2d(x, patch_w, patch_b, [p, p])",
        "    d = torch.size(h, 1)",
        "    h = torch.add(torch.transpose(torch.flatten(h, 2), 1, 2), patch_pos)",
        "    h = torch.cat([torch.expand(cls_pos, [n, 1, d]), h], 1)",
        "    if bf16:",
        "      h = torch.to(h, 15)",
        "    t = torch.size(h, 1)",
        "    scale = (d / heads) ** -0.5",
        "    out = annotate(List[Tensor], [])",
        "    for i in range(count):",
        "      j = i * " + PER_BLOCK,
        "      a = self.r(torch.layer_norm(h, [d], w[j], w[j + 1], eps), emulate)",
        "      qkv = self.r(self.lin(a, w[j + 2], w[j + 3]), emulate)",
        "      qkv = torch.permute(torch.reshape(qkv, [n, t, 3, heads, -1]), [2, 0, 3, 1, 4])",
        "      q = torch.select(qkv, 0, 0)",
        "      k = torch.select(qkv, 0, 1)",
        "      v = torch.select(qkv, 0, 2)",
        "      if fused:",
        "        a = torch.scaled_dot_product_attention(q, k, v, scale=scale)",
        "      else:",
        "        s = torch.mul(torch.matmul(q, torch.transpose(k, 2, 3)), scale)",
        "        a = torch.matmul(self.r(torch.softmax(s, -1), emulate), v)",
        "      a = self.r(torch.reshape(torch.transpose(a, 1, 2), [n, t, d]), emulate)",
        "      h = torch.add(h, self.lin(a, w[j + 4], w[j + 5]))",
        "      a = self.r(torch.layer_norm(h, [d], w[j + 6], w[j + 7], eps), emulate)",
        "      a = self.r(self.lin_gelu(a, w[j + 8], w[j + 9]), emulate)",
        "      h = torch.add(h, self.lin(a, w[j + 10], w[j + 11]))",
        "      if i >= keep_from:",
        "        if bf16:",
        "          _0 = torch.append(out, torch.to(h, 6))",
        "        else:",
        "          _0 = torch.append(out, h)",
        "    return out",
        "");
  }

  /** {@link #source} with the engine's default linear layer and GELU. */
  private static final String SOURCE =
      source("torch.linear(x, w, b)", "torch.gelu(torch.linear(x, w, b))");

  /**
   * {@link #SOURCE} with oneDNN's linear layer ({@link InferenceKernels}) for every linear layer
   * and the exact GELU inside the MLP's first one.
   */
  private static final String ONEDNN_SOURCE =
      source(InferenceKernels.LINEAR, InferenceKernels.LINEAR_GELU);

  private final SaimConfig config;
  private final NDManager manager;
  private final PtSymbolBlock script;
  private final NDArray patchWeight;
  private final NDArray patchBias;
  private final NDArray clsPos;
  private final NDArray patchPos;
  private final List<NDArray> weights;
  private final boolean bf16;
  private final boolean emulate;
  private final boolean fused;
  private final boolean onednn;

  /**
   * Freezes {@code blocks} of a model: copies what the script reads onto a sub-manager of {@code
   * parent}.
   */
  FrozenEncoder(
      SaimConfig config,
      NDManager parent,
      NDArray patchWeight,
      NDArray patchBias,
      NDArray clsToken,
      NDArray posEmbed,
      List<Block> blocks,
      Autocast autocast,
      boolean fused) {
    this.config = config;
    this.manager = parent.newSubManager();
    this.emulate = autocast.emulated();
    this.bf16 = autocast.enabled() && !emulate;
    this.fused = fused;
    PtSymbolBlock withOnednn = null;
    if (!bf16 && !parent.getDevice().isGpu() && InferenceKernels.wanted()) {
      try {
        withOnednn = ScriptModule.load(manager, "FrozenEncoder", ONEDNN_SOURCE);
      } catch (IllegalStateException e) {
        LOG.debug("oneDNN's linear unavailable, frozen encoder uses linear: {}", e.getMessage());
      }
    }
    this.onednn = withOnednn != null;
    this.script =
        withOnednn != null ? withOnednn : ScriptModule.load(manager, "FrozenEncoder", SOURCE);
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    // every temporary (slices, the float32 concatenations, the copies before lowering) is freed
    // with the scope; what is kept is attached to this encoder's manager
    try (NDScope scope = new NDScope()) {
      this.patchWeight = patchWeight;
      this.patchBias = patchBias;
      this.clsPos = keep(clsToken.add(posEmbed.get(":, :1, :")));
      this.patchPos = keep(posEmbed.get(":, 1:, :").duplicate());
      List<NDArray> w = new ArrayList<>(blocks.size() * PER_BLOCK);
      for (Block b : blocks) {
        Attention at = b.attn;
        w.add(b.norm1.weight);
        w.add(b.norm1.bias);
        w.add(packed(at.q.weight.concat(at.k.weight, 0).concat(at.v.weight, 0), autocast));
        w.add(packed(at.q.bias.concat(at.k.bias, 0).concat(at.v.bias, 0), autocast));
        w.add(lowered(at.proj.weight, autocast));
        w.add(lowered(at.proj.bias, autocast));
        w.add(b.norm2.weight);
        w.add(b.norm2.bias);
        w.add(lowered(b.mlp.fc1.weight, autocast));
        w.add(lowered(b.mlp.fc1.bias, autocast));
        w.add(lowered(b.mlp.fc2.weight, autocast));
        w.add(lowered(b.mlp.fc2.bias, autocast));
      }
      this.weights = List.copyOf(w);
    } finally {
      JniUtils.setGradMode(grad);
    }
  }

  /** {@code x} (a copy made under no-grad) kept past the constructor's scope, owned here. */
  private NDArray keep(NDArray x) {
    NDScope.unregister(x);
    x.attach(manager);
    return x;
  }

  /**
   * Parameter {@code x} as the linear layers compute with it: a bfloat16 copy owned here under
   * autocast, else the model's own float32 array.
   */
  private NDArray lowered(NDArray x, Autocast autocast) {
    return bf16 || emulate ? keep(round(x, autocast)) : x;
  }

  /** A concatenation made here, {@code x}, as the linear layers compute with it, owned here. */
  private NDArray packed(NDArray x, Autocast autocast) {
    return keep(bf16 || emulate ? round(x, autocast) : x);
  }

  /** {@code x} in bfloat16, or, when emulating, rounded to bfloat16's values but float32. */
  private NDArray round(NDArray x, Autocast autocast) {
    NDArray low = autocast.lower(x, x);
    return emulate ? autocast.upper(low) : low;
  }

  /**
   * The attention the library's encoders and classifiers freeze with: {@link #ATTENTION_PROPERTY}
   * when set, else the fused kernel where the engine's oneDNN inference kernels are wanted (the
   * operator-by-operator encoder uses it there too) and the explicit product and softmax elsewhere.
   *
   * @throws IllegalArgumentException when the property has another value
   */
  public static boolean fusedAttentionByDefault() {
    String v = System.getProperty(ATTENTION_PROPERTY);
    if (v == null) {
      return InferenceKernels.wanted();
    }
    return fusedAttention(v, "-D" + ATTENTION_PROPERTY + "=" + v);
  }

  /**
   * The one reading of an attention setting, whatever its case: {@code fused} (the engine's fused
   * kernel: true) or {@code explicit} (the product and softmax: false).
   *
   * @param setting how the user gave the value ({@code -Dname=value}, {@code --attention value}),
   *     for the message
   * @throws IllegalArgumentException {@code SETTING is neither 'fused' nor 'explicit'}
   */
  public static boolean fusedAttention(String value, String setting) {
    if (value.equalsIgnoreCase("explicit")) {
      return false;
    }
    if (value.equalsIgnoreCase("fused")) {
      return true;
    }
    throw new IllegalArgumentException(setting + " is neither 'fused' nor 'explicit'");
  }

  /**
   * Whether this bfloat16 encoder computes in float32 on bfloat16-rounded operands, because this
   * CPU has no fast bfloat16 matrix multiply ({@link Bf16Support}); false in float32.
   */
  public boolean emulatesBf16() {
    return emulate;
  }

  /**
   * Whether the linear layers run on oneDNN's inference kernel ({@link InferenceKernels}): where
   * those kernels are wanted, in float32 and emulated bfloat16.
   */
  public boolean onednnLinear() {
    return onednn;
  }

  /** Whether attention runs as the engine's fused kernel. */
  public boolean fusedAttention() {
    return fused;
  }

  /**
   * The content stream after each of blocks {@code from..count} (1-based, inclusive), float32
   * {@code N x (L+1) x D} each, attached to {@code images}' manager; one engine call.
   *
   * @throws IllegalArgumentException when not {@code 1 <= from <= count <= depth}
   */
  public List<NDArray> encodeBlocks(NDArray images, int from, int count) {
    if (from < 1 || from > count || count > weights.size() / PER_BLOCK) {
      throw new IllegalArgumentException(
          "blocks "
              + from
              + ".."
              + count
              + " are not within 1.."
              + weights.size() / PER_BLOCK
              + " (the encoder's depth)");
    }
    List<IValue> args = new ArrayList<>();
    try {
      args.add(IValue.from((PtNDArray) images));
      args.add(IValue.from((PtNDArray) patchWeight));
      args.add(IValue.from((PtNDArray) patchBias));
      args.add(IValue.from((PtNDArray) clsPos));
      args.add(IValue.from((PtNDArray) patchPos));
      args.add(IValue.listFrom(weights.toArray(new PtNDArray[0])));
      args.add(IValue.from((long) config.heads()));
      args.add(IValue.from((long) count));
      args.add(IValue.from((long) from - 1));
      args.add(IValue.from(config.layerNormEps()));
      args.add(IValue.from(bf16));
      args.add(IValue.from(emulate));
      args.add(IValue.from(fused));
      try (IValue result = IValueUtils.runMethod(script, "forward", args.toArray(new IValue[0]))) {
        NDList list = result.toNDList((PtNDManager) images.getManager());
        return new ArrayList<>(list);
      }
    } finally {
      args.forEach(IValue::close);
    }
  }

  /** Frees the frozen weights and the script. */
  @Override
  public void close() {
    manager.close();
  }
}
