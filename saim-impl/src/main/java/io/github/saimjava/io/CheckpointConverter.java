package io.github.saimjava.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Converts a PyTorch checkpoint (or a safetensors file) into a safetensors file in this project's
 * naming: the state dict is taken from the checkpoint, fused {@code attn.qkv} projections are split
 * with {@link StateDictNames#splitQkv}, and the result is written atomically with {@link
 * SafeTensors#write}. Everything is read and checked before the output is touched, so on any
 * failure no output file is left behind and an existing one is unchanged.
 */
public final class CheckpointConverter {
  // the layout of saim pretrain's checkpoint.safetensors: AdamW moments under this prefix
  private static final String OPTIMIZER_PREFIX = "optimizer.";

  // what saim pretrain's final.safetensors declares itself as

  private CheckpointConverter() {}

  /**
   * Converts {@code in} to the safetensors file {@code out}.
   *
   * <p>A {@code .safetensors} input contributes its tensors and its metadata, except the optimiser
   * state of a {@code saim pretrain} checkpoint ({@code optimizer.*}, reported to {@code
   * problems}), so that converting {@code checkpoint.safetensors} exports exactly the reference
   * model's state dict; any other input is read with {@link TorchCheckpoint}, its state dict taken
   * as {@link TorchCheckpoint#stateDict(String, Consumer)} does, and an integer {@code epoch} at
   * its root is kept as metadata.
   *
   * @param in the checkpoint ({@code .pth}, {@code .pt}, {@code .ckpt}, ...) or a {@code
   *     .safetensors} file
   * @param out the safetensors file to write (replaced atomically if it exists)
   * @param key where the state dict is when the checkpoint's root is not itself one (for example
   *     {@link TorchCheckpoint#DEFAULT_STATE_DICT_KEY})
   * @param problems receives a message for each thing left out that the user should know about
   *     (such as state-dict entries that are not tensors)
   * @return the tensors written, by name, in file order
   * @throws UnsafePickleException when the checkpoint names a refused global
   * @throws TensorFileException when the input is malformed, holds no such state dict or no
   *     tensors, or its qkv tensors cannot be split
   * @throws IOException when reading or writing fails
   */
  public static Map<String, HostTensor> convert(
      Path in, Path out, String key, Consumer<String> problems) throws IOException {
    Map<String, HostTensor> tensors;
    Map<String, String> metadata = new LinkedHashMap<>();
    if (in.getFileName() != null
        && in.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".safetensors")) {
      SafeTensors.Contents c = SafeTensors.read(in);
      tensors = new LinkedHashMap<>();
      int optimizer = 0;
      for (Map.Entry<String, HostTensor> e : c.tensors().entrySet()) {
        if (e.getKey().startsWith(OPTIMIZER_PREFIX)) {
          optimizer++;
        } else {
          tensors.put(e.getKey(), e.getValue());
        }
      }
      metadata.putAll(c.metadata());
      if (optimizer > 0) {
        // a training checkpoint of ours: the export is the model's state dict alone, which is no
        // longer a checkpoint a run could resume from
        metadata.remove("run");
        metadata.put("format", SafeTensors.WEIGHTS_FORMAT);
        problems.accept(
            "left out "
                + optimizer
                + " optimizer tensors ("
                + OPTIMIZER_PREFIX
                + "*): the output holds the model's state dict only");
      }
    } else {
      TorchCheckpoint ckpt = TorchCheckpoint.read(in);
      tensors = ckpt.stateDict(key, problems);
      if (ckpt.get("epoch") instanceof Long epoch) {
        metadata.put("epoch", Long.toString(epoch));
      }
    }
    if (tensors.isEmpty()) {
      throw new TensorFileException(in, "the state dict holds no tensors; nothing to convert");
    }
    Map<String, HostTensor> split;
    try {
      split = StateDictNames.splitQkv(tensors);
    } catch (IllegalArgumentException e) {
      throw new TensorFileException(in, String.valueOf(e.getMessage()), e);
    }
    SafeTensors.write(out, split, metadata);
    return split;
  }
}
