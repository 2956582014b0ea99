package io.github.saimjava.io;

import io.github.saimjava.api.spi.CheckpointImporter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@link CheckpointImporter} on {@link CheckpointConverter}: the restricted unpickler of {@link
 * TorchCheckpoint} (nothing in the file is executed) and an atomic safetensors write.
 */
public final class SafeCheckpointImporter implements CheckpointImporter {
  /** Public for {@link java.util.ServiceLoader}. */
  public SafeCheckpointImporter() {}

  @Override
  public Map<String, long[]> convert(Path in, Path out, Consumer<String> notes) throws IOException {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (Map.Entry<String, HostTensor> e :
        CheckpointConverter.convert(in, out, TorchCheckpoint.DEFAULT_STATE_DICT_KEY, notes)
            .entrySet()) {
      shapes.put(e.getKey(), e.getValue().shape());
    }
    return shapes;
  }
}
