package io.github.saimjava.downstream;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.saimjava.api.Precision;
import io.github.saimjava.api.SaimClassifier.Head;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.io.HostTensor;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A loaded classifier for inference, whatever its head: preprocessed images {@code N x C x S x S}
 * in, logits {@code N x K} out. Owns native memory: close it.
 */
public interface ClassifierModel extends AutoCloseable {
  /**
   * The classifier {@code checkpoint} holds, loaded strictly: a {@link VitClassifier} or, for an
   * attentive probe, an {@link AttentiveClassifier}; the encoder's architecture {@code config} (or
   * the file's when null).
   *
   * @throws IllegalArgumentException naming the file when the weights do not fit
   */
  static ClassifierModel load(
      ClassifierCheckpoint checkpoint,
      @Nullable SaimConfig config,
      NDManager parent,
      Precision precision) {
    return checkpoint.head() == Head.ATTENTIVE
        ? AttentiveClassifier.load(checkpoint, config, parent, precision)
        : VitClassifier.load(checkpoint, config, parent, precision);
  }

  /** {@return the encoder's architecture} */
  SaimConfig config();

  /** {@return the head kind} */
  Head head();

  /** {@return the number of classes K} */
  int numClasses();

  /**
   * From now on, the weights do not change: the model may compute on a snapshot of them.
   * Idempotent.
   */
  void freeze();

  /** {@return logits {@code N x K} of preprocessed images {@code N x C x S x S}, for inference} */
  NDArray logits(NDArray images);

  /** {@return host copies of every tensor, by the file's names} */
  Map<String, HostTensor> stateDict();

  @Override
  void close();
}
