package io.github.saimjava.api;

/** Called after every fine-tuning epoch's evaluation, on the training thread. */
@FunctionalInterface
public interface EvaluationListener {
  /**
   * Receives one finished epoch and its evaluation.
   *
   * @param event the epoch's training figures and accuracy
   */
  void onEvaluation(EvaluationEvent event);
}
