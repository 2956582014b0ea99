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
 * with {@link StateDictNames#splitQkv}, and the result is written atomically with
 * {@link SafeTensors#write}. Everything is read and checked before the output is touched, so on any
 * failure no output file is left behind and an existing one is unchanged.
 */
public final class CheckpointConverter {
  private CheckpointConverter() {}

  /**
   * Converts {@code in} to the safetensors file {@code out}.
   *
   * <p>A {@code .safetensors} input contributes all its tensors and its metadata; any other input is
   * read with {@link TorchCheckpoint}, its state dict taken as {@link TorchCheckpoint#stateDict(
   * String, Consumer)} does, and an integer {@code epoch} at its root is kept as metadata.
   *
   * @param in the checkpoint ({@code .pth}, {@code .pt}, {@code .ckpt}, ...) or a
   *     {@code .safetensors} file
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
      tensors = c.tensors();
      metadata.putAll(c.metadata());
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
      throw new TensorFileException(in, e.getMessage(), e);
    }
    SafeTensors.write(out, split, metadata);
    return split;
  }
}
