package io.github.saimjava.downstream;

import io.github.saimjava.api.SaimClassifier.Head;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.model.ModelCheckpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A classifier's weights as a file holds them: the reference's {@code .pth} ({@code {'model',
 * 'optimizer', 'epoch', 'scaler', 'args'}}, read by the safe unpickler; only {@code 'model'} is
 * used) or our safetensors (the fine-tuner's {@code best.safetensors}, a converted file), with the
 * head kind told by the tensor names and the number of classes by the head's shape.
 *
 * @param file the file read
 * @param weights the tensors by reference name (separate q/k/v)
 * @param config the architecture the file records, if any (a {@code .pth} records none)
 * @param head {@code fc_norm.*} means {@link Head#GLOBAL_POOL}; {@code head.1.*} with {@code
 *     head.0.running_*} means {@link Head#CLASS_TOKEN_BATCH_NORM}; else {@link Head#CLASS_TOKEN}
 * @param numClasses rows of the head's weight
 */
public record ClassifierCheckpoint(
    Path file,
    Map<String, HostTensor> weights,
    @Nullable SaimConfig config,
    Head head,
    int numClasses) {
  /**
   * Reads {@code file} (safetensors by its extension, else a PyTorch checkpoint).
   *
   * @throws IllegalArgumentException naming the file when it holds no classifier head or a head of
   *     an impossible shape
   * @throws IOException when the file cannot be read
   */
  public static ClassifierCheckpoint read(Path file) throws IOException {
    ModelCheckpoint m = ModelCheckpoint.read(file);
    Map<String, HostTensor> w = m.weights();
    Head head;
    String linear;
    if (w.containsKey("head.1.weight") || w.containsKey("head.0.running_mean")) {
      head = Head.CLASS_TOKEN_BATCH_NORM;
      linear = "head.1.weight";
    } else if (w.containsKey("fc_norm.weight") || w.containsKey("fc_norm.bias")) {
      head = Head.GLOBAL_POOL;
      linear = "head.weight";
    } else if (w.containsKey("head.weight")) {
      head = Head.CLASS_TOKEN;
      linear = "head.weight";
    } else {
      throw new IllegalArgumentException(
          file
              + " holds no classifier head (neither head.weight nor head.1.weight"
              + " among its "
              + w.size()
              + " tensors): it is not a fine-tuned or linear-probed classifier");
    }
    HostTensor hw = w.get(linear);
    if (hw == null) {
      throw new IllegalArgumentException(file + " has a " + head + " head without " + linear);
    }
    if (hw.shape().length != 2 || hw.shape()[0] < 2 || hw.shape()[0] > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          file
              + ": "
              + linear
              + " has shape "
              + Arrays.toString(hw.shape())
              + ", not classes x width with at least 2 classes");
    }
    return new ClassifierCheckpoint(file, w, m.config(), head, (int) hw.shape()[0]);
  }
}
