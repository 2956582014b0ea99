package io.github.saimjava.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.github.saimjava.api.Permutation;
import io.github.saimjava.api.PermutationSampler;
import io.github.saimjava.api.Precision;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.model.Autocast;
import io.github.saimjava.model.FrozenEncoder;
import io.github.saimjava.model.InferenceKernels;
import io.github.saimjava.model.SaimModel;
import io.github.saimjava.train.AdamW;
import io.github.saimjava.train.EngineThreads;
import io.github.saimjava.train.NoGrad;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code saim bench train-step|embed|gemm}: throughput of this machine, as benchmarks/README.md
 * describes.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Measures training, embedding and matrix-multiply throughput on this machine.",
      "train-step: one SAIM pre-training step (forward, backward, AdamW) at 224 px with the"
          + " paper's",
      "  settings (query depth 12, MLP head, blur 9/1, norm-pix); last line 'images_per_s"
          + " <value>'.",
      "embed: encoder inference throughput (no masks). gemm: the engine's matrix-multiply rate at"
          + " the",
      "  model's shapes, the ceiling that efficiency is stated against."
    })
final class BenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "WHAT", description = "train-step, embed or gemm")
  String what;

  @Option(names = "--model", description = "tiny, small or base (default: ${DEFAULT-VALUE}).")
  String model = "base";

  @Option(names = "--batch", description = "Images per step (default: ${DEFAULT-VALUE}).")
  int batch = 4;

  @Option(
      names = "--steps",
      description = "Timed steps after one warm-up step (default: ${DEFAULT-VALUE}).")
  int steps = 3;

  @Option(names = "--threads", description = "Engine threads (default: ${DEFAULT-VALUE}).")
  int threads = 2;

  @Option(
      names = "--precision",
      paramLabel = "fp32|bf16",
      description = "Matrix multiplies in float32 or bfloat16 (default: fp32).")
  String precisionName = "fp32";

  @Option(
      names = "--profile",
      paramLabel = "FILE",
      description =
          "train-step and embed: record the engine's operators during the last timed step and write"
              + " them to FILE as a Chrome trace (JSON; open it in Perfetto or chrome://tracing)."
              + " Profiling slows that step down.")
  @Nullable Path profile;

  @Option(
      names = "--attention",
      paramLabel = "fused|explicit",
      description =
          "embed: attention as the engine's fused kernel or as explicit products and softmax"
              + " (default: what encoders use, -D"
              + FrozenEncoder.ATTENTION_PROPERTY
              + ", else fused on x86-64 without AVX-512 and explicit elsewhere).")
  @Nullable String attention;

  @Option(
      names = "--frozen",
      description =
          "embed: run the encoder as one engine call with its weights gathered once (the frozen"
              + " encoder, -D"
              + FrozenEncoder.PROPERTY
              + "=true) instead of operator by operator through DJL (default: what encoders use:"
              + " frozen on x86-64 without AVX-512, else eager).")
  @Nullable Boolean frozenOption;

  @Option(
      names = "--eager",
      description = "embed: run the encoder operator by operator (the opposite of --frozen).")
  boolean eager;

  @Option(
      names = "--no-ceiling",
      description =
          "train-step and embed: skip measuring the matrix-multiply ceiling after the run.")
  boolean noCeiling;

  @Option(
      names = "--engine",
      paramLabel = "pytorch|onnxruntime",
      description =
          "embed: our engine (pytorch) or ONNX Runtime running the --onnx model (default:"
              + " ${DEFAULT-VALUE}).")
  String engineName = "pytorch";

  @Option(
      names = "--onnx",
      paramLabel = "FILE",
      description =
          "embed --engine onnxruntime: any ONNX model with one float32 image input (N x C x H x"
              + " W), e.g. from saim export.")
  @Nullable Path onnx;

  private Precision precision = Precision.FP32;

  @Override
  public Integer call() {
    if (!engineName.equals("pytorch")) {
      return OnnxBench.embed(this, spec.commandLine().getOut());
    }
    SaimConfig c = SaimConfig.preset(model);
    precision = EnumOption.parse(Precision.class, precisionName, "--precision");
    Engine engine = EngineThreads.pytorch(threads);
    PrintWriter out = spec.commandLine().getOut();
    out.println(CpuInfo.read().describe());
    out.println("device: " + engine.defaultDevice());
    switch (what) {
      case "train-step" -> trainStep(engine, c, out);
      case "embed" -> embed(engine, c, out);
      case "gemm" -> gemm(engine, c, out);
      default ->
          throw new IllegalArgumentException(
              "unknown benchmark '" + what + "' (train-step, embed or gemm)");
    }
    out.flush();
    return 0;
  }

  /**
   * Matrix-multiply FLOPs of one SAIM training step (2 per multiply-add). Forward, per block of
   * either stream: q, k, v, proj {@code 4 * 2BTD^2}, scores and weighted sum {@code 2 * 2BT^2D},
   * MLP {@code 2 * 2BTD*hD} (h = MLP ratio); patch embedding {@code 2BLD(Cp^2)}; head MLP {@code
   * 2BT D hD + 2BT hD P}. Backward costs twice the forward (gradients of inputs and weights) except
   * the patch embedding, whose input needs no gradient (once). The blur is a depthwise convolution
   * without gradient: {@code 2BCHWk^2}. Element-wise work is not counted.
   */
  static double stepFlops(SaimConfig c, int b) {
    double t = c.numPatches() + 1;
    double d = c.width();
    double hidden = c.mlpHidden();
    double block = 4 * 2 * b * t * d * d + 2 * 2 * b * t * t * d + 2 * 2 * b * t * d * hidden;
    // the query stream runs its blocks whether or not it shares the content stream's weights
    double blocks = (c.depth() + c.queryDepth()) * block;
    double head = 2 * b * t * d * hidden + 2 * b * t * hidden * c.patchDim();
    double patch = 2.0 * b * c.numPatches() * d * c.patchDim();
    double blur =
        c.blurred()
            ? 2.0
                * b
                * c.channels()
                * c.imageSize()
                * c.imageSize()
                * c.blurKernel()
                * c.blurKernel()
            : 0;
    return 3 * (blocks + head) + 2 * patch + blur;
  }

  /** Forward matrix-multiply FLOPs of the encoder alone. */
  static double encoderFlops(SaimConfig c, int b) {
    double t = c.numPatches() + 1;
    double d = c.width();
    double block =
        4 * 2 * b * t * d * d + 2 * 2 * b * t * t * d + 2 * 2 * b * t * d * c.mlpHidden();
    return c.depth() * block + 2.0 * b * c.numPatches() * d * c.patchDim();
  }

  private void trainStep(Engine engine, SaimConfig c, PrintWriter out) {
    double[] times = new double[steps];
    double[] rssAfter = new double[steps + 1];
    try (NDManager m = engine.newBaseManager();
        SaimModel model = new SaimModel(c, m, 0, precision);
        AdamW opt = new AdamW(m, 0.9, 0.95, 1e-8, 0.05)) {
      PermutationSampler sampler = PermutationSampler.builder(c.numPatches()).stochastic(0).build();
      for (int i = 0; i <= steps; i++) {
        boolean profiled = startProfile(i);
        long t0 = System.nanoTime();
        try (NDScope scope = new NDScope()) {
          NDArray x = m.randomNormal(new Shape(batch, c.channels(), c.imageSize(), c.imageSize()));
          try (Permutation p = sampler.sample(m, batch);
              GradientCollector gc = engine.newGradientCollector()) {
            SaimModel.Output o = model.forward(x, p, true);
            NDArray loss = model.loss(o.prediction(), model.target(x));
            gc.backward(loss);
          }
          opt.step(model.parameters().trainable(), 1e-4);
          AdamW.zeroGrad(model.parameters().trainable());
        }
        double s = (System.nanoTime() - t0) / 1e9;
        stopProfile(profiled, out);
        rssAfter[i] = ProcessMemory.residentMb("VmRSS");
        if (i > 0) {
          times[i - 1] = s;
        }
      }
    }
    reportMemory(out, rssAfter);
    report(out, engine, "train-step", c, times, stepFlops(c, batch));
  }

  private void embed(Engine engine, SaimConfig c, PrintWriter out) {
    double[] times = new double[steps];
    double[] rssAfter = new double[steps + 1];
    boolean fused =
        attention == null
            ? FrozenEncoder.fusedAttentionByDefault()
            : FrozenEncoder.fusedAttention(attention, "--attention " + attention);
    try (NDManager m = engine.newBaseManager();
        SaimModel model = new SaimModel(c, m, 0, precision);
        @Nullable FrozenEncoder frozen = eagerHere(m) ? null : model.freeze(fused)) {
      boolean eager = frozen == null;
      out.printf(
          Locale.ROOT,
          "encoder: %s%n",
          eager
              ? "eager (operator by operator, weights cast per use; inference kernels: "
                  + (InferenceKernels.wanted() ? "oneDNN linear, fused attention" : "default")
                  + ")"
              : "frozen (one engine call, "
                  + (Objects.requireNonNull(frozen).onednnLinear() ? "oneDNN linear, " : "")
                  + (fused ? "fused" : "explicit")
                  + " attention)");
      for (int i = 0; i <= steps; i++) {
        boolean profiled = startProfile(i);
        long t0 = System.nanoTime();
        try (NoGrad ng = NoGrad.enter();
            NDScope scope = new NDScope()) {
          NDArray x = m.randomNormal(new Shape(batch, c.channels(), c.imageSize(), c.imageSize()));
          NDArray h =
              eager
                  ? model.encode(x, false)
                  : Objects.requireNonNull(frozen).encodeBlocks(x, c.depth(), c.depth()).get(0);
          model.norm(h).get(":, 0, :").toFloatArray();
        }
        double s = (System.nanoTime() - t0) / 1e9;
        stopProfile(profiled, out);
        rssAfter[i] = ProcessMemory.residentMb("VmRSS");
        if (i > 0) {
          times[i - 1] = s;
        }
      }
    }
    reportMemory(out, rssAfter);
    report(out, engine, "embed", c, times, encoderFlops(c, batch));
  }

  /** Whether embed runs operator by operator: {@code --eager}, else what encoders do here. */
  private boolean eagerHere(NDManager m) {
    return eager || (frozenOption == null ? !FrozenEncoder.wanted(m) : !frozenOption);
  }

  private void gemm(Engine engine, SaimConfig c, PrintWriter out) {
    out.printf(Locale.ROOT, "gemm_gflops %.1f%n", ceiling(engine, c, true, out));
  }

  /**
   * The engine's best matrix-multiply rate in this run's precision, over the model's three linear
   * shapes at this batch (median of at least 20 products each), printing each shape's rate; for
   * {@code inference}, also the rate of oneDNN's linear layer where the encoder uses it ({@link
   * InferenceKernels}).
   */
  private double ceiling(Engine engine, SaimConfig c, boolean inference, PrintWriter out) {
    int rows = batch * (c.numPatches() + 1);
    int[][] shapes = {
      {rows, c.width(), c.width()},
      {rows, c.width(), c.mlpHidden()},
      {rows, c.mlpHidden(), c.width()}
    };
    double best = 0;
    try (NDManager m = engine.newBaseManager();
        NoGrad ng = NoGrad.enter();
        Autocast cast = Autocast.of(precision, m)) {
      // the encoder's own kernel at inference in float32 where it uses oneDNN's linear layer
      InferenceKernels kernels =
          inference && precision == Precision.FP32 ? InferenceKernels.load(m) : null;
      for (int[] s : shapes) {
        NDArray a = cast.lower(m.randomNormal(new Shape(s[0], s[1])), m.zeros(new Shape()));
        NDArray b = cast.lower(m.randomNormal(new Shape(s[1], s[2])), m.zeros(new Shape()));
        double gflops = 2.0 * s[0] * s[1] * s[2] / medianSeconds(() -> a.matMul(b).close()) / 1e9;
        best = Math.max(best, gflops);
        String line =
            String.format(
                Locale.ROOT,
                "gemm %d x %d x %d: %.1f GFLOP/s (median of %d)",
                s[0],
                s[1],
                s[2],
                gflops,
                Math.max(steps, 20));
        if (kernels != null) {
          NDArray w = b.transpose().duplicate();
          NDArray bias = m.zeros(new Shape(s[2]));
          double linear =
              2.0
                  * s[0]
                  * s[1]
                  * s[2]
                  / medianSeconds(() -> kernels.linear(a, w, bias).close())
                  / 1e9;
          best = Math.max(best, linear);
          line += String.format(Locale.ROOT, ", oneDNN linear %.1f GFLOP/s", linear);
        }
        out.println(line);
      }
    }
    return best;
  }

  /** The median wall time of {@code max(steps, 20)} calls of {@code op} after one warm-up call. */
  private double medianSeconds(Runnable op) {
    double[] times = new double[Math.max(steps, 20)];
    for (int i = 0; i <= times.length; i++) {
      long t0 = System.nanoTime();
      op.run();
      double sec = (System.nanoTime() - t0) / 1e9;
      if (i > 0) {
        times[i - 1] = sec;
      }
    }
    Arrays.sort(times);
    return times[times.length / 2];
  }

  /**
   * The process's resident memory after each step (the first being the warm-up) and its peak, from
   * the kernel's accounting, so that growth over steps shows; nothing where the kernel does not
   * report it.
   */
  private static void reportMemory(PrintWriter out, double[] rssAfter) {
    double peak = ProcessMemory.residentMb("VmHWM");
    if (Double.isNaN(peak)) {
      return;
    }
    StringBuilder b = new StringBuilder();
    for (double r : rssAfter) {
      b.append(b.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.0f", r));
    }
    out.printf(
        Locale.ROOT,
        "memory: resident MB after each step (warm-up first) %s; peak resident %.0f MB%n",
        b,
        peak);
  }

  /**
   * Starts the engine's profiler before step {@code i} when it is the last one and a file was asked
   * for.
   */
  private boolean startProfile(int i) {
    if (profile == null || i != steps) {
      return false;
    }
    JniUtils.startProfile(false, true, false);
    return true;
  }

  private void stopProfile(boolean profiled, PrintWriter out) {
    if (!profiled || profile == null) {
      return;
    }
    Path file = profile.toAbsolutePath();
    // the engine writes the file itself: write beside it and move into place, so that a failed
    // write never leaves a truncated trace under the requested name
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    JniUtils.stopProfile(tmp.toString());
    try {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the profile " + file + ": " + e.getMessage(), e);
    }
    out.printf(Locale.ROOT, "profile of the last step: %s%n", file);
    TraceCount count = TraceCount.of(file);
    out.printf(
        Locale.ROOT,
        "operators: %d engine operator events in the profiled step, %d of them called from Java%n",
        count.events(),
        count.outermost());
  }

  private void report(
      PrintWriter out, Engine engine, String name, SaimConfig c, double[] times, double flops) {
    double[] sorted = times.clone();
    Arrays.sort(sorted);
    double median = sorted[sorted.length / 2];
    double rate = flops / median / 1e9;
    out.printf(
        Locale.ROOT,
        "%s model=%s precision=%s batch=%d threads=%d img=%d: step_s median=%.3f min=%.3f max=%.3f,"
            + " %.1f GFLOP/s (%.2f GFLOP per step)%n",
        name,
        model,
        precisionName,
        batch,
        threads,
        c.imageSize(),
        median,
        sorted[0],
        sorted[sorted.length - 1],
        rate,
        flops / 1e9);
    if (!noCeiling) {
      double ceiling = ceiling(engine, c, !name.equals("train-step"), out);
      out.printf(
          Locale.ROOT,
          "ceiling_share %.1f%% of the %s matrix-multiply ceiling, %.1f GFLOP/s%n",
          100 * rate / ceiling,
          precisionName,
          ceiling);
    }
    out.printf(Locale.ROOT, "images_per_s %.3f%n", batch / median);
  }
}
