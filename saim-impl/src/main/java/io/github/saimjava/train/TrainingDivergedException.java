package io.github.saimjava.train;

/** Training met a non-finite loss and stopped; the last good checkpoint is left intact. */
public final class TrainingDivergedException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public TrainingDivergedException(String message) {
    super(message);
  }
}
