package io.github.saimjava.downstream;

import io.github.saimjava.api.OptimizerSettings;
import io.github.saimjava.api.SaimLinearProbe;
import io.github.saimjava.io.HostTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The paper's linear probe on frozen features: BatchNorm without affine parameters (eps 1e-6, batch
 * statistics in training, running statistics for evaluation), then a linear head (weights drawn
 * from N(0, 0.01), bias 0) trained with cross-entropy and LARS (momentum 0.9, trust coefficient
 * 0.001, no trust ratio for the bias), learning rate {@code blr * batch / 256} with warm-up and a
 * half-cycle cosine to 0 per iteration. Features are cached, so this runs on the host. It takes the
 * API's {@link SaimLinearProbe.Spec} as built (and checked) by the façade and returns the API's
 * result. Internal: programs use {@code SaimLinearProbe}, which the provider runs through this
 * class.
 */
public final class LinearProbe {
  private LinearProbe() {}

  /**
   * The trained head's tensors with the reference's names: {@code head.0.*}, a {@code
   * BatchNorm1d(affine=False, eps=1e-6)} (running statistics, momentum 0.1, unbiased variance, as
   * PyTorch keeps them), and {@code head.1.*}, the linear layer ({@code weight} K x D, {@code bias}
   * K).
   */
  public static Map<String, HostTensor> stateDict(SaimLinearProbe.Head head) {
    float[][] weight = head.weight();
    int k = weight.length;
    int d = head.runningMean().length;
    float[] w = new float[k * d];
    for (int i = 0; i < k; i++) {
      System.arraycopy(weight[i], 0, w, i * d, d);
    }
    Map<String, HostTensor> out = new LinkedHashMap<>();
    out.put("head.0.running_mean", HostTensor.ofFloats(new long[] {d}, head.runningMean().clone()));
    out.put("head.0.running_var", HostTensor.ofFloats(new long[] {d}, head.runningVar().clone()));
    out.put(
        "head.0.num_batches_tracked",
        HostTensor.ofLongs(new long[0], new long[] {head.batchesTracked()}));
    out.put("head.1.weight", HostTensor.ofFloats(new long[] {k, d}, w));
    out.put("head.1.bias", HostTensor.ofFloats(new long[] {k}, head.bias().clone()));
    return out;
  }

  /**
   * A linear-probe classifier in the reference's layout ({@code main_linprobe.py}'s model, which
   * {@code SaimClassifier} loads): the encoder tensors of {@code encoder} ({@code cls_token},
   * {@code pos_embed}, {@code patch_embed.*}, {@code blocks.*}, {@code norm.*}; the decoder and
   * anything else left out) followed by {@code head}. The probe must have been trained on the class
   * token after {@code norm} of the last block for the result to classify as it did.
   *
   * @throws IllegalArgumentException naming the first encoder tensor missing from {@code encoder}
   */
  public static Map<String, HostTensor> classifierState(
      Map<String, HostTensor> encoder, SaimLinearProbe.Head head) {
    Map<String, HostTensor> out = ClassifierCheckpoint.encoderTensors(encoder);
    out.putAll(stateDict(head));
    return out;
  }

  /**
   * Trains on {@code (trainX, trainY)} and evaluates on {@code (valX, valY)}, labels in {@code [0,
   * classes)}, with the settings {@code spec} holds (validated when it was built; the device is the
   * host's).
   *
   * <p>With one base rate, one head is trained on every training row. With several, one head per
   * rate is trained over the same batches of the training rows less a held-out share ({@code
   * spec.heldOutFraction()}, drawn with the seed); the rate whose head has the best top-1 on the
   * held-out rows is selected (ties to the earliest listed), and every head is evaluated on {@code
   * (valX, valY)}, which selects nothing. Each head is the one a probe with its rate alone trains
   * on the same rows.
   *
   * @throws IllegalArgumentException naming the row or label at fault, or a held-out share that
   *     leaves no row to train on
   */
  public static SaimLinearProbe.Result run(
      SaimLinearProbe.Spec spec,
      float[][] trainX,
      int[] trainY,
      float[][] valX,
      int[] valY,
      int classes) {
    LabelledFeatures.check("the probe", trainX, trainY, valX, valY, classes);
    double[] blrs = spec.blrs().stream().mapToDouble(Double::doubleValue).toArray();
    int[] all = identity(valX.length);
    if (blrs.length == 1) {
      Trained t = train(trainX, trainY, identity(trainX.length), classes, spec, blrs);
      return t.result(0, valX, valY, all, List.of(), 0);
    }
    int[][] split = split(trainX.length, spec.heldOutFraction(), spec.seed());
    Trained t = train(trainX, trainY, split[0], classes, spec, blrs);
    List<SaimLinearProbe.Rate> rates = new ArrayList<>();
    int best = 0;
    double bestTop1 = -1;
    for (int h = 0; h < blrs.length; h++) {
      double[] v = t.accuracy(h, trainX, trainY, split[1]);
      double[] e = t.accuracy(h, valX, valY, all);
      rates.add(new SaimLinearProbe.Rate(blrs[h], v[0], v[1], e[0], e[1], t.loss[h]));
      if (v[0] > bestTop1) {
        bestTop1 = v[0];
        best = h;
      }
    }
    return t.result(best, valX, valY, all, rates, split[1].length);
  }

  /**
   * The rows of {@code n} training features kept for training ({@code [0]}) and held out for
   * validation ({@code [1]}), each in increasing order: {@code round(n * fraction)} rows (at least
   * one) drawn with {@code seed}; the fraction, in (0, 1), was checked by the spec.
   *
   * @throws IllegalArgumentException when the fraction leaves no row to train on
   */
  static int[][] split(int n, double fraction, long seed) {
    int held = Math.max(1, (int) Math.round(n * fraction));
    if (held >= n) {
      throw new IllegalArgumentException(
          "a validation fraction of "
              + fraction
              + " of "
              + n
              + " training images leaves none to train on");
    }
    // a stream of its own, so that the split does not move the heads' initialisation or batches
    int[] order = shuffle(n, new SplittableRandom(seed ^ 0x5EED_5917L));
    int[] val = Arrays.copyOf(order, held);
    int[] fit = Arrays.copyOfRange(order, held, n);
    Arrays.sort(val);
    Arrays.sort(fit);
    return new int[][] {fit, val};
  }

  private static int[] identity(int n) {
    int[] o = new int[n];
    for (int i = 0; i < n; i++) {
      o[i] = i;
    }
    return o;
  }

  /** The heads of one training pass and the BatchNorm statistics they share. */
  private static final class Trained {
    final double[][][] w;
    final double[][] b;
    final double[] loss;
    final double[] runMean;
    final double[] runVar;
    final long steps;
    final double[] blrs;

    Trained(
        double[] blrs,
        double[][][] w,
        double[][] b,
        double[] loss,
        double[] runMean,
        double[] runVar,
        long steps) {
      this.blrs = blrs;
      this.w = w;
      this.b = b;
      this.loss = loss;
      this.runMean = runMean;
      this.runVar = runVar;
      this.steps = steps;
    }

    /** {@return top-1 and top-5 in percent of head {@code h} on {@code x[rows]}} */
    double[] accuracy(int h, float[][] x, int[] y, int[] rows) {
      int classes = b[h].length;
      int d = runMean.length;
      int top1 = 0;
      int top5 = 0;
      for (int i : rows) {
        double[] z = new double[classes];
        for (int k = 0; k < classes; k++) {
          z[k] = b[h][k];
          for (int j = 0; j < d; j++) {
            z[k] += w[h][k][j] * (x[i][j] - runMean[j]) / Math.sqrt(runVar[j] + 1e-6);
          }
        }
        int label = y[i];
        int above = 0;
        for (int k = 0; k < classes; k++) {
          if (z[k] > z[label] || (z[k] == z[label] && k < label)) {
            above++;
          }
        }
        top1 += above == 0 ? 1 : 0;
        top5 += above < 5 ? 1 : 0;
      }
      return new double[] {100.0 * top1 / rows.length, 100.0 * top5 / rows.length};
    }

    /**
     * {@return head {@code h} evaluated on {@code x[rows]}, with the sweep's rates (empty for one
     * rate) and the number of training rows held out to select it}
     */
    SaimLinearProbe.Result result(
        int h, float[][] x, int[] y, int[] rows, List<SaimLinearProbe.Rate> sweep, int heldOut) {
      double[] acc = accuracy(h, x, y, rows);
      int classes = b[h].length;
      int d = runMean.length;
      float[][] wf = new float[classes][d];
      float[] bf = new float[classes];
      float[] mf = new float[d];
      float[] vf = new float[d];
      for (int k = 0; k < classes; k++) {
        bf[k] = (float) b[h][k];
        for (int j = 0; j < d; j++) {
          wf[k][j] = (float) w[h][k][j];
        }
      }
      for (int j = 0; j < d; j++) {
        mf[j] = (float) runMean[j];
        vf[j] = (float) runVar[j];
      }
      return new SaimLinearProbe.Result(
          acc[0],
          acc[1],
          loss[h],
          new SaimLinearProbe.Head(wf, bf, mf, vf, steps),
          blrs[h],
          sweep,
          heldOut);
    }
  }

  /**
   * Trains one head per rate on {@code x[rows]}: the same initialisation, batches and BatchNorm
   * statistics for every head, so that head {@code h} is the one a pass with {@code blrs[h]} alone
   * gives.
   */
  private static Trained train(
      float[][] x, int[] y, int[] rows, int classes, SaimLinearProbe.Spec s, double[] blrs) {
    int n = rows.length;
    int d = x[0].length;
    int heads = blrs.length;
    int batch = Math.min(s.batchSize(), n);
    int stepsPerEpoch = n / batch;
    SplittableRandom rng = new SplittableRandom(s.seed());
    double[][] init = new double[classes][d];
    for (double[] row : init) {
      for (int j = 0; j < d; j++) {
        row[j] = rng.nextGaussian() * 0.01;
      }
    }
    double[][][] w = new double[heads][][];
    double[][][] muW = new double[heads][classes][d];
    double[][] b = new double[heads][classes];
    double[][] muB = new double[heads][classes];
    for (int h = 0; h < heads; h++) {
      w[h] = new double[classes][];
      for (int k = 0; k < classes; k++) {
        w[h][k] = init[k].clone();
      }
    }
    double[] runMean = new double[d];
    double[] runVar = new double[d];
    Arrays.fill(runVar, 1.0);
    double[] lastLoss = new double[heads];
    double[][] xn = new double[batch][d];
    double[][] p = new double[batch][classes];
    int[] batchRows = new int[batch];
    for (int epoch = 0; epoch < s.epochs(); epoch++) {
      int[] order = shuffle(n, rng);
      double[] lossSum = new double[heads];
      for (int step = 0; step < stepsPerEpoch; step++) {
        for (int i = 0; i < batch; i++) {
          batchRows[i] = rows[order[step * batch + i]];
        }
        // BatchNorm (no affine) with batch statistics; running statistics as PyTorch keeps them
        for (int j = 0; j < d; j++) {
          double mean = 0;
          for (int i = 0; i < batch; i++) {
            mean += x[batchRows[i]][j];
          }
          mean /= batch;
          double var = 0;
          for (int i = 0; i < batch; i++) {
            double c = x[batchRows[i]][j] - mean;
            var += c * c;
          }
          double biased = var / batch;
          double inv = 1 / Math.sqrt(biased + 1e-6);
          for (int i = 0; i < batch; i++) {
            xn[i][j] = (x[batchRows[i]][j] - mean) * inv;
          }
          runMean[j] = 0.9 * runMean[j] + 0.1 * mean;
          runVar[j] = 0.9 * runVar[j] + 0.1 * (batch > 1 ? var / (batch - 1) : biased);
        }
        double e = epoch + (double) step / stepsPerEpoch;
        for (int h = 0; h < heads; h++) {
          double lr = OptimizerSettings.peakLr(blrs[h], batch);
          double cur =
              e < s.warmupEpochs()
                  ? lr * e / s.warmupEpochs()
                  : lr
                      * 0.5
                      * (1
                          + StrictMath.cos(
                              Math.PI * (e - s.warmupEpochs()) / (s.epochs() - s.warmupEpochs())));
          lossSum[h] =
              step(
                  w[h],
                  b[h],
                  muW[h],
                  muB[h],
                  xn,
                  y,
                  batchRows,
                  p,
                  cur,
                  s.weightDecay(),
                  lossSum[h]);
        }
      }
      for (int h = 0; h < heads; h++) {
        lastLoss[h] = lossSum[h] / ((double) stepsPerEpoch * batch);
      }
    }
    return new Trained(blrs, w, b, lastLoss, runMean, runVar, (long) s.epochs() * stepsPerEpoch);
  }

  /**
   * One step of a head on a normalised batch; {@return {@code lossSum} plus the batch's summed
   * cross-entropy, added image by image}
   */
  private static double step(
      double[][] w,
      double[] b,
      double[][] muW,
      double[] muB,
      double[][] xn,
      int[] y,
      int[] batchRows,
      double[][] p,
      double lr,
      double weightDecay,
      double lossSum) {
    int classes = b.length;
    int d = xn[0].length;
    int batch = xn.length;
    // softmax cross-entropy and its gradient
    double[][] gw = new double[classes][d];
    double[] gb = new double[classes];
    for (int i = 0; i < batch; i++) {
      int label = y[batchRows[i]];
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < classes; k++) {
        double z = b[k];
        for (int j = 0; j < d; j++) {
          z += w[k][j] * xn[i][j];
        }
        p[i][k] = z;
        max = Math.max(max, z);
      }
      double sum = 0;
      for (int k = 0; k < classes; k++) {
        p[i][k] = Math.exp(p[i][k] - max);
        sum += p[i][k];
      }
      for (int k = 0; k < classes; k++) {
        p[i][k] /= sum;
      }
      lossSum += -Math.log(Math.max(p[i][label], 1e-300));
      for (int k = 0; k < classes; k++) {
        double g = (p[i][k] - (k == label ? 1 : 0)) / batch;
        gb[k] += g;
        for (int j = 0; j < d; j++) {
          gw[k][j] += g * xn[i][j];
        }
      }
    }
    lars(w, gw, muW, lr, weightDecay);
    for (int k = 0; k < classes; k++) {
      muB[k] = 0.9 * muB[k] + gb[k];
      b[k] -= lr * muB[k];
    }
    return lossSum;
  }

  /** One LARS step of a 2-D parameter with momentum 0.9 and trust coefficient 0.001. */
  static void lars(double[][] p, double[][] g, double[][] mu, double lr, double wd) {
    double pn = 0;
    double un = 0;
    for (int k = 0; k < p.length; k++) {
      for (int j = 0; j < p[k].length; j++) {
        g[k][j] += wd * p[k][j];
        pn += p[k][j] * p[k][j];
        un += g[k][j] * g[k][j];
      }
    }
    pn = Math.sqrt(pn);
    un = Math.sqrt(un);
    double q = pn > 0 && un > 0 ? 0.001 * pn / un : 1.0;
    for (int k = 0; k < p.length; k++) {
      for (int j = 0; j < p[k].length; j++) {
        mu[k][j] = 0.9 * mu[k][j] + g[k][j] * q;
        p[k][j] -= lr * mu[k][j];
      }
    }
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
