package io.github.saimjava.downstream;

import io.github.saimjava.io.HostTensor;
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
    int n = trainX.length;
    int d = trainX[0].length;
    int batch = Math.min(s.batchSize(), n);
    int stepsPerEpoch = n / batch;
    double lr = s.blr() * batch / 256.0;
    SplittableRandom rng = new SplittableRandom(s.seed());
    double[][] w = new double[classes][d];
    for (double[] row : w) {
      for (int j = 0; j < d; j++) {
        row[j] = rng.nextGaussian() * 0.01;
      }
    }
    double[] b = new double[classes];
    double[][] muW = new double[classes][d];
    double[] muB = new double[classes];
    double[] runMean = new double[d];
    double[] runVar = new double[d];
    Arrays.fill(runVar, 1.0);
    double lastLoss = 0;
    double[][] xn = new double[batch][d];
    double[][] p = new double[batch][classes];
    for (int epoch = 0; epoch < s.epochs(); epoch++) {
      int[] order = shuffle(n, rng);
      double lossSum = 0;
      for (int step = 0; step < stepsPerEpoch; step++) {
        double e = epoch + (double) step / stepsPerEpoch;
        double cur =
            e < s.warmupEpochs()
                ? lr * e / s.warmupEpochs()
                : lr
                    * 0.5
                    * (1
                        + StrictMath.cos(
                            Math.PI * (e - s.warmupEpochs()) / (s.epochs() - s.warmupEpochs())));
        // BatchNorm (no affine) with batch statistics; running statistics as PyTorch keeps them
        for (int j = 0; j < d; j++) {
          double mean = 0;
          for (int i = 0; i < batch; i++) {
            mean += trainX[order[step * batch + i]][j];
          }
          mean /= batch;
          double var = 0;
          for (int i = 0; i < batch; i++) {
            double c = trainX[order[step * batch + i]][j] - mean;
            var += c * c;
          }
          double biased = var / batch;
          double inv = 1 / Math.sqrt(biased + 1e-6);
          for (int i = 0; i < batch; i++) {
            xn[i][j] = (trainX[order[step * batch + i]][j] - mean) * inv;
          }
          runMean[j] = 0.9 * runMean[j] + 0.1 * mean;
          runVar[j] = 0.9 * runVar[j] + 0.1 * (batch > 1 ? var / (batch - 1) : biased);
        }
        // softmax cross-entropy and its gradient
        double[][] gw = new double[classes][d];
        double[] gb = new double[classes];
        for (int i = 0; i < batch; i++) {
          int y = trainY[order[step * batch + i]];
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
          lossSum += -Math.log(Math.max(p[i][y], 1e-300));
          for (int k = 0; k < classes; k++) {
            double g = (p[i][k] - (k == y ? 1 : 0)) / batch;
            gb[k] += g;
            for (int j = 0; j < d; j++) {
              gw[k][j] += g * xn[i][j];
            }
          }
        }
        lars(w, gw, muW, cur, s.weightDecay());
        for (int k = 0; k < classes; k++) {
          muB[k] = 0.9 * muB[k] + gb[k];
          b[k] -= cur * muB[k];
        }
      }
      lastLoss = lossSum / ((double) stepsPerEpoch * batch);
    }
    int top1 = 0;
    int top5 = 0;
    for (int i = 0; i < valX.length; i++) {
      double[] z = new double[classes];
      for (int k = 0; k < classes; k++) {
        z[k] = b[k];
        for (int j = 0; j < d; j++) {
          z[k] += w[k][j] * (valX[i][j] - runMean[j]) / Math.sqrt(runVar[j] + 1e-6);
        }
      }
      int y = valY[i];
      int above = 0;
      for (int k = 0; k < classes; k++) {
        if (z[k] > z[y] || (z[k] == z[y] && k < y)) {
          above++;
        }
      }
      top1 += above == 0 ? 1 : 0;
      top5 += above < 5 ? 1 : 0;
    }
    float[][] wf = new float[classes][d];
    float[] bf = new float[classes];
    float[] mf = new float[d];
    float[] vf = new float[d];
    for (int k = 0; k < classes; k++) {
      bf[k] = (float) b[k];
      for (int j = 0; j < d; j++) {
        wf[k][j] = (float) w[k][j];
      }
    }
    for (int j = 0; j < d; j++) {
      mf[j] = (float) runMean[j];
      vf[j] = (float) runVar[j];
    }
    return new Result(
        100.0 * top1 / valX.length,
        100.0 * top5 / valX.length,
        lastLoss,
        new Head(wf, bf, mf, vf, (long) s.epochs() * stepsPerEpoch));
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
