package io.github.saimjava.io;

import java.nio.file.Path;

/**
 * A checkpoint whose pickle names a Python global outside the reader's whitelist (for example
 * {@code posix.system} or {@code builtins.eval}). The reader refuses such a file as soon as the
 * global is named; nothing from the file is ever executed.
 */
public final class UnsafePickleException extends TensorFileException {
  private static final long serialVersionUID = 1L;

  private final String global;

  /**
   * @param file the checkpoint
   * @param global the refused global, {@code module.name}
   * @param problem the message, which names the global
   */
  public UnsafePickleException(Path file, String global, String problem) {
    super(file, problem);
    this.global = global;
  }

  /** The refused global as {@code module.name}, for example {@code posix.system}. */
  public String global() {
    return global;
  }
}
