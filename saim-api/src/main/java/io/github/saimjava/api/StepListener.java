package io.github.saimjava.api;

/** Called after every optimiser step, on the training thread; keep it quick. */
@FunctionalInterface
public interface StepListener {
  void onStep(StepEvent event);
}
