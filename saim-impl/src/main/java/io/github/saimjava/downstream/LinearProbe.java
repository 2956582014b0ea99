package io.github.saimjava.downstream;

import io.github.saimjava.io.HostTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The paper's linear probe on frozen features: BatchNorm without affine parameters (eps 1e-6, batch
 * statistics in training, running statistics for evaluation), then a linear head (weights drawn
 * from N(0, 0.01), bias 0) trained with cross-entropy and LARS (momentum 0.9, trust coefficient
 * 0.001, no trust ratio for the bias), learning rate {@code blr * batch / 256} with warm-up and a
 * half-cycle cosine to 0 per iteration. Features are cached, so this runs on the host. Internal:
 * programs use the API's {@code SaimLinearProbe}, which the provider runs through this class.
 */
public final class LinearProbe {
  private LinearProbe() {}

  /**
   * Probe settings; the defaults are the paper's except the batch (2048 in the paper).
   *
   * @param epochs training epochs (paper: 90)
   * @param batchSize images per step
   * @param blr base learning rate (paper: 0.1)
   * @param weightDecay LARS weight decay (paper: 0)
   * @param warmupEpochs linear warm-up (SAIM.md: none)
   * @param seed shuffling and head initialisation
   */
  public record Settings(
      int epochs, int batchSize, double blr, double weightDecay, double warmupEpochs, long seed) {
    public Settings {
      check(epochs > 0, "epochs (%s) must be positive", epochs);
      check(batchSize > 0, "batchSize (%s) must be positive", batchSize);
      check(blr > 0 && Double.isFinite(blr), "blr (%s) must be positive", blr);
      check(weightDecay >= 0, "weightDecay (%s) must be non-negative", weightDecay);
      check(warmupEpochs >= 0, "warmupEpochs (%s) must be non-negative", warmupEpochs);
    }

    private static void check(boolean ok, String template, Object value) {
      if (!ok) {
        throw new IllegalArgumentException(String.format(Locale.ROOT, template, value));
      }
    }

    /** The paper's settings with a batch of 256 and {@code epochs} epochs. */
    public static Settings paper(int epochs) {
      return new Settings(epochs, 256, 0.1, 0, 0, 0);
    }
  }

  /**
   * What the probe achieved.
   *
   * @param top1 validation top-1 accuracy in percent
   * @param top5 validation top-5 accuracy in percent
   * @param trainLoss mean cross-entropy of the last epoch
   * @param head the trained BatchNorm statistics and linear layer
   */
  public record Result(double top1, double top5, double trainLoss, Head head) {}

  /**
   * The trained probe as the reference's linear-probe model holds it: {@code head.0}, a {@code
   * BatchNorm1d(affine=False, eps=1e-6)} (running statistics, momentum 0.1, unbiased variance, as
   * PyTorch keeps them), and {@code head.1}, the linear layer.
   *
   * @param weight K x D
   * @param bias K
   * @param runningMean D
   * @param runningVar D
   * @param batchesTracked training steps taken ({@code num_batches_tracked})
   */
  public record Head(
      float[][] weight,
      float[] bias,
      float[] runningMean,
      float[] runningVar,
      long batchesTracked) {
    /** The head's tensors with the reference's names ({@code head.0.*}, {@code head.1.*}). */
    public Map<String, HostTensor> stateDict() {
      int k = weight.length;
      int d = runningMean.length;
      float[] w = new float[k * d];
      for (int i = 0; i < k; i++) {
        System.arraycopy(weight[i], 0, w, i * d, d);
      }
      Map<String, HostTensor> out = new LinkedHashMap<>();
      out.put("head.0.running_mean", HostTensor.ofFloats(new long[] {d}, runningMean.clone()));
      out.put("head.0.running_var", HostTensor.ofFloats(new long[] {d}, runningVar.clone()));
      out.put(
          "head.0.num_batches_tracked",
          HostTensor.ofLongs(new long[0], new long[] {batchesTracked}));
      out.put("head.1.weight", HostTensor.ofFloats(new long[] {k, d}, w));
      out.put("head.1.bias", HostTensor.ofFloats(new long[] {k}, bias.clone()));
      return out;
    }
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
      Map<String, HostTensor> encoder, Head head) {
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (String k :
        List.of("cls_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias")) {
      HostTensor t = encoder.get(k);
      if (t == null) {
        throw new IllegalArgumentException("the encoder's weights lack " + k);
      }
      out.put(k, t);
    }
    encoder.forEach(
        (k, v) -> {
          if (k.startsWith("blocks.")) {
            out.put(k, v);
          }
        });
    for (String k : List.of("norm.weight", "norm.bias")) {
      HostTensor t = encoder.get(k);
      if (t == null) {
        throw new IllegalArgumentException(
            "the encoder's weights lack " + k + " (the class token's final norm)");
      }
      out.put(k, t);
    }
    out.putAll(head.stateDict());
    return out;
  }

  /**
   * Trains on {@code (trainX, trainY)} and evaluates on {@code (valX, valY)}; labels in {@code [0,
   * classes)}.
   */
  public static Result run(
      float[][] trainX, int[] trainY, float[][] valX, int[] valY, int classes, Settings s) {
    LabelledFeatures.check("the probe", trainX, trainY, valX, valY, classes);
    Trained t = train(trainX, trainY, identity(trainX.length), classes, s, new double[] {s.blr()});
    return t.result(0, valX, valY, identity(valX.length));
  }

  /**
   * One rate of a sweep.
   *
   * @param blr the base learning rate
   * @param validationTop1 top-1 on the validation split carved from the training features
   * @param validationTop5 top-5 on that split
   * @param top1 top-1 on the evaluation features (reported, never used to select)
   * @param top5 top-5 on the evaluation features
   * @param trainLoss mean cross-entropy of the last epoch
   */
  public record Rate(
      double blr,
      double validationTop1,
      double validationTop5,
      double top1,
      double top5,
      double trainLoss) {}

  /**
   * What a sweep achieved.
   *
   * @param rates every rate, in the order given
   * @param selected the index in {@code rates} of the rate with the best validation top-1 (ties to
   *     the earliest)
   * @param result the selected head, evaluated on the evaluation features
   * @param fitImages the training images the heads were trained on
   * @param validationImages the training images held out to select the rate
   */
  public record Sweep(
      List<Rate> rates, int selected, Result result, int fitImages, int validationImages) {}

  /**
   * Trains one head per base rate in {@code blrs} over the same batches of the training features
   * less a validation split ({@code validationFraction} of them, drawn with {@code s.seed()}),
   * selects the rate whose head has the best top-1 on that split (ties to the earliest listed) and
   * evaluates every head on {@code (valX, valY)}, which selects nothing. {@code s.blr()} is not
   * read. Each head is the one {@link #run} trains at its rate on the same training rows.
   */
  public static Sweep sweep(
      float[][] trainX,
      int[] trainY,
      float[][] valX,
      int[] valY,
      int classes,
      Settings s,
      double[] blrs,
      double validationFraction) {
    LabelledFeatures.check("the probe", trainX, trainY, valX, valY, classes);
    if (blrs.length == 0) {
      throw new IllegalArgumentException("the sweep needs at least one base learning rate");
    }
    for (int i = 0; i < blrs.length; i++) {
      if (!(blrs[i] > 0 && Double.isFinite(blrs[i]))) {
        throw new IllegalArgumentException("blr " + blrs[i] + " must be positive");
      }
    }
    int[][] split = split(trainX.length, validationFraction, s.seed());
    Trained t = train(trainX, trainY, split[0], classes, s, blrs);
    List<Rate> rates = new ArrayList<>();
    int best = 0;
    double bestTop1 = -1;
    for (int h = 0; h < blrs.length; h++) {
      double[] v = t.accuracy(h, trainX, trainY, split[1]);
      double[] e = t.accuracy(h, valX, valY, identity(valX.length));
      rates.add(new Rate(blrs[h], v[0], v[1], e[0], e[1], t.loss[h]));
      if (v[0] > bestTop1) {
        bestTop1 = v[0];
        best = h;
      }
    }
    return new Sweep(
        List.copyOf(rates),
        best,
        t.result(best, valX, valY, identity(valX.length)),
        split[0].length,
        split[1].length);
  }

  /**
   * The rows of {@code n} training features kept for training ({@code [0]}) and held out for
   * validation ({@code [1]}), each in increasing order: {@code round(n * fraction)} rows (at least
   * one) drawn with {@code seed}.
   *
   * @throws IllegalArgumentException when the fraction is not in (0, 1) or leaves no row on a side
   */
  static int[][] split(int n, double fraction, long seed) {
    if (!(fraction > 0 && fraction < 1)) {
      throw new IllegalArgumentException(
          "the validation fraction (" + fraction + ") must be in (0, 1)");
    }
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

    Trained(
        double[][][] w,
        double[][] b,
        double[] loss,
        double[] runMean,
        double[] runVar,
        long steps) {
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

    Result result(int h, float[][] x, int[] y, int[] rows) {
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
      return new Result(acc[0], acc[1], loss[h], new Head(wf, bf, mf, vf, steps));
    }
  }

  /**
   * Trains one head per rate on {@code x[rows]}: the same initialisation, batches and BatchNorm
   * statistics for every head, so that head {@code h} is the one a pass with {@code blrs[h]} alone
   * gives.
   */
  private static Trained train(
      float[][] x, int[] y, int[] rows, int classes, Settings s, double[] blrs) {
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
          double lr = blrs[h] * batch / 256.0;
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
    return new Trained(w, b, lastLoss, runMean, runVar, (long) s.epochs() * stepsPerEpoch);
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
