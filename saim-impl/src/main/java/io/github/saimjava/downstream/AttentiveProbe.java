package io.github.saimjava.downstream;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.saimjava.api.OptimizerSettings;
import io.github.saimjava.api.SaimAttentiveProbe;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.train.AdamW;
import io.github.saimjava.train.Devices;
import io.github.saimjava.train.LrSchedule;
import io.github.saimjava.train.NoGrad;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The attentive probe of AIM ({@code AttentionPoolingClassifier}) on frozen patch tokens: BatchNorm
 * without affine parameters over the token features (eps 1e-6, batch statistics over every token of
 * the batch in training, running statistics for evaluation), {@code Q} learned queries attending
 * over the tokens by multi-head cross-attention (projections without bias), the queries' outputs
 * averaged, then a linear head:
 *
 * <pre>
 * x: [B, L, D] -> BN -> k = x Wk^T, v = x Wv^T   [B, H, L, D/H]
 * q = queries Wq^T                              [H, Q, D/H]
 * o = softmax(q k^T / sqrt(D/H)) v              [B, H, Q, D/H] -> [B, Q, D] -> mean over Q -> [B, D]
 * logits = o W^T + b                            [B, K]
 * </pre>
 *
 * Trained with cross-entropy and the project's {@link AdamW} (the reference's no-decay rule) at
 * {@code blr * batch / 256}, warm-up and a half-cycle cosine per iteration ({@link LrSchedule}).
 * The tokens are held on the host; each batch runs on the spec's device (the engine's default when
 * none is given). Internal: programs use the API's {@code SaimAttentiveProbe}, whose {@link
 * SaimAttentiveProbe.Spec} this class takes as built.
 */
public final class AttentiveProbe {
  private AttentiveProbe() {}

  /**
   * The trainable tensors: queries Q x D, projections D x D, head K x D and K.
   *
   * @param queries the learned queries
   * @param wq the query projection (output x input)
   * @param wk the key projection
   * @param wv the value projection
   * @param weight the linear head
   * @param bias the linear head's bias
   */
  record Params(NDArray queries, NDArray wq, NDArray wk, NDArray wv, NDArray weight, NDArray bias) {
    /**
     * {@return the tensors by name, for the optimiser (names ending {@code .bias} do not decay)}
     */
    Map<String, NDArray> byName() {
      Map<String, NDArray> m = new LinkedHashMap<>();
      m.put("cls_token", queries);
      m.put("q.weight", wq);
      m.put("k.weight", wk);
      m.put("v.weight", wv);
      m.put("linear.weight", weight);
      m.put("linear.bias", bias);
      return m;
    }

    static Params create(
        NDManager m,
        float[] queries,
        float[] wq,
        float[] wk,
        float[] wv,
        float[] weight,
        float[] bias) {
      int d = (int) Math.sqrt(wq.length);
      return new Params(
          m.create(queries, new Shape(queries.length / d, d)),
          m.create(wq, new Shape(d, d)),
          m.create(wk, new Shape(d, d)),
          m.create(wv, new Shape(d, d)),
          m.create(weight, new Shape(bias.length, d)),
          m.create(bias, new Shape(bias.length)));
    }
  }

  /**
   * The trained probe.
   *
   * @param runningMean BatchNorm running mean, D
   * @param runningVar BatchNorm running (unbiased) variance, D
   * @param batchesTracked training steps taken
   * @param queries the learned queries, Q x D
   * @param wq query projection, D x D (out x in)
   * @param wk key projection, D x D
   * @param wv value projection, D x D
   * @param weight the linear head, K x D
   * @param bias the linear head's bias, K
   * @param heads attention heads
   */
  public record Head(
      float[] runningMean,
      float[] runningVar,
      long batchesTracked,
      float[] queries,
      float[] wq,
      float[] wk,
      float[] wv,
      float[] weight,
      float[] bias,
      int heads) {
    /** {@return the API's head as this class keeps it (the same arrays)} */
    public static Head of(SaimAttentiveProbe.Head h) {
      return new Head(
          h.runningMean(),
          h.runningVar(),
          h.batchesTracked(),
          h.queries(),
          h.wq(),
          h.wk(),
          h.wv(),
          h.weight(),
          h.bias(),
          h.heads());
    }

    /** {@return the number of queries Q} */
    public int numQueries() {
      return queries.length / runningMean.length;
    }

    /**
     * {@return the head's tensors, named as AIM's {@code AttentionPoolingClassifier} names them}
     */
    public Map<String, HostTensor> stateDict() {
      long d = runningMean.length;
      long k = bias.length;
      Map<String, HostTensor> out = new LinkedHashMap<>();
      out.put("head.bn.running_mean", HostTensor.ofFloats(new long[] {d}, runningMean.clone()));
      out.put("head.bn.running_var", HostTensor.ofFloats(new long[] {d}, runningVar.clone()));
      out.put(
          "head.bn.num_batches_tracked",
          HostTensor.ofLongs(new long[0], new long[] {batchesTracked}));
      out.put("head.cls_token", HostTensor.ofFloats(new long[] {1, numQueries(), d}, queries));
      out.put("head.q.weight", HostTensor.ofFloats(new long[] {d, d}, wq.clone()));
      // AIM keeps k and v as one projection, k's rows first
      float[] kv = new float[wk.length * 2];
      System.arraycopy(wk, 0, kv, 0, wk.length);
      System.arraycopy(wv, 0, kv, wk.length, wv.length);
      out.put("head.kv.weight", HostTensor.ofFloats(new long[] {2 * d, d}, kv));
      out.put("head.linear.weight", HostTensor.ofFloats(new long[] {k, d}, weight.clone()));
      out.put("head.linear.bias", HostTensor.ofFloats(new long[] {k}, bias.clone()));
      return out;
    }
  }

  /**
   * What the probe achieved.
   *
   * @param top1 validation top-1 accuracy in percent
   * @param top5 validation top-5 accuracy in percent
   * @param trainLoss mean cross-entropy of the last epoch
   * @param head the trained probe
   */
  public record Result(double top1, double top5, double trainLoss, Head head) {}

  /**
   * An attentive-probe classifier ({@code SaimClassifier} runs it): the encoder tensors of {@code
   * encoder} ({@link ClassifierCheckpoint#encoderTensors}) followed by the head's {@link
   * Head#stateDict}. Written with {@link #classifierMetadata}.
   *
   * @throws IllegalArgumentException naming the first encoder tensor missing from {@code encoder}
   */
  public static Map<String, HostTensor> classifierState(
      Map<String, HostTensor> encoder, SaimAttentiveProbe.Head head) {
    Map<String, HostTensor> out = ClassifierCheckpoint.encoderTensors(encoder);
    out.putAll(Head.of(head).stateDict());
    return out;
  }

  /**
   * The {@code __metadata__} an attentive-probe classifier needs beside its tensors: {@value
   * ClassifierCheckpoint#FORMAT} ({@value ClassifierCheckpoint#ATTENTIVE_FORMAT}), the head's
   * attention heads and {@code lastBlocks}, the number of the last blocks whose outputs the probe
   * was trained on, averaged ({@code SaimEncoder.patchTokens}'s argument).
   */
  public static Map<String, String> classifierMetadata(
      SaimAttentiveProbe.Head head, int lastBlocks) {
    if (lastBlocks < 1) {
      throw new IllegalArgumentException("lastBlocks (" + lastBlocks + ") must be positive");
    }
    Map<String, String> m = new LinkedHashMap<>();
    m.put(ClassifierCheckpoint.FORMAT, ClassifierCheckpoint.ATTENTIVE_FORMAT);
    m.put(ClassifierCheckpoint.PROBE_HEADS, Integer.toString(head.heads()));
    m.put(ClassifierCheckpoint.LAST_BLOCKS, Integer.toString(lastBlocks));
    return m;
  }

  /**
   * The logits {@code [image][class]} of {@code head} on tokens {@code x [image][token][feature]},
   * as the probe's evaluation computes them (its running statistics, on the engine's default
   * device).
   */
  public static float[][] logits(Head head, float[][][] x) {
    int classes = head.bias().length;
    float[][] out = new float[x.length][classes];
    Engine engine = Engine.getEngine("PyTorch");
    try (NDManager m = engine.newBaseManager()) {
      forEachChunk(
          head,
          x,
          m,
          (from, z) -> {
            for (int i = 0; i < z.length / classes; i++) {
              System.arraycopy(z, i * classes, out[from + i], 0, classes);
            }
          });
    }
    return out;
  }

  /** Receives the logits of the images from {@code from} on, flattened. */
  private interface ChunkLogits {
    void accept(int from, float[] z);
  }

  /**
   * The logits of {@code head} on {@code x}, in chunks of 256 images: the tokens normalised on the
   * host with the running statistics, the attention on the manager's device.
   */
  private static void forEachChunk(Head head, float[][][] x, NDManager parent, ChunkLogits sink) {
    int d = head.runningMean().length;
    int tokens = x[0].length;
    try (NDManager m = parent.newSubManager();
        NoGrad ng = NoGrad.enter()) {
      Params p =
          Params.create(
              m, head.queries(), head.wq(), head.wk(), head.wv(), head.weight(), head.bias());
      int chunk = 256;
      for (int from = 0; from < x.length; from += chunk) {
        int n = Math.min(chunk, x.length - from);
        float[] px = new float[n * tokens * d];
        for (int i = 0; i < n; i++) {
          for (int t = 0; t < tokens; t++) {
            for (int j = 0; j < d; j++) {
              px[(i * tokens + t) * d + j] =
                  (float)
                      ((x[from + i][t][j] - head.runningMean()[j])
                          / Math.sqrt(head.runningVar()[j] + 1e-6));
            }
          }
        }
        try (NDScope scope = new NDScope()) {
          sink.accept(
              from, logits(m.create(px, new Shape(n, tokens, d)), p, head.heads()).toFloatArray());
        }
      }
    }
  }

  /**
   * Trains on {@code (trainX, trainY)} and evaluates on {@code (valX, valY)}: tokens {@code
   * [image][token][feature]}, every image with the same number of tokens L and width D; labels in
   * {@code [0, classes)}; with the settings {@code s} holds, validated when it was built. The
   * tokens stay on the host; each batch is copied to the spec's device.
   *
   * @throws IllegalArgumentException naming the row, label or setting at fault, or a GPU the engine
   *     does not see
   */
  public static Result run(
      SaimAttentiveProbe.Spec s,
      float[][][] trainX,
      int[] trainY,
      float[][][] valX,
      int[] valY,
      int classes) {
    int tokens = check(trainX, valX);
    LabelledFeatures.check("the probe", flat(trainX), trainY, flat(valX), valY, classes);
    int d = trainX[0][0].length;
    if (d % s.heads() != 0) {
      throw new IllegalArgumentException(
          "heads (" + s.heads() + ") must divide the token width (" + d + ")");
    }
    int n = trainX.length;
    int batch = Math.min(s.batchSize(), n);
    int stepsPerEpoch = n / batch;
    LrSchedule schedule =
        new LrSchedule(
            OptimizerSettings.peakLr(s.blr(), batch), s.minLr(), s.warmupEpochs(), s.epochs());
    SplittableRandom rng = new SplittableRandom(s.seed());
    float[][] init = init(d, classes, s.queries(), rng);
    Engine engine = Engine.getEngine("PyTorch");
    try (NDManager manager = engine.newBaseManager(Devices.resolve(engine, s.device()));
        AdamW opt = new AdamW(manager, 0.9, 0.999, 1e-8, s.weightDecay())) {
      Params p =
          Params.create(manager, init[0], init[1], init[2], init[3], init[4], new float[classes]);
      Map<String, NDArray> params = p.byName();
      params.values().forEach(a -> a.setRequiresGradient(true));
      double[] runMean = new double[d];
      double[] runVar = new double[d];
      Arrays.fill(runVar, 1.0);
      double lastLoss = 0;
      float[] px = new float[batch * tokens * d];
      for (int epoch = 0; epoch < s.epochs(); epoch++) {
        int[] order = shuffle(n, rng);
        double lossSum = 0;
        for (int step = 0; step < stepsPerEpoch; step++) {
          for (int i = 0; i < batch; i++) {
            float[][] img = trainX[order[step * batch + i]];
            for (int t = 0; t < tokens; t++) {
              System.arraycopy(img[t], 0, px, (i * tokens + t) * d, d);
            }
          }
          normaliseBatch(px, batch * tokens, d, runMean, runVar);
          double lr = schedule.at(epoch + (double) step / stepsPerEpoch);
          try (NDScope scope = new NDScope()) {
            NDArray x = manager.create(px, new Shape(batch, tokens, d));
            int[] labels = new int[batch];
            for (int i = 0; i < batch; i++) {
              labels[i] = trainY[order[step * batch + i]];
            }
            NDArray oneHot = manager.create(labels).oneHot(classes);
            try (GradientCollector gc = engine.newGradientCollector()) {
              NDArray logp = logits(x, p, s.heads()).logSoftmax(1);
              NDArray loss = logp.mul(oneHot).sum().neg().div(batch);
              lossSum += loss.getFloat() * batch;
              gc.backward(loss);
            }
            opt.step(params, lr);
            AdamW.zeroGrad(params);
          }
        }
        lastLoss = lossSum / ((double) stepsPerEpoch * batch);
      }
      Head head = head(p, runMean, runVar, (long) s.epochs() * stepsPerEpoch, s.heads());
      double[] acc = evaluate(head, valX, valY, manager);
      return new Result(acc[0], acc[1], lastLoss, head);
    }
  }

  /**
   * Logits of BatchNorm-normalised tokens {@code x [B, L, D]}: {@code [B, K]}.
   *
   * @param p the parameters
   */
  static NDArray logits(NDArray x, Params p, int heads) {
    long b = x.getShape().get(0);
    long l = x.getShape().get(1);
    long d = x.getShape().get(2);
    NDArray queries = p.queries();
    long nq = queries.getShape().get(0);
    long dh = d / heads;
    NDArray q = queries.matMul(p.wq().transpose()).reshape(nq, heads, dh);
    q = q.transpose(1, 0, 2).expandDims(0); // [1, H, Q, dh]
    NDArray k = x.matMul(p.wk().transpose()).reshape(b, l, heads, dh);
    k = k.transpose(0, 2, 3, 1); // [B, H, dh, L]
    NDArray v = x.matMul(p.wv().transpose()).reshape(b, l, heads, dh);
    v = v.transpose(0, 2, 1, 3); // [B, H, L, dh]
    NDArray attn = q.matMul(k).mul(1.0 / Math.sqrt(dh)).softmax(-1); // [B, H, Q, L]
    NDArray o = attn.matMul(v).transpose(0, 2, 1, 3).reshape(b, nq, d).mean(new int[] {1});
    return o.matMul(p.weight().transpose()).add(p.bias());
  }

  /**
   * Top-1 and top-5 in percent of {@code head} on {@code x}, with its running statistics; ties rank
   * the lower class first, as {@link LinearProbe} does.
   */
  static double[] evaluate(Head head, float[][][] x, int[] y, NDManager parent) {
    int classes = head.bias().length;
    int[] hits = new int[2];
    forEachChunk(
        head,
        x,
        parent,
        (from, z) -> {
          for (int i = 0; i < z.length / classes; i++) {
            int label = y[from + i];
            float zy = z[i * classes + label];
            int above = 0;
            for (int k = 0; k < classes; k++) {
              float zk = z[i * classes + k];
              if (zk > zy || (zk == zy && k < label)) {
                above++;
              }
            }
            hits[0] += above == 0 ? 1 : 0;
            hits[1] += above < 5 ? 1 : 0;
          }
        });
    int top1 = hits[0];
    int top5 = hits[1];
    return new double[] {100.0 * top1 / x.length, 100.0 * top5 / x.length};
  }

  /**
   * BatchNorm without affine over {@code rows} rows of width {@code d} in place, with the batch's
   * statistics; the running statistics move as PyTorch's do (momentum 0.1, unbiased variance).
   */
  private static void normaliseBatch(
      float[] px, int rows, int d, double[] runMean, double[] runVar) {
    for (int j = 0; j < d; j++) {
      double mean = 0;
      for (int r = 0; r < rows; r++) {
        mean += px[r * d + j];
      }
      mean /= rows;
      double var = 0;
      for (int r = 0; r < rows; r++) {
        double c = px[r * d + j] - mean;
        var += c * c;
      }
      double biased = var / rows;
      double inv = 1 / Math.sqrt(biased + 1e-6);
      for (int r = 0; r < rows; r++) {
        px[r * d + j] = (float) ((px[r * d + j] - mean) * inv);
      }
      runMean[j] = 0.9 * runMean[j] + 0.1 * mean;
      runVar[j] = 0.9 * runVar[j] + 0.1 * (rows > 1 ? var / (rows - 1) : biased);
    }
  }

  /**
   * Initial parameters: queries from N(0, 0.02) (AIM's truncated normal, untruncated), projections
   * from U(-1/sqrt(D), 1/sqrt(D)) (PyTorch's {@code Linear}), the head from N(0, 0.01).
   */
  private static float[][] init(int d, int classes, int queries, SplittableRandom r) {
    float[][] out = new float[5][];
    out[0] = new float[queries * d];
    for (int i = 0; i < out[0].length; i++) {
      out[0][i] = (float) (r.nextGaussian() * 0.02);
    }
    double bound = 1 / Math.sqrt(d);
    for (int k = 1; k <= 3; k++) {
      out[k] = new float[d * d];
      for (int i = 0; i < out[k].length; i++) {
        out[k][i] = (float) ((r.nextDouble() * 2 - 1) * bound);
      }
    }
    out[4] = new float[classes * d];
    for (int i = 0; i < out[4].length; i++) {
      out[4][i] = (float) (r.nextGaussian() * 0.01);
    }
    return out;
  }

  private static Head head(Params p, double[] runMean, double[] runVar, long steps, int heads) {
    float[] mean = new float[runMean.length];
    float[] var = new float[runVar.length];
    for (int j = 0; j < mean.length; j++) {
      mean[j] = (float) runMean[j];
      var[j] = (float) runVar[j];
    }
    return new Head(
        mean,
        var,
        steps,
        p.queries().toFloatArray(),
        p.wq().toFloatArray(),
        p.wk().toFloatArray(),
        p.wv().toFloatArray(),
        p.weight().toFloatArray(),
        p.bias().toFloatArray(),
        heads);
  }

  /**
   * {@return the number of tokens L}, after checking that every image of both sets has L tokens of
   * the first token's width
   */
  private static int check(float[][][] train, float[][][] val) {
    if (train.length == 0 || val.length == 0 || train[0].length == 0) {
      throw new IllegalArgumentException(
          "the probe needs tokens of training and evaluation images: got "
              + train.length
              + " training and "
              + val.length
              + " evaluation images");
    }
    int l = train[0].length;
    int d = train[0][0].length;
    for (float[][][] set : new float[][][][] {train, val}) {
      String name = set == train ? "trainX" : "testX";
      for (int i = 0; i < set.length; i++) {
        if (set[i].length != l) {
          throw new IllegalArgumentException(
              name + "[" + i + "] has " + set[i].length + " tokens, trainX[0] " + l);
        }
        for (int t = 0; t < l; t++) {
          if (set[i][t].length != d) {
            throw new IllegalArgumentException(
                name + "[" + i + "][" + t + "] has " + set[i][t].length + " values, not " + d);
          }
        }
      }
    }
    return l;
  }

  /** Each image's first token, for the label checks the probes share. */
  private static float[][] flat(float[][][] x) {
    float[][] out = new float[x.length][];
    for (int i = 0; i < x.length; i++) {
      out[i] = x[i][0];
    }
    return out;
  }

  private static int[] shuffle(int n, SplittableRandom r) {
    int[] o = new int[n];
    for (int i = 0; i < n; i++) {
      o[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = o[i];
      o[i] = o[j];
      o[j] = t;
    }
    return o;
  }
}
