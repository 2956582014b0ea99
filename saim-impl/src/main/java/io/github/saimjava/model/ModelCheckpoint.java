package io.github.saimjava.model;

import com.google.gson.JsonParser;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import io.github.saimjava.io.StateDictNames;
import io.github.saimjava.io.TorchCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The model weights of a checkpoint file, with reference names and separate q/k/v: our safetensors
 * (a run's checkpoint without its optimiser state, or weights alone) with the configuration its
 * metadata holds, or the state dict of a PyTorch {@code .pth} (which holds no configuration).
 *
 * @param file the file read
 * @param weights the model's tensors by reference name
 * @param config the configuration stored in the file, if any
 * @param metadata the safetensors {@code __metadata__} strings (empty for a {@code .pth}), as the
 *     file holds them: untrusted
 */
public record ModelCheckpoint(
    Path file,
    Map<String, HostTensor> weights,
    @Nullable SaimConfig config,
    Map<String, String> metadata) {
  /** Prefix of the optimiser-state tensors in our training checkpoints. */
  public static final String OPTIMIZER_PREFIX = "optimizer.";

  /**
   * Reads {@code file} (safetensors by its extension, else a PyTorch checkpoint's {@code model}
   * entry).
   *
   * @throws NoSuchFileException naming the file in its message ({@code FILE: no such checkpoint
   *     file}) when there is none
   * @throws IllegalArgumentException naming the folder when {@code file} is one
   */
  public static ModelCheckpoint read(Path file) throws IOException {
    if (Files.isDirectory(file)) {
      Path inside = file.resolve("final.safetensors");
      throw new IllegalArgumentException(
          file
              + ": a folder, not a checkpoint file"
              + (Files.isRegularFile(inside) ? " (did you mean " + inside + "?)" : ""));
    }
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "no such checkpoint file");
    }
    Map<String, HostTensor> weights;
    SaimConfig config = null;
    Map<String, String> metadata = Map.of();
    if (file.getFileName().toString().endsWith(".safetensors")) {
      SafeTensors.Contents c = SafeTensors.read(file);
      weights = new LinkedHashMap<>();
      for (Map.Entry<String, HostTensor> e : c.tensors().entrySet()) {
        if (!e.getKey().startsWith(OPTIMIZER_PREFIX)) {
          weights.put(e.getKey(), e.getValue());
        }
      }
      metadata = c.metadata();
      String json = c.metadata().get("config");
      if (json != null) {
        try {
          config = ReferenceConfig.fromJson(JsonParser.parseString(json).getAsJsonObject());
        } catch (RuntimeException e) {
          // an untrusted file: whatever the JSON holds, one line naming the file and the key
          String why = String.valueOf(e.getMessage()).replaceAll("\\p{Cntrl}", " ");
          throw new IllegalArgumentException(
              file
                  + ": __metadata__ 'config' is not a model configuration ("
                  + (why.length() > 160 ? why.substring(0, 160) + "..." : why)
                  + ")",
              e);
        }
      }
    } else {
      weights = TorchCheckpoint.readStateDict(file, TorchCheckpoint.DEFAULT_STATE_DICT_KEY);
    }
    return new ModelCheckpoint(file, StateDictNames.splitQkv(weights), config, metadata);
  }

  /**
   * The configuration to build the model with: {@code given} when there is one, else the file's.
   *
   * @throws IllegalArgumentException naming the file when neither exists
   */
  public SaimConfig configOr(@Nullable SaimConfig given) {
    if (given != null) {
      return given;
    }
    if (config == null) {
      throw new IllegalArgumentException(
          file + " holds no model configuration: give the architecture (a SaimConfig)");
    }
    return config;
  }
}
