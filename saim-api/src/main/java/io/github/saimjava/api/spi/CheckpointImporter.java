package io.github.saimjava.api.spi;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.function.Consumer;

/**
 * Converts a published checkpoint into this project's safetensors weights without executing
 * anything from the file. Provided by saim-impl; used by saim-zoo to import the authors' files.
 */
public interface CheckpointImporter {
  /**
   * Reads {@code in} (a {@code torch.save} checkpoint, its state dict under {@code model} or at the
   * root, or a safetensors file) and writes its model weights to {@code out} as safetensors with
   * the reference's names (fused {@code attn.qkv} split into {@code q}, {@code k}, {@code v}). On
   * any failure {@code out} is not created.
   *
   * @param in the published checkpoint
   * @param out the safetensors file to write
   * @param notes receives one message for each thing left out (optimiser state, non-tensor entries)
   * @return the shape of every tensor written, by name, in file order
   * @throws IllegalArgumentException naming the file and the fault when it is malformed or refused
   * @throws IOException when reading or writing fails
   */
  Map<String, long[]> convert(Path in, Path out, Consumer<String> notes) throws IOException;

  /**
   * The importer on the class path.
   *
   * @return the first importer {@link ServiceLoader} finds
   * @throws IllegalStateException when none is, saying which artifact to add
   */
  static CheckpointImporter load() {
    return ServiceLoader.load(CheckpointImporter.class)
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "no checkpoint importer found: add io.github.saimjava:saim-impl to the class"
                        + " path"));
  }
}
