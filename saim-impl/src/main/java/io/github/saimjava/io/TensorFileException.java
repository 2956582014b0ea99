package io.github.saimjava.io;

import java.nio.file.Path;

/** A tensor or checkpoint file that cannot be read as what it claims to be; names the file. */
public class TensorFileException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;

  public TensorFileException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
  }

  /** Like {@link #TensorFileException(Path, String)}, keeping the lower-level {@code cause}. */
  public TensorFileException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = file;
  }

  /** The file at fault. */
  public Path file() {
    return file;
  }
}
