package io.github.saimjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import io.github.saimjava.api.Precision;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The model's number format under {@link Precision#BF16}: the activations of both streams are
 * lowered to bfloat16 once, after the patch embedding, and stay bfloat16 through every block
 * (linear layers, attention products, masks, softmax, LayerNorm, GELU, residual sums; the engine's
 * softmax and LayerNorm kernels accumulate in float32 internally); weights are float32 masters
 * rounded to bfloat16 (once per forward pass where the model lowers them all together, {@link
 * #lowerAll}, {@link #lowerLeaves}; otherwise at each use), their gradients come back as float32,
 * and the head's output, the target and the loss are float32. Off ({@link Precision#FP32}), every
 * method is the identity.
 *
 * <p>DJL 0.36's PyTorch engine has no bfloat16: its type table stops at complex64, so {@code
 * toType(BFLOAT16)} aborts the process, and its casts run without autograd anyway. The casts (and a
 * softmax that keeps bfloat16, which DJL's cannot name) are therefore a TorchScript module of
 * one-line methods ({@link ScriptModule}, built in memory from the source below) called with
 * autograd on, so gradients flow back through a cast as float32. A bfloat16 array reports {@link
 * DataType#UNKNOWN} to DJL; code that handles such arrays must not ask the engine to create arrays
 * of their type.
 */
public final class Autocast implements AutoCloseable {
  /** TorchScript source; dtype codes are c10::ScalarType: 6 = float32, 15 = bfloat16. */
  private static final String SOURCE =
      String.join(
          "\n",
          "class Cast(Module):",
          "  __parameters__ = []",
          "  __buffers__ = []",
          "  training : bool",
          "  def forward(self: __torch__.Cast,",
          "    x: Tensor) -> Tensor:",
          "    return torch.to(x, 15)",
          "  def to_f32(self: __torch__.Cast,",
          "    x: Tensor) -> Tensor:",
          "    return torch.to(x, 6)",
          "  def softmax_last(self: __torch__.Cast,",
          "    x: Tensor) -> Tensor:",
          "    return torch.softmax(x, -1)",
          "  def lower_all(self: __torch__.Cast,",
          "    ws: List[Tensor]) -> List[Tensor]:",
          "    return [torch.to(w, 15) for w in ws]",
          "  def lower_leaves(self: __torch__.Cast,",
          "    ws: List[Tensor]) -> List[Tensor]:",
          "    return [torch.to(torch.detach(w), 15).requires_grad_() for w in ws]",
          "  def add_into(self: __torch__.Cast,",
          "    targets: List[Tensor],",
          "    values: List[Tensor]) -> int:",
          "    for i in range(len(targets)):",
          "      targets[i].add_(values[i])",
          "    return 0",
          "");

  private final @Nullable PtSymbolBlock cast;

  /** The weights lowered for the forward pass running on this thread, if any. */
  private final ThreadLocal<@Nullable Lowered> current = new ThreadLocal<>();

  /** Float32 everywhere: every method returns its argument. */
  public static Autocast fp32() {
    return new Autocast(null);
  }

  /** The casts for {@code precision}, loaded on {@code manager} (which owns them) when needed. */
  public static Autocast of(Precision precision, NDManager manager) {
    if (precision == Precision.FP32) {
      return fp32();
    }
    return new Autocast(ScriptModule.load(manager, "Cast", SOURCE));
  }

  private Autocast(@Nullable PtSymbolBlock cast) {
    this.cast = cast;
  }

  /** Whether the matrix multiplies run in bfloat16. */
  public boolean enabled() {
    return cast != null;
  }

  /**
   * {@code x} in bfloat16 when enabled (unchanged if it already is), attached to {@code into}'s
   * manager; otherwise {@code x}.
   */
  public NDArray lower(NDArray x, NDArray into) {
    if (cast == null || x.getDataType() == DataType.UNKNOWN) {
      return x;
    }
    return call("forward", x, into);
  }

  /**
   * Weight {@code w} in bfloat16 for a use whose activation is {@code x}: the copy {@link #use}
   * installed for this thread's forward pass when there is one, else a cast of its own (as {@link
   * #lower}); {@code w} itself when disabled.
   */
  public NDArray lowerWeight(NDArray w, NDArray x) {
    if (cast == null) {
      return w;
    }
    Lowered l = current.get();
    NDArray low = l == null ? null : l.get(w);
    return low != null ? low : lower(w, x);
  }

  /**
   * Float32 weights {@code ws} rounded to bfloat16 in one engine call, on {@code manager}; the
   * copies keep no autograd link to {@code ws} (for inference).
   */
  public Lowered lowerAll(List<NDArray> ws, NDManager manager) {
    return lowerList("lower_all", ws, manager, false);
  }

  /**
   * Float32 weights {@code ws} rounded to bfloat16 in one engine call, on {@code manager}, each
   * copy a leaf of its own that collects its gradient in bfloat16 through every use of the forward
   * pass; after backward, {@link Lowered#raiseGradients()} adds those gradients into the float32
   * masters' gradients in one more call. This replaces one cast-gradient autograd node per weight
   * (a bfloat16 to float32 copy into a new buffer, then its sum into the master's gradient) by one
   * in-place mixed-type sum per weight, as torch's autocast caches a weight's cast per forward.
   */
  public Lowered lowerLeaves(List<NDArray> ws, NDManager manager) {
    return lowerList("lower_leaves", ws, manager, true);
  }

  private Lowered lowerList(String method, List<NDArray> ws, NDManager manager, boolean leaves) {
    PtSymbolBlock module = Objects.requireNonNull(cast, "autocast is off");
    NDArray[] out;
    if (!leaves) {
      // outside autograd: DJL's direct call runs in the engine's inference mode
      try (IValue list = IValue.listFrom(ws.toArray(new PtNDArray[0]));
          IValue result = IValueUtils.runMethod(module, method, list)) {
        out = result.toTensorArray((PtNDManager) manager);
      }
      return new Lowered(ws, out, false);
    }
    // leaves must be ordinary tensors, so the call runs in training mode, which DJL offers only
    // through its named-array route: arrays named "ws[]" form the list argument. The masters'
    // names are lent for the call and given back.
    String[] names = new String[ws.size()];
    NDArray selector = manager.create(0f);
    selector.setName("module_method:" + method);
    NDList in = new NDList(ws.size() + 1);
    in.add(selector);
    for (int i = 0; i < names.length; i++) {
      names[i] = ws.get(i).getName();
      ws.get(i).setName("ws[]");
      in.add(ws.get(i));
    }
    try {
      out = IValueUtils.forward(module, in, true).toArray(new NDArray[0]);
    } finally {
      for (int i = 0; i < names.length; i++) {
        ws.get(i).setName(names[i]);
      }
      selector.close();
    }
    return new Lowered(ws, out, true);
  }

  /**
   * Makes {@code lowered} the copies that {@link #lowerWeight} returns on this thread until the
   * returned handle is closed (which restores the previous ones).
   */
  public Use use(Lowered lowered) {
    Lowered previous = current.get();
    current.set(lowered);
    return () -> current.set(previous);
  }

  /** The scope of {@link #use}: closing it restores the previous copies. */
  public interface Use extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Bfloat16 copies of a forward pass's float32 weights, keyed by identity of the master. Closing
   * frees the copies (their gradients with them).
   */
  public final class Lowered implements AutoCloseable {
    private final java.util.IdentityHashMap<NDArray, NDArray> byMaster =
        new java.util.IdentityHashMap<>();
    private final List<NDArray> masters;
    private final NDArray[] copies;
    private final boolean leaves;

    private Lowered(List<NDArray> masters, NDArray[] copies, boolean leaves) {
      this.masters = List.copyOf(masters);
      this.copies = copies;
      this.leaves = leaves;
      for (int i = 0; i < copies.length; i++) {
        byMaster.put(this.masters.get(i), copies[i]);
      }
    }

    /** The bfloat16 copy of {@code master}, or null if it is not one of these weights. */
    @Nullable NDArray get(NDArray master) {
      return byMaster.get(master);
    }

    /** Whether a backward pass has left a gradient in any copy (only leaves collect them). */
    public boolean hasGradients() {
      if (!leaves) {
        return false;
      }
      for (NDArray c : copies) {
        PtNDArray g = JniUtils.getGradient((PtNDArray) c);
        if (g != null) {
          g.close();
          return true;
        }
      }
      return false;
    }

    /**
     * Adds each copy's bfloat16 gradient into its float32 master's gradient (accumulating, as
     * autograd would) in one engine call, then frees the copies. Copies that no backward pass
     * reached are skipped. A no-op for copies made by {@link #lowerAll}.
     */
    public void raiseGradients() {
      if (!leaves) {
        close();
        return;
      }
      List<PtNDArray> targets = new ArrayList<>();
      List<PtNDArray> values = new ArrayList<>();
      try {
        for (int i = 0; i < copies.length; i++) {
          PtNDArray g = JniUtils.getGradient((PtNDArray) copies[i]);
          if (g == null) {
            continue;
          }
          values.add(g);
          PtNDArray master = (PtNDArray) masters.get(i);
          PtNDArray mg = JniUtils.getGradient(master);
          if (mg == null) {
            // the master's first gradient: define it (zeros) through autograd, which owns it
            try (NDArray zeros = master.zerosLike()) {
              JniUtils.backward(master, (PtNDArray) zeros, false, false);
            }
            mg = java.util.Objects.requireNonNull(JniUtils.getGradient(master));
          }
          targets.add(mg);
        }
        if (!targets.isEmpty()) {
          try (IValue t = IValue.listFrom(targets.toArray(new PtNDArray[0]));
              IValue v = IValue.listFrom(values.toArray(new PtNDArray[0]))) {
            // the sums are done in place; the method's int result is unused
            IValueUtils.runMethod(java.util.Objects.requireNonNull(cast), "add_into", t, v).close();
          }
        }
      } finally {
        targets.forEach(NDArray::close);
        values.forEach(NDArray::close);
        close();
      }
    }

    @Override
    public void close() {
      for (NDArray c : copies) {
        c.close();
      }
    }
  }

  /** {@code x} in float32 when enabled and it is bfloat16; otherwise {@code x}. */
  public NDArray upper(NDArray x) {
    if (cast == null || x.getDataType() != DataType.UNKNOWN) {
      return x;
    }
    return call("to_f32", x, x);
  }

  /**
   * Softmax over the last axis in {@code x}'s own type: DJL's softmax names the result type, which
   * it cannot do for bfloat16, so a bfloat16 {@code x} goes through the module (the engine's kernel
   * accumulates in float32 and returns bfloat16).
   */
  public NDArray softmaxLast(NDArray x) {
    if (cast == null || x.getDataType() != DataType.UNKNOWN) {
      return x.softmax(-1);
    }
    return call("softmax_last", x, x);
  }

  private NDArray call(String method, NDArray x, NDArray into) {
    // DJL passes a named array whose name holds a '.' as a dictionary (parameter names do), and
    // attaches the result to the manager of the first array; the selector comes first and names
    // the method, so the result lives with the activations, not with the parameters
    NDArray in = x.getName() == null ? x : x.reshape(x.getShape());
    NDArray selector = into.getManager().create(0f);
    selector.setName("module_method:" + method);
    try {
      return IValueUtils.forward(Objects.requireNonNull(cast), new NDList(selector, in), true)
          .singletonOrThrow();
    } finally {
      selector.close();
      if (in != x) {
        in.close();
      }
    }
  }

  /** Frees the loaded casts (also freed with the manager they were loaded on). */
  @Override
  public void close() {
    if (cast != null) {
      cast.close();
    }
  }
}
