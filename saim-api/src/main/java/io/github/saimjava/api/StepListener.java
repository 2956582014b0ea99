package io.github.saimjava.api;

/** Called after every optimiser step, on the training thread; keep it quick. */
@FunctionalInterface
public interface StepListener {
  /**
   * Receives one optimiser step.
   *
   * @param event the step's number, loss and learning rate
   */
  void onStep(StepEvent event);
}
