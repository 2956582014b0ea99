package io.github.saimjava.downstream;

import io.github.saimjava.api.SaimFineTuner;
import io.github.saimjava.data.ImageDataset;
import io.github.saimjava.data.LabelledData;
import io.github.saimjava.data.Mixup;
import io.github.saimjava.data.RandAugment;
import io.github.saimjava.train.TrainingDivergedException;
import java.io.IOException;
import java.util.Locale;

/**
 * Fine-tuning of a pre-trained encoder for classification with the paper's protocol (the
 * reference's {@code main_finetune.py}), run from the API's validated {@link SaimFineTuner.Spec}: a
 * {@link VitClassifier} (global pool + {@code fc_norm} or class token, new linear head), AdamW with
 * {@link LayerDecay layer-wise learning-rate decay} and the fine-tuning no-decay rule, a
 * per-iteration linear warm-up and half-cycle cosine, stochastic depth, soft-target cross-entropy
 * with label smoothing, mixup / CutMix ({@link Mixup}), RandAugment ({@link RandAugment}), random
 * erasing, evaluation (top-1 / top-5) after every epoch, the best epoch's weights kept.
 *
 * <p>Internal: programs use the API's {@code SaimFineTuner}, which the provider runs through this
 * class. The spec arrives validated; what is checked here is only what needs the data (the number
 * of classes, mixup's even batch) or the implementation (the RandAugment policy's grammar). {@link
 * FineTuneLoop} runs the epochs, {@link FineTuneCheckpoint} holds the run's state and files, {@link
 * Evaluation} scores a classifier. The run folder's files are those {@code SaimFineTuner} names.
 */
public final class FineTuner {
  private FineTuner() {}

  /**
   * Opens the spec's labelled data and runs (or resumes) fine-tuning to the end, or only evaluates
   * when the spec says so.
   *
   * @param spec the validated settings
   * @return what the run achieved
   * @throws IllegalArgumentException for data or weights that do not fit, a checkpoint of another
   *     run, or images that cannot be decoded
   * @throws TrainingDivergedException when the loss stops being finite
   * @throws IOException when a file cannot be read or written
   */
  public static SaimFineTuner.Result run(SaimFineTuner.Spec spec) throws IOException {
    LabelledData d =
        LabelledData.open(spec.data()).select(spec.trainImages(), spec.validationSplit());
    return run(spec, d.train(), d.val());
  }

  /**
   * Runs (or resumes) fine-tuning on datasets already open; the spec's data settings ({@code data},
   * {@code trainImages}, {@code validationSplit}) are not read.
   *
   * @param spec the validated settings
   * @param train the labelled training images
   * @param val the labelled images evaluated after every epoch
   * @return what the run achieved
   * @throws IllegalArgumentException for data or weights that do not fit, a checkpoint of another
   *     run, or images that cannot be decoded
   * @throws TrainingDivergedException when the loss stops being finite
   * @throws IOException when a file cannot be read or written
   */
  public static SaimFineTuner.Result run(
      SaimFineTuner.Spec spec, ImageDataset train, ImageDataset val) throws IOException {
    RandAugment.parse(spec.autoAugment()); // names the part it cannot read
    int k =
        spec.numClasses() > 0 ? spec.numClasses() : Math.max(train.numClasses(), val.numClasses());
    check(
        k >= 2,
        "fine-tuning needs labelled data with at least 2 classes; %s has %s",
        train.describe(),
        train.numClasses());
    Mixup m = mixupOf(spec, k); // validates its settings
    check(
        !m.active() || spec.batchSize() % 2 == 0,
        "mixup and cutmix need an even batchSize, got %s",
        spec.batchSize());
    return new FineTuneLoop(spec, train, val, k).run();
  }

  /** Mixup / CutMix with the spec's settings over {@code k} classes. */
  static Mixup mixupOf(SaimFineTuner.Spec s, int k) {
    double[] minMax =
        s.cutmixMinMax().isEmpty()
            ? null
            : new double[] {s.cutmixMinMax().get(0), s.cutmixMinMax().get(1)};
    return new Mixup(
        s.mixup(), s.cutmix(), minMax, s.mixupProb(), s.mixupSwitchProb(), s.smoothing(), k);
  }

  private static void check(boolean ok, String template, Object... args) {
    if (!ok) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, template, args));
    }
  }
}
