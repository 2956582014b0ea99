package io.github.saimjava.api;

/** Called at the end of every epoch, on the training thread. */
@FunctionalInterface
public interface EpochListener {
  void onEpoch(EpochEvent event);
}
