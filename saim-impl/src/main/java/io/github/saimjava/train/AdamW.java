package io.github.saimjava.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.model.ScriptModule;
import io.github.saimjava.model.Tensors;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;

/**
 * AdamW with PyTorch's update rule (torch.optim.AdamW, single-tensor path):
 *
 * <pre>
 *   p   = p * (1 - lr * wd)
 *   m   = beta1 * m + (1 - beta1) * g
 *   v   = beta2 * v + (1 - beta2) * g * g
 *   p   = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 *
 * with eps added after the bias-corrected square root (DJL's built-in Adam places it differently
 * and decays every parameter). Weight decay follows the reference's rule, {@link #decays}: none for
 * 1-D parameters and names ending in {@code .bias}.
 *
 * <p>Holds its moment estimates in native memory: close it when done.
 */
public final class AdamW implements AutoCloseable {
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private final NDManager manager;
  private final Map<String, NDArray> expAvg = new LinkedHashMap<>();
  private final Map<String, NDArray> expAvgSq = new LinkedHashMap<>();
  private long step;
  private boolean fusedWanted = true;
  private @Nullable PtSymbolBlock fused;
  private boolean fusedLoaded;

  /**
   * The engine's fused AdamW kernel, reached through a one-method TorchScript module: one pass over
   * each parameter, its gradient and both moments per step, instead of the dozen element-wise
   * passes (and four temporaries) of the operator-by-operator update. Same rule, in float32 with
   * the coefficients in double, the first moment moved by linear interpolation; the two paths agree
   * to float rounding.
   */
  private static final String FUSED_SOURCE =
      String.join(
          "\n",
          "class FusedAdamW(Module):",
          "  __parameters__ = []",
          "  __buffers__ = []",
          "  training : bool",
          "  def forward(self: __torch__.FusedAdamW,",
          "    params: List[Tensor],",
          "    grads: List[Tensor],",
          "    exp_avgs: List[Tensor],",
          "    exp_avg_sqs: List[Tensor],",
          "    steps: List[Tensor],",
          "    lr: float,",
          "    beta1: float,",
          "    beta2: float,",
          "    weight_decay: float,",
          "    eps: float) -> int:",
          "    torch._fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, annotate(List[Tensor],"
              + " []), steps, lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay, eps=eps,"
              + " amsgrad=False, maximize=False)",
          "    return 0",
          "");

  /** An optimiser whose state lives on {@code parent}'s device. */
  public AdamW(NDManager parent, double beta1, double beta2, double eps, double weightDecay) {
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("betas (" + beta1 + ", " + beta2 + ") must be in [0, 1)");
    }
    if (!(eps > 0) || !(weightDecay >= 0)) {
      throw new IllegalArgumentException(
          "eps (" + eps + ") must be positive and weight decay (" + weightDecay + ") non-negative");
    }
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.manager = parent.newSubManager();
  }

  /**
   * Whether to update through the engine's fused kernel (the default, where the engine has one for
   * the parameters' device and type) or operator by operator. Both follow the same rule; the switch
   * exists to compare them.
   */
  public AdamW fused(boolean enabled) {
    this.fusedWanted = enabled;
    return this;
  }

  /** Whether the last step ran on the engine's fused kernel. */
  boolean fusedInUse() {
    return fusedWanted && fused != null;
  }

  /**
   * The reference's no-decay rule: a parameter decays unless it is 1-D or its name ends in {@code
   * .bias}.
   */
  public static boolean decays(String name, Shape shape) {
    return shape.dimension() != 1 && !name.endsWith(".bias");
  }

  /** Steps taken so far. */
  public long stepCount() {
    return step;
  }

  /**
   * One update of every parameter in {@code params} from its accumulated gradient, at learning rate
   * {@code lr}. Parameters without a gradient are skipped, as PyTorch does.
   */
  public void step(Map<String, NDArray> params, double lr) {
    step(params, lr, Groups.UNIFORM);
  }

  /**
   * Per-parameter learning-rate scale and weight-decay rule, as PyTorch's parameter groups give
   * them (fine-tuning's layer-wise decay): parameter {@code name} is updated at {@code lr *
   * lrScale(name)} and decays iff {@code decays(name, shape)}.
   */
  public interface Groups {
    /**
     * Every parameter at the scheduled rate, decay by {@link AdamW#decays}: pre-training's groups.
     */
    Groups UNIFORM =
        new Groups() {
          @Override
          public double lrScale(String name) {
            return 1.0;
          }

          @Override
          public boolean decays(String name, Shape shape) {
            return AdamW.decays(name, shape);
          }
        };

    /** The factor applied to the scheduled learning rate for parameter {@code name}. */
    double lrScale(String name);

    /** Whether parameter {@code name} of shape {@code shape} gets weight decay. */
    boolean decays(String name, Shape shape);
  }

  /**
   * One update of every parameter in {@code params} from its accumulated gradient, parameter {@code
   * name} at learning rate {@code lr * groups.lrScale(name)} with the decay rule of {@code groups}.
   * Parameters without a gradient are skipped, as PyTorch does.
   */
  public void step(Map<String, NDArray> params, double baseLr, Groups groups) {
    step++;
    if (fusedWanted && fusedKernel(params) != null) {
      fusedStep(params, baseLr, groups);
      return;
    }
    double bc1 = 1 - StrictMath.pow(beta1, step);
    double bc2Sqrt = Math.sqrt(1 - StrictMath.pow(beta2, step));
    try (NoGrad ng = NoGrad.enter();
        NDScope scope = new NDScope()) {
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        String name = e.getKey();
        NDArray p = e.getValue();
        if (!p.hasGradient()) {
          continue;
        }
        Hyper h = hyper(name, p, baseLr, groups);
        double lr = h.lr();
        double wd = h.wd();
        double stepSize = lr / bc1;
        NDArray g = p.getGradient();
        NDArray m = expAvg.computeIfAbsent(name, k -> persistent(p.zerosLike()));
        NDArray v = expAvgSq.computeIfAbsent(name, k -> persistent(p.zerosLike()));
        // the temporaries of one parameter's update are freed before the next one's: kept to the
        // end of the step they would add about three copies of the whole model to its peak memory
        try (NDScope perParameter = new NDScope()) {
          if (wd != 0) {
            p.muli(1 - lr * wd);
          }
          m.muli(beta1).addi(g.mul(1 - beta1));
          v.muli(beta2).addi(g.mul(g).muli(1 - beta2));
          NDArray denom = v.sqrt().divi(bc2Sqrt).addi(eps);
          p.subi(m.div(denom).muli(stepSize));
        }
      }
    }
  }

  /**
   * The fused kernel's module when the engine can run it on these parameters (float32 on one
   * device); loaded once. Null means the operator-by-operator path.
   */
  private @Nullable PtSymbolBlock fusedKernel(Map<String, NDArray> params) {
    for (NDArray p : params.values()) {
      if (p.getDataType() != DataType.FLOAT32 || !p.getDevice().equals(manager.getDevice())) {
        return null;
      }
    }
    if (!fusedLoaded) {
      fusedLoaded = true;
      try {
        fused = ScriptModule.load(manager, "FusedAdamW", FUSED_SOURCE);
      } catch (IllegalStateException e) {
        LoggerFactory.getLogger(AdamW.class)
            .debug("no fused AdamW kernel, updating operator by operator: {}", e.getMessage());
      }
    }
    return fused;
  }

  /** One fused update per (learning rate, weight decay) group of parameters. */
  private void fusedStep(Map<String, NDArray> params, double baseLr, Groups groups) {
    Map<Hyper, List<String>> byGroup = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      NDArray p = e.getValue();
      if (!p.hasGradient()) {
        continue;
      }
      byGroup
          .computeIfAbsent(hyper(e.getKey(), p, baseLr, groups), k -> new ArrayList<>())
          .add(e.getKey());
    }
    try (NoGrad ng = NoGrad.enter();
        NDScope scope = new NDScope()) {
      // the kernel reads the step count from a float32 scalar per parameter; one serves them all
      PtNDArray stepCount = (PtNDArray) manager.full(new Shape(), (float) step, DataType.FLOAT32);
      for (Map.Entry<Hyper, List<String>> group : byGroup.entrySet()) {
        List<String> names = group.getValue();
        PtNDArray[] p = new PtNDArray[names.size()];
        PtNDArray[] g = new PtNDArray[names.size()];
        PtNDArray[] m = new PtNDArray[names.size()];
        PtNDArray[] v = new PtNDArray[names.size()];
        PtNDArray[] steps = new PtNDArray[names.size()];
        for (int i = 0; i < p.length; i++) {
          // the groups were made from params' own names
          NDArray param = Objects.requireNonNull(params.get(names.get(i)));
          p[i] = (PtNDArray) param;
          g[i] = (PtNDArray) param.getGradient();
          m[i] =
              (PtNDArray) expAvg.computeIfAbsent(names.get(i), k -> persistent(param.zerosLike()));
          v[i] =
              (PtNDArray)
                  expAvgSq.computeIfAbsent(names.get(i), k -> persistent(param.zerosLike()));
          steps[i] = stepCount;
        }
        IValue[] args = {
          IValue.listFrom(p),
          IValue.listFrom(g),
          IValue.listFrom(m),
          IValue.listFrom(v),
          IValue.listFrom(steps),
          IValue.from(group.getKey().lr()),
          IValue.from(beta1),
          IValue.from(beta2),
          IValue.from(group.getKey().wd()),
          IValue.from(eps)
        };
        try {
          IValueUtils.runMethod(Objects.requireNonNull(fused), "forward", args).close();
        } finally {
          for (IValue a : args) {
            a.close();
          }
        }
      }
    }
  }

  /** A parameter's learning rate and weight decay for one step. */
  private record Hyper(double lr, double wd) {}

  /**
   * Parameter {@code name}'s learning rate and weight decay under {@code groups}: one rule for both
   * update paths.
   */
  private Hyper hyper(String name, NDArray p, double baseLr, Groups groups) {
    double scale = groups.lrScale(name);
    // a scale of exactly 1 keeps pre-training's arithmetic bit for bit
    double lr = scale == 1.0 ? baseLr : baseLr * scale;
    return new Hyper(lr, groups.decays(name, p.getShape()) ? weightDecay : 0);
  }

  private NDArray persistent(NDArray a) {
    NDScope.unregister(a);
    a.attach(manager);
    return a;
  }

  /** Clears the gradients of {@code params} (PyTorch accumulates them across backward passes). */
  public static void zeroGrad(Map<String, NDArray> params) {
    for (NDArray p : params.values()) {
      if (p.hasGradient()) {
        JniUtils.zeroGrad((PtNDArray) p);
      }
    }
  }

  /**
   * The first and second moments as host tensors, keyed {@code exp_avg.<name>} and {@code
   * exp_avg_sq.<name>}.
   */
  public Map<String, HostTensor> state() {
    Map<String, HostTensor> out = new LinkedHashMap<>();
    expAvg.forEach((k, v) -> out.put("exp_avg." + k, Tensors.toHost(v)));
    expAvgSq.forEach((k, v) -> out.put("exp_avg_sq." + k, Tensors.toHost(v)));
    return out;
  }

  /** Restores moments written by {@link #state()} and the step count. */
  public void restore(Map<String, HostTensor> state, long steps, Map<String, NDArray> params) {
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      HostTensor m = state.get("exp_avg." + e.getKey());
      HostTensor v = state.get("exp_avg_sq." + e.getKey());
      if (m == null || v == null) {
        if (steps == 0) {
          continue;
        }
        throw new IllegalArgumentException(
            "optimizer state lacks the moments of '" + e.getKey() + "'");
      }
      expAvg.computeIfAbsent(e.getKey(), k -> manager.zeros(e.getValue().getShape()));
      expAvgSq.computeIfAbsent(e.getKey(), k -> manager.zeros(e.getValue().getShape()));
      Tensors.copyInto(expAvg.get(e.getKey()), m, "exp_avg." + e.getKey());
      Tensors.copyInto(expAvgSq.get(e.getKey()), v, "exp_avg_sq." + e.getKey());
    }
    this.step = steps;
  }

  @Override
  public void close() {
    if (fused != null) {
      fused.close();
    }
    manager.close();
  }
}
