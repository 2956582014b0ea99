package io.github.saimjava.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.saimjava.api.Permutation;
import io.github.saimjava.api.PermutationSampler;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import io.github.saimjava.model.ReferenceConfig;
import io.github.saimjava.model.SaimModel;
import io.github.saimjava.model.Tensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reproduces one training step of the reference implementation from a parity fixture and measures
 * how far each quantity is from the reference: masks, both streams, prediction, target, loss, every
 * gradient and every parameter after one AdamW step.
 *
 * <p>A fixture is a safetensors file whose {@code __metadata__.config} JSON holds the model
 * configuration and whose tensors are {@code param.*} (the state dict before the step), {@code
 * input.images}, {@code input.noise}, {@code out.*}, {@code grad.*} and {@code after_step.*}.
 * Errors are relative: {@code ||ours - ref|| / ||ref||}.
 */
public final class ReferenceCheck {
  /** The tolerance every quantity must meet in float32. */
  public static final double TOLERANCE = 1e-5;

  /**
   * A reference gradient smaller than this fraction of the whole gradient's norm is taken as
   * rounding noise around an exact zero. Real gradients of the fixtures are at least 1e-3 of it;
   * the key biases' are about 1e-9.
   */
  public static final double NOISE_FRACTION = 1e-6;

  private ReferenceCheck() {}

  /** One compared quantity. */
  public record Quantity(String name, double relativeError) {}

  /**
   * The comparison of a whole fixture.
   *
   * @param config the model the fixture describes
   * @param quantities every compared quantity, worst gradient and worst parameter included
   * @param worstGradient name of the gradient with the largest error
   * @param worstParameter name of the post-step parameter with the largest error
   * @param noiseGradients parameters whose reference gradient is rounding noise (below {@link
   *     #NOISE_FRACTION} of the whole gradient's norm): their gradient error is measured as a share
   *     of the whole gradient, and their step uses the reference gradient
   */
  public record Report(
      SaimConfig config,
      List<Quantity> quantities,
      String worstGradient,
      String worstParameter,
      List<String> noiseGradients) {
    /** The largest relative error over all quantities. */
    public double maxRelativeError() {
      double max = 0;
      for (Quantity q : quantities) {
        max =
            Double.isNaN(q.relativeError())
                ? Double.POSITIVE_INFINITY
                : Math.max(max, q.relativeError());
      }
      return max;
    }

    /** True when every quantity is within {@link #TOLERANCE}. */
    public boolean passed() {
      return maxRelativeError() <= TOLERANCE;
    }
  }

  /**
   * Runs the check on {@code fixture} with the PyTorch engine on the CPU.
   *
   * @throws IllegalArgumentException naming the file and the missing tensor or bad config value
   */
  public static Report run(Path fixture) throws IOException {
    SafeTensors.Contents c = SafeTensors.read(fixture);
    try {
      return run(c);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(fixture + ": " + e.getMessage(), e);
    }
  }

  /** Runs the check on already-read fixture contents. */
  public static Report run(SafeTensors.Contents c) {
    String json = c.metadata().get("config");
    if (json == null) {
      throw new IllegalArgumentException("no __metadata__.config in the fixture");
    }
    JsonObject cfg = JsonParser.parseString(json).getAsJsonObject();
    SaimConfig config = ReferenceConfig.fromJson(cfg);
    double[] adam = adamSettings(cfg);

    Map<String, HostTensor> params = new LinkedHashMap<>();
    Map<String, HostTensor> grads = new LinkedHashMap<>();
    Map<String, HostTensor> after = new LinkedHashMap<>();
    c.tensors()
        .forEach(
            (name, t) -> {
              if (name.startsWith("param.")) {
                params.put(name.substring(6), t);
              } else if (name.startsWith("grad.")) {
                grads.put(name.substring(5), t);
              } else if (name.startsWith("after_step.")) {
                after.put(name.substring(11), t);
              }
            });
    for (String required :
        List.of(
            "input.images",
            "input.noise",
            "out.mask_content",
            "out.mask_query",
            "out.content_last_block",
            "out.query_last_block",
            "out.prediction",
            "out.target",
            "out.loss")) {
      c.require(required);
    }
    if (params.isEmpty() || grads.isEmpty() || after.isEmpty()) {
      throw new IllegalArgumentException(
          "the fixture needs param.*, grad.* and after_step.* tensors");
    }

    List<Quantity> qs = new ArrayList<>();
    List<String> noiseGradients = new ArrayList<>();
    String worstGrad = "";
    String worstParam = "";
    try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager();
        SaimModel model = new SaimModel(config, manager, 0);
        AdamW opt = new AdamW(manager, adam[1], adam[2], adam[3], adam[4])) {
      model.load(params, true);
      NDArray images = Tensors.toEngine(manager, c.require("input.images"));
      NDArray noise = Tensors.toEngine(manager, c.require("input.noise"));
      Map<String, NDArray> trainable = model.parameters().trainable();
      for (String name : grads.keySet()) {
        if (!trainable.containsKey(name)) {
          throw new IllegalArgumentException(
              "grad." + name + " names no trainable parameter of the model");
        }
      }
      try (Permutation perm = PermutationSampler.fromNoise(noise)) {
        qs.add(
            new Quantity(
                "mask_content", maskError(perm.contentMask(), c.require("out.mask_content"))));
        qs.add(
            new Quantity("mask_query", maskError(perm.queryMask(), c.require("out.mask_query"))));
        try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
          SaimModel.LossPass pass = model.forwardLoss(images, perm);
          SaimModel.Output out = pass.output();
          NDArray target = pass.target();
          NDArray loss = pass.loss();
          qs.add(
              new Quantity(
                  "content_last_block",
                  rel(out.contentLastBlock(), c.require("out.content_last_block"))));
          qs.add(
              new Quantity(
                  "query_last_block",
                  rel(out.queryLastBlock(), c.require("out.query_last_block"))));
          qs.add(new Quantity("prediction", rel(out.prediction(), c.require("out.prediction"))));
          qs.add(new Quantity("target", rel(target, c.require("out.target"))));
          qs.add(new Quantity("loss", rel(loss.reshape(1), c.require("out.loss"))));
          gc.backward(loss);
        }
      }
      double refSquares = 0;
      for (HostTensor g : grads.values()) {
        double n = norm(g);
        refSquares += n * n;
      }
      double refNorm = Math.sqrt(refSquares);
      double worst = -1;
      for (Map.Entry<String, HostTensor> g : grads.entrySet()) {
        // every grad.* name was checked against the trainable parameters above
        NDArray p = Objects.requireNonNull(trainable.get(g.getKey()));
        if (!p.hasGradient()) {
          throw new IllegalArgumentException("the model computed no gradient for " + g.getKey());
        }
        NDArray ours = p.getGradient();
        double e;
        if (norm(g.getValue()) < NOISE_FRACTION * refNorm) {
          // A gradient that is zero in exact arithmetic (the key bias: softmax ignores a constant
          // added to a whole row of logits) is rounding noise in both implementations. Its error is
          // measured as a share of the whole gradient, and the optimiser step uses the reference's
          // noise so that the post-step comparison checks AdamW rather than noise.
          e = ReferenceCheck.difference(ours, g.getValue()) / refNorm;
          noiseGradients.add(g.getKey());
          Tensors.copyInto(ours, g.getValue(), "grad." + g.getKey());
        } else {
          e = rel(ours, g.getValue());
        }
        if (e > worst || Double.isNaN(e)) {
          worst = e;
          worstGrad = g.getKey();
        }
      }
      qs.add(new Quantity("worst gradient (" + worstGrad + ")", worst));
      opt.step(trainable, adam[0]);
      worst = -1;
      for (Map.Entry<String, HostTensor> a : after.entrySet()) {
        NDArray p = model.parameters().get(a.getKey());
        if (p == null) {
          throw new IllegalArgumentException(
              "after_step." + a.getKey() + " names no parameter of the model");
        }
        double e = rel(p, a.getValue());
        if (e > worst || Double.isNaN(e)) {
          worst = e;
          worstParam = a.getKey();
        }
      }
      qs.add(new Quantity("worst parameter after step (" + worstParam + ")", worst));
    }
    return new Report(config, qs, worstGrad, worstParam, noiseGradients);
  }

  private static final Pattern NUM = Pattern.compile("[-+]?[0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?");

  /**
   * lr, beta1, beta2, eps, weight decay: from the fixture's {@code adamw} note, else the fixture
   * format's defaults.
   */
  static double[] adamSettings(JsonObject cfg) {
    double[] v = {1e-3, 0.9, 0.95, 1e-8, 0.05};
    JsonElement a = cfg.get("adamw");
    if (a == null || a.isJsonNull()) {
      return v;
    }
    String s = a.getAsString();
    v[0] = find(s, "lr=", v[0]);
    Matcher betas =
        Pattern.compile("betas=\\(\\s*(" + NUM + ")\\s*,\\s*(" + NUM + ")\\s*\\)").matcher(s);
    if (betas.find()) {
      v[1] = Double.parseDouble(betas.group(1));
      v[2] = Double.parseDouble(betas.group(2));
    }
    v[3] = find(s, "eps=", v[3]);
    v[4] = find(s, "weight_decay=", v[4]);
    return v;
  }

  private static double find(String s, String key, double def) {
    Matcher m = Pattern.compile(Pattern.quote(key) + "(" + NUM + ")").matcher(s);
    return m.find() ? Double.parseDouble(m.group(1)) : def;
  }

  /** ||ours - ref|| / ||ref|| in double; ||ours|| when the reference is all zeros. */
  public static double rel(NDArray ours, HostTensor ref) {
    float[] a = ours.toType(DataType.FLOAT32, false).toFloatArray();
    float[] b = ref.toFloatArray();
    if (!Arrays.equals(ours.getShape().getShape(), ref.shape())) {
      return Double.POSITIVE_INFINITY;
    }
    return relativeError(a, b);
  }

  /** ||ours - ref|| in double. */
  static double difference(NDArray ours, HostTensor ref) {
    float[] a = ours.toType(DataType.FLOAT32, false).toFloatArray();
    float[] b = ref.toFloatArray();
    if (a.length != b.length) {
      return Double.POSITIVE_INFINITY;
    }
    double num = 0;
    for (int i = 0; i < a.length; i++) {
      double d = (double) a[i] - b[i];
      num += d * d;
    }
    return Math.sqrt(num);
  }

  private static double norm(HostTensor t) {
    double s = 0;
    for (float f : t.toFloatArray()) {
      s += (double) f * f;
    }
    return Math.sqrt(s);
  }

  /** ||a - b|| / ||b|| in double; ||a|| when b is all zeros. */
  public static double relativeError(float[] a, float[] b) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < a.length; i++) {
      double d = (double) a[i] - b[i];
      num += d * d;
      den += (double) b[i] * b[i];
    }
    return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
  }

  /** Masks compared as blocked (-inf) / allowed (0) indicators, so -inf equals -inf. */
  private static double maskError(NDArray ours, HostTensor ref) {
    float[] a = ours.toFloatArray();
    float[] b = ref.toFloatArray();
    if (a.length != b.length || !Arrays.equals(ours.getShape().getShape(), ref.shape())) {
      return Double.POSITIVE_INFINITY;
    }
    float[] ia = new float[a.length];
    float[] ib = new float[b.length];
    for (int i = 0; i < a.length; i++) {
      ia[i] = a[i] == Float.NEGATIVE_INFINITY ? 1 : (a[i] == 0 ? 0 : Float.NaN);
      ib[i] = b[i] == Float.NEGATIVE_INFINITY ? 1 : (b[i] == 0 ? 0 : Float.NaN);
    }
    return relativeError(ia, ib);
  }
}
