package io.github.saimjava.cli;

import ai.djl.engine.Engine;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.PrintWriter;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code saim bench embed --engine onnxruntime --onnx FILE}: the inference throughput of any ONNX
 * model with one image input, run by ONNX Runtime's Java API, reported in the shape of {@code saim
 * bench embed} (median step time, images_per_s) so the two can be compared in one sitting.
 */
final class OnnxBench {
  private OnnxBench() {}

  static int embed(BenchCommand b, PrintWriter out) {
    if (!b.engineName.equals("onnxruntime")) {
      throw new IllegalArgumentException(
          "--engine must be pytorch or onnxruntime, got '" + b.engineName + "'");
    }
    if (!b.what.equals("embed")) {
      throw new IllegalArgumentException(
          "--engine onnxruntime measures embed only, not '" + b.what + "'");
    }
    Path file = b.onnx;
    if (file == null) {
      throw new IllegalArgumentException("--engine onnxruntime needs the model: --onnx FILE");
    }
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("--onnx " + file + ": no such file");
    }
    if (b.batch < 1 || b.steps < 1 || b.threads < 1) {
      throw new IllegalArgumentException("--batch, --steps and --threads must be positive");
    }
    try {
      return run(b, file, out);
    } catch (OrtException e) {
      throw new IllegalArgumentException(
          "ONNX Runtime cannot run " + file + ": " + e.getMessage(), e);
    }
  }

  private static int run(BenchCommand b, Path file, PrintWriter out) throws OrtException {
    // a process has one ONNX Runtime environment; DJL's OnnxRuntime engine, when present, creates
    // it with options of its own and fails if it exists already, so it goes first
    if (Engine.hasEngine("OnnxRuntime")) {
      Engine.getEngine("OnnxRuntime");
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    double[] times = new double[b.steps];
    long[] shape;
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setIntraOpNumThreads(b.threads);
      o.setInterOpNumThreads(1);
      o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      try (OrtSession s = env.createSession(file.toString(), o)) {
        if (s.getNumInputs() != 1) {
          throw new IllegalArgumentException(
              file
                  + " has "
                  + s.getNumInputs()
                  + " inputs "
                  + s.getInputNames()
                  + ": the benchmark feeds one image input");
        }
        Map.Entry<String, NodeInfo> input = s.getInputInfo().entrySet().iterator().next();
        shape = inputShape(file, input, b.batch);
        float[] px = new float[Math.toIntExact(Arrays.stream(shape).reduce(1, (x, y) -> x * y))];
        SplittableRandom r = new SplittableRandom(0);
        for (int i = 0; i < px.length; i++) {
          px[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i <= b.steps; i++) {
          long t0 = System.nanoTime();
          try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(px), shape);
              OrtSession.Result res = s.run(Map.of(input.getKey(), x))) {
            // read the first output back to the heap, as an embedding call would
            res.get(0).getValue();
          }
          double sec = (System.nanoTime() - t0) / 1e9;
          if (i > 0) {
            times[i - 1] = sec;
          }
        }
      }
    }
    double[] sorted = times.clone();
    Arrays.sort(sorted);
    double median = sorted[sorted.length / 2];
    out.printf(
        Locale.ROOT,
        "embed engine=onnxruntime model=%s batch=%d threads=%d img=%d: step_s median=%.3f"
            + " min=%.3f max=%.3f%n",
        file.getFileName(),
        b.batch,
        b.threads,
        shape[3],
        median,
        sorted[0],
        sorted[sorted.length - 1]);
    out.printf(Locale.ROOT, "images_per_s %.3f%n", b.batch / median);
    out.flush();
    return 0;
  }

  /**
   * The input's shape with the batch in front: N x C x H x W, fixed sizes as the model has them.
   */
  private static long[] inputShape(Path file, Map.Entry<String, NodeInfo> input, int batch) {
    if (!(input.getValue().getInfo() instanceof TensorInfo t)
        || t.type != ai.onnxruntime.OnnxJavaType.FLOAT
        || t.getShape().length != 4) {
      throw new IllegalArgumentException(
          file
              + ": input "
              + input.getKey()
              + " is "
              + input.getValue().getInfo()
              + ", not a float32 image batch N x C x H x W");
    }
    long[] s = t.getShape().clone();
    if (s[0] > 0 && s[0] != batch) {
      throw new IllegalArgumentException(
          file + ": the model's batch size is fixed at " + s[0] + ": give --batch " + s[0]);
    }
    s[0] = batch;
    for (int i = 1; i < 4; i++) {
      if (s[i] < 1) {
        throw new IllegalArgumentException(
            file
                + ": input "
                + input.getKey()
                + " has a free dimension "
                + i
                + " ("
                + Arrays.toString(t.getShape())
                + "): the benchmark needs fixed C, H, W");
      }
    }
    return s;
  }
}
