package io.github.saimjava.api;

/** Called at the end of every epoch, on the training thread. */
@FunctionalInterface
public interface EpochListener {
  /**
   * Receives one finished epoch.
   *
   * @param event the epoch's number, mean loss and timing
   */
  void onEpoch(EpochEvent event);
}
