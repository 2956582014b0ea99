package io.github.saimjava.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimKnn;
import io.github.saimjava.data.DecodedImage;
import io.github.saimjava.data.ImageDataset;
import io.github.saimjava.data.LabelledData;
import io.github.saimjava.data.Transforms;
import io.github.saimjava.downstream.Knn;
import io.github.saimjava.model.SaimModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;

/**
 * The k-NN monitor of pre-training ({@code SaimTrainer.Builder#knnEvery}): the model's class token
 * after the final norm of the last block, the features {@code SaimEncoder} gives by default, for a
 * labelled set's training and validation images, classified by {@link Knn} with {@link SaimKnn}'s
 * defaults. It runs the encoder without masks, drop path or autograd and draws no random number, so
 * training goes on exactly as without it.
 */
final class KnnMonitor {
  /** Images per forward pass. */
  private static final int BATCH = 256;

  private final List<RawImage> trainImages;
  private final int[] trainLabels;
  private final List<RawImage> valImages;
  private final int[] valLabels;
  private final int classes;
  private final SaimKnn.Spec spec = SaimKnn.builder().build().spec();

  /**
   * One evaluation.
   *
   * @param top1 top-1 accuracy in percent
   * @param top5 top-5 accuracy in percent
   * @param seconds what the evaluation took, features included
   */
  record Evaluation(double top1, double top5, double seconds) {
    /** {@return the evaluation as a line of {@code metrics.jsonl}} */
    String line(long step) {
      return String.format(
          Locale.ROOT,
          "{\"type\":\"knn\",\"step\":%d,\"top1\":%s,\"top5\":%s,\"knn_s\":%.3f}",
          step,
          top1,
          top5,
          seconds);
    }
  }

  /**
   * {@return the line of {@code metrics.jsonl} that records what opening the monitor took (reading
   * the labelled set and converting the chosen images), so that the monitor's whole cost is in the
   * log: this plus every evaluation's {@code knn_s}}
   *
   * @param seconds the seconds {@link #open} took
   */
  static String openLine(double seconds) {
    return String.format(Locale.ROOT, "{\"type\":\"knn_open\",\"knn_open_s\":%.3f}", seconds);
  }

  /** The seed of the monitor's fixed choice of images. */
  private static final long SEED = 0;

  private KnnMonitor(ImageDataset train, ImageDataset val, int images) {
    int valCount = images == 0 ? val.size() : Math.min(val.size(), Math.max(1, images / 5));
    int trainCount = images == 0 ? train.size() : Math.min(train.size(), images - images / 5);
    int[] ti = choose(train.size(), trainCount, SEED);
    int[] vi = choose(val.size(), valCount, SEED + 1);
    // only the chosen images are converted, not the whole set
    trainImages = new ArrayList<>(ti.length);
    trainLabels = new int[ti.length];
    for (int i = 0; i < ti.length; i++) {
      trainImages.add(train.image(ti[i]).toRawImage());
      trainLabels[i] = train.label(ti[i]);
    }
    valImages = new ArrayList<>(vi.length);
    valLabels = new int[vi.length];
    for (int i = 0; i < vi.length; i++) {
      valImages.add(val.image(vi[i]).toRawImage());
      valLabels[i] = val.label(vi[i]);
    }
    classes = Math.max(train.numClasses(), val.numClasses());
  }

  /**
   * {@code k} distinct indices of {@code 0..n-1} in increasing order, the same for the same
   * arguments: all of them when {@code k >= n}, else the first {@code k} of a shuffle seeded by
   * {@code seed}. Draws from its own generator, never the engine's.
   */
  static int[] choose(int n, int k, long seed) {
    int[] idx = new int[n];
    for (int i = 0; i < n; i++) {
      idx[i] = i;
    }
    if (k >= n) {
      return idx;
    }
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = 0; i < k; i++) {
      int j = i + rng.nextInt(n - i);
      int t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    int[] out = Arrays.copyOf(idx, k);
    Arrays.sort(out);
    return out;
  }

  /** The number of neighbours and of classified images, for tests. */
  int[] sizes() {
    return new int[] {trainImages.size(), valImages.size()};
  }

  /**
   * Decodes the labelled set once.
   *
   * @param data {@code train/} + {@code val/} folders or an IDX pair; null for the embedded subset
   * @param images how many images each evaluation embeds (four fifths neighbours, one fifth
   *     classified, a fixed seeded choice); 0 for all
   * @throws IOException when the data cannot be read
   */
  static KnnMonitor open(@Nullable Path data, int images) throws IOException {
    LabelledData d = LabelledData.open(data);
    return new KnnMonitor(d.train(), d.val(), images);
  }

  /** Classifies the validation images by their nearest training images in {@code model}'s eyes. */
  Evaluation evaluate(SaimModel model) {
    long start = System.nanoTime();
    float[][] trainX = features(model, trainImages);
    float[][] valX = features(model, valImages);
    SaimKnn.Result r = Knn.run(spec, trainX, trainLabels, valX, valLabels, classes);
    return new Evaluation(r.top1(), r.top5(), (System.nanoTime() - start) / 1e9);
  }

  /** The class token after the final norm, one row per image. */
  static float[][] features(SaimModel model, List<RawImage> images) {
    SaimConfig c = model.config();
    int s = c.imageSize();
    int per = c.channels() * s * s;
    int d = c.width();
    float[][] out = new float[images.size()][];
    NDManager parent = model.manager();
    for (int from = 0; from < images.size(); from += BATCH) {
      int n = Math.min(BATCH, images.size() - from);
      float[] px = new float[n * per];
      for (int i = 0; i < n; i++) {
        System.arraycopy(
            Transforms.centreCrop(DecodedImage.of(images.get(from + i)), s, c.channels()),
            0,
            px,
            i * per,
            per);
      }
      float[] flat;
      try (NDManager step = parent.newSubManager();
          NoGrad ng = NoGrad.enter();
          NDScope scope = new NDScope()) {
        NDArray x = step.create(px, new Shape(n, c.channels(), s, s));
        flat = model.norm(model.encode(x, false)).get(":, 0, :").toFloatArray();
      }
      for (int i = 0; i < n; i++) {
        out[from + i] = new float[d];
        System.arraycopy(flat, i * d, out[from + i], 0, d);
      }
    }
    return out;
  }
}
