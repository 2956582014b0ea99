package io.github.saimjava.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.model.Tensors;
import java.util.LinkedHashMap;
import java.util.Map;

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

  /** An optimiser whose state lives on {@code parent}'s device. */
  public AdamW(NDManager parent, double beta1, double beta2, double eps, double weightDecay) {
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("betas (" + beta1 + ", " + beta2 + ") must be in [0, 1)");
    }
    if (!(eps > 0) || !(weightDecay >= 0)) {
      throw new IllegalArgumentException("eps (" + eps + ") must be positive and weight decay ("
          + weightDecay + ") non-negative");
    }
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.manager = parent.newSubManager();
  }

  /** The reference's no-decay rule: a parameter decays unless it is 1-D or its name ends in {@code .bias}. */
  public static boolean decays(String name, Shape shape) {
    return shape.dimension() != 1 && !name.endsWith(".bias");
  }

  /** Steps taken so far. */
  public long stepCount() {
    return step;
  }

  /**
   * One update of every parameter in {@code params} from its accumulated gradient, at learning
   * rate {@code lr}. Parameters without a gradient are skipped, as PyTorch does.
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
    /** Every parameter at the scheduled rate, decay by {@link AdamW#decays}: pre-training's groups. */
    Groups UNIFORM = new Groups() {
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
   * One update of every parameter in {@code params} from its accumulated gradient, parameter
   * {@code name} at learning rate {@code lr * groups.lrScale(name)} with the decay rule of {@code
   * groups}. Parameters without a gradient are skipped, as PyTorch does.
   */
  public void step(Map<String, NDArray> params, double baseLr, Groups groups) {
    step++;
    double bc1 = 1 - StrictMath.pow(beta1, step);
    double bc2Sqrt = Math.sqrt(1 - StrictMath.pow(beta2, step));
    try (NoGrad ng = NoGrad.enter(); NDScope scope = new NDScope()) {
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        String name = e.getKey();
        NDArray p = e.getValue();
        if (!p.hasGradient()) {
          continue;
        }
        double scale = groups.lrScale(name);
        // a scale of exactly 1 keeps pre-training's arithmetic bit for bit
        double lr = scale == 1.0 ? baseLr : baseLr * scale;
        double stepSize = lr / bc1;
        NDArray g = p.getGradient();
        NDArray m = expAvg.computeIfAbsent(name, k -> persistent(p.zerosLike()));
        NDArray v = expAvgSq.computeIfAbsent(name, k -> persistent(p.zerosLike()));
        double wd = groups.decays(name, p.getShape()) ? weightDecay : 0;
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

  /** The first and second moments as host tensors, keyed {@code exp_avg.<name>} and {@code exp_avg_sq.<name>}. */
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
        throw new IllegalArgumentException("optimizer state lacks the moments of '" + e.getKey() + "'");
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
    manager.close();
  }
}
